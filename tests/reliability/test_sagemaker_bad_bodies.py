"""Malformed SageMaker requests get the error AWS gives, as JSON, never an HTML traceback (issue 18, item 9)."""

from __future__ import annotations

import json
import math

import pytest
from sm_helpers import control, invoke, serve, training_request, unique, wait_training

from kfsm_lab.data import write_dense_tensor


@pytest.fixture(scope="module")
def served(local_cloud):
    return serve(local_cloud)


def _json_error(reply, status: int, code: str) -> str:
    assert reply.status == status, (reply.status, reply.body[:300])
    assert b"<html" not in reply.body.lower() and b"Traceback" not in reply.body
    body = reply.json
    assert reply.code == code or body.get("__type") == code, (reply.code, body)
    return body.get("message") or body.get("Message") or ""


@pytest.mark.parametrize("body", [
    "[" * 100_000 + "]" * 100_000,  # RecursionError before
    '{"a":' * 100_000 + "1" + "}" * 100_000,
])
def test_deeply_nested_json_is_a_serialization_error(local_cloud, body):
    _json_error(control(local_cloud, "ListEndpoints", body), 400, "SerializationException")


@pytest.mark.parametrize(("body", "words"), [
    ("[1, 2]", "Start of list found where not expected"),
    ('"ListEndpoints"', "can not be converted"),
    ("42", "can not be converted"),
    ('{"MaxResults": "ten"}', "STRING_VALUE can not be converted to an Integer"),
    ('{"NameContains": 5}', "NUMBER_VALUE can not be converted to a String"),
    ('{"NameContains": ["a"]}', "Start of list found where not expected"),
    ("{not json", "Start of structure or map found where not expected."),
])
def test_bodies_of_the_wrong_shape_are_serialization_errors(local_cloud, body, words):
    assert words in _json_error(control(local_cloud, "ListEndpoints", body), 400, "SerializationException")


def test_constraints_are_validation_errors_listing_every_problem(local_cloud, served):
    msg = _json_error(control(local_cloud, "ListEndpoints", '{"MaxResults": 1000}'), 400, "ValidationException")
    assert msg == ("1 validation error detected: Value '1000' at 'maxResults' failed to satisfy constraint: Member "
                   "must have value less than or equal to 100")
    arn = f"arn:aws:sagemaker:{local_cloud.region}:{local_cloud.account_id}:model/{served.model_name}"
    msg = _json_error(control(local_cloud, "AddTags", json.dumps({"ResourceArn": arn, "Tags": [{"Value": "v"}]})),
                      400, "ValidationException")
    assert msg == ("1 validation error detected: Value null at 'tags.1.member.key' failed to satisfy constraint: "
                   "Member must not be null")
    for name in ("a" * 64, "a-" * 35 + "a", "x" * 1000):  # hyphens passed the old pattern check at any length
        body = json.dumps({"ModelName": name, "PrimaryContainer": {"Image": served.image}})
        msg = _json_error(control(local_cloud, "CreateModel", body), 400, "ValidationException")
        assert "at 'modelName' failed to satisfy constraint: Member must have length less than or equal to 63" in msg
    msg = _json_error(control(local_cloud, "ListTrainingJobs", '{"SortBy": "Size", "StatusEquals": "Done"}'),
                      400, "ValidationException")
    assert msg.startswith("2 validation errors detected: ") and "enum value set" in msg


def test_runtime_bad_bodies_are_model_errors(local_cloud, served):
    row = ",".join(["0.5"] * 784)
    cases = [
        (row, "text/csv; label_size=abc", "label_size=abc"),
        (row, "text/csv; label_size=-1", "label_size=-1"),
        ('{"instances": ' + "[" * 100_000 + "]" * 100_000 + "}", "application/json", "not valid JSON"),
        (write_dense_tensor(__import__("numpy").ones((2, 784), dtype="float32"))[:-7],
         "application/x-recordio-protobuf", "cannot be read"),
        (",".join(["nan"] * 784), "text/csv", "NaN or infinite"),
        (",".join(["inf"] * 784), "text/csv", "NaN or infinite"),
        (json.dumps({"instances": [{"features": [math.inf] * 784}]}).replace("Infinity", "1e999"),
         "application/json", "NaN or infinite"),
        (",".join(["1e30"] * 784), "text/csv", "overflow"),
    ]
    for body, ctype, words in cases:
        reply = invoke(local_cloud, served.endpoint, body, ctype)
        assert _json_error(reply, 424, "ModelError") and words in reply.json["OriginalMessage"], (ctype, reply.json)
        assert reply.json["ErrorCode"] == "CLIENT_ERROR_FROM_MODEL"


def test_payload_over_six_megabytes_is_refused_with_413(local_cloud, served):
    row = ",".join(["0.5"] * 784) + "\n"
    body = row * (6 * 1024 * 1024 // len(row) + 1)
    assert len(body) > 6 * 1024 * 1024
    reply = invoke(local_cloud, served.endpoint, body, "text/csv")
    assert reply.status == 413 and b"<html" not in reply.body.lower()
    assert "6 MB" in reply.json["message"]
    ok = invoke(local_cloud, served.endpoint, row * 100, "text/csv")
    assert ok.status == 200 and len(ok.json["predictions"]) == 100  # a body under the limit still answers


def test_truncated_recordio_in_training_fails_the_job_as_a_client_error(local_cloud, served):
    sm, s3 = local_cloud.client("sagemaker"), local_cloud.client("s3")
    import numpy as np

    s3.put_object(Bucket=served.bucket, Key="cut/data", Body=write_dense_tensor(np.ones((20, 784), np.float32))[:-9])
    name = unique("kfsm-rel-cut")
    sm.create_training_job(**training_request(name, served.role_arn, served.image, f"s3://{served.bucket}/cut/",
                                              f"s3://{served.bucket}/out"))
    desc = wait_training(sm, name)
    assert desc["TrainingJobStatus"] == "Failed"
    assert desc["FailureReason"].startswith("ClientError: Unable to read data channel 'train'"), desc["FailureReason"]
