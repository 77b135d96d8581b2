"""A bounded fuzz pass (Hypothesis) over the local cloud's SageMaker control plane and runtime, on 127.0.0.1.

Bodies are built from the operations' real member names (from botocore's model) with values of any
JSON type, plus raw bytes and odd content types for InvokeEndpoint. Whatever comes in, the answer
is a 4xx in the service's JSON shape: never a 5xx, never HTML.
"""

from __future__ import annotations

import json

import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sm_helpers import control, invoke, serve

MODEL = botocore.session.get_session().get_service_model("sagemaker")
SERVED = ("TrainingJob", "Model", "EndpointConfig", "Endpoint", "TransformJob", "Tags", "HyperParameterTuningJob")
VERBS = ("Create", "Describe", "List", "Stop", "Delete", "Update", "Add")
OPERATIONS = sorted(op for op in MODEL.operation_names
                    if op.startswith(VERBS) and any(op.removeprefix(v).rstrip("s") in SERVED
                                                    or op.endswith(w) for v in VERBS for w in SERVED)
                    and "Package" not in op and "Card" not in op)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.function_scoped_fixture])

leaf = st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False, allow_infinity=False) \
    | st.text(max_size=80)
values = st.recursive(leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                        max_size=4), max_leaves=12)


@st.composite
def requests(draw) -> tuple[str, bytes]:
    op = draw(st.sampled_from(OPERATIONS))
    shape = MODEL.operation_model(op).input_shape
    members = list(shape.members) if shape is not None else []
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return op, draw(st.binary(max_size=200))
    if kind == 1:
        return op, json.dumps(draw(values)).encode()
    body = {}
    for name in draw(st.lists(st.sampled_from(members), unique=True, max_size=len(members))) if members else []:
        body[name] = draw(values)
    return op, json.dumps(body).encode()


@pytest.fixture(scope="module")
def served(local_cloud):
    return serve(local_cloud, rows=300)


def _clean(reply) -> None:
    assert reply.status < 500, (reply.status, reply.body[:300])
    assert b"<html" not in reply.body.lower() and b"Traceback" not in reply.body
    if reply.status >= 400:
        body = json.loads(reply.body)
        assert isinstance(body, dict) and (body.get("message") or body.get("Message"))


@FUZZ
@given(req=requests())
def test_control_plane_never_answers_5xx_or_html(local_cloud, req):
    op, body = req
    _clean(control(local_cloud, op, body))


CONTENT_TYPES = ["text/csv", "text/csv; label_size=1", "text/csv; label_size=x", "application/json",
                 "application/jsonlines", "application/x-recordio-protobuf", "image/png", "", "text/csv;;=;"]


@st.composite
def payloads(draw) -> tuple[bytes, str, str | None]:
    ctype = draw(st.sampled_from(CONTENT_TYPES) | st.text(max_size=30))
    kind = draw(st.integers(0, 4))
    if kind == 0:
        body = draw(st.binary(max_size=400))
    elif kind == 1:
        body = json.dumps({"instances": draw(values)}).encode()
    elif kind == 2:
        row = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32) | st.text(max_size=4),
                            min_size=1, max_size=800))
        body = ",".join(str(v) for v in row).encode()
    elif kind == 3:
        body = json.dumps(draw(values)).encode()
    else:
        body = ("\n".join(",".join(["0.5"] * draw(st.integers(780, 788))) for _ in range(draw(st.integers(1, 3))))
                ).encode()
    accept = draw(st.none() | st.sampled_from(["application/json", "text/csv", "*/*", "x/y", "application/jsonlines"]))
    return body, ctype, accept


@FUZZ
@given(p=payloads())
def test_runtime_never_answers_5xx_or_html(local_cloud, served, p):
    body, ctype, accept = p
    ctype = "".join(c for c in ctype if " " <= c <= "~")  # what an HTTP header can carry
    _clean(invoke(local_cloud, served.endpoint, body, ctype, accept))
