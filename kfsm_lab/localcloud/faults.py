"""Fault injection for the local cloud: throttling, 5xx, slow answers and jobs that fail midway.

Faults are what a real account sees on a bad day; the kit must retry what AWS says to retry
(botocore's standard mode), surface the rest with the reason, and finish on a re-run. Tests and
demos set them through ``POST /_kfsm/faults`` (or ``kfsm-lab local faults``)::

    {"operation": "sagemaker.DescribeTrainingJob", "kind": "throttle", "count": 3}
    {"operation": "s3.*", "kind": "error", "status": 503, "count": 1}
    {"operation": "sagemaker-runtime.InvokeEndpoint", "kind": "slow", "seconds": 0.5}
    {"kind": "fail_job", "job": "kfsm-run1-train", "after_seconds": 2}
    {"kind": "iam_propagation", "seconds": 10}

``iam_propagation`` models IAM's eventual consistency: a role younger than ``seconds`` cannot be
assumed by SageMaker yet, so CreateTrainingJob, CreateHyperParameterTuningJob and CreateModel
answer ``Could not assume role …`` as AWS does in the seconds after a role is created. The cloud
also reads a default from ``KFSM_IAM_PROPAGATION_SECONDS`` at start (default 0: off).

Each error is rendered in its service's own wire shape (JSON 1.1 ``__type``, rest-json
``x-amzn-ErrorType``, query-XML ``ErrorResponse``, S3 ``Error``) so botocore parses the real code.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("throttle", "error", "slow", "fail_job", "iam_propagation")
IAM_PROPAGATION_ENV = "KFSM_IAM_PROPAGATION_SECONDS"
MAX_IAM_PROPAGATION = 600.0
JSON_SERVICES = {"sagemaker", "logs"}  # JSON 1.1 protocol
REST_JSON_SERVICES = {"sagemaker-runtime"}
S3_SERVICES = {"s3"}
# Everything else the local cloud serves (iam, sts) speaks the query protocol.

_THROTTLE_CODE = {"json": "ThrottlingException", "rest-json": "ThrottlingException", "query": "Throttling",
                  "s3": "SlowDown"}
_THROTTLE_STATUS = {"json": 400, "rest-json": 400, "query": 400, "s3": 503}
_SERVER_CODE = {500: {"json": "InternalFailure", "rest-json": "InternalFailure", "query": "InternalFailure",
                      "s3": "InternalError"},
                503: {"json": "ServiceUnavailable", "rest-json": "ServiceUnavailable",
                      "query": "ServiceUnavailable", "s3": "ServiceUnavailable"}}

Reply = tuple[int, dict[str, str], bytes]


class FaultError(ValueError):
    """A fault request that cannot be honoured; the message says what a valid one looks like."""


def protocol_of(service: str) -> str:
    if service in JSON_SERVICES:
        return "json"
    if service in REST_JSON_SERVICES:
        return "rest-json"
    if service in S3_SERVICES:
        return "s3"
    return "query"


def error_reply(service: str, status: int, code: str, message: str) -> Reply:
    """One error response in ``service``'s wire protocol, as the real service shapes it."""
    proto = protocol_of(service)
    request_id = str(uuid.uuid4())
    if proto == "json":
        return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}, \
            json.dumps({"__type": code, "message": message}).encode()
    if proto == "rest-json":
        return status, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, \
            json.dumps({"message": message}).encode()
    if proto == "s3":
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
                f"<RequestId>{request_id}</RequestId></Error>")
        return status, {"Content-Type": "application/xml"}, body.encode()
    kind = "Sender" if status < 500 else "Receiver"
    body = (f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>")
    return status, {"Content-Type": "text/xml"}, body.encode()


@dataclass
class Fault:
    """One armed fault. ``count`` None means: until cleared."""

    kind: str
    operation: str = "*"
    count: int | None = None
    status: int | None = None
    code: str | None = None
    message: str | None = None
    seconds: float = 0.0
    job: str | None = None
    after_seconds: float = 0.0
    reason: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    fired: int = 0
    created: float = field(default_factory=time.time)

    def matches(self, key: str) -> bool:
        """``key`` is ``service.Operation``; the fault's operation may use ``*`` for either part."""
        want_service, _, want_op = self.operation.partition(".")
        service, _, op = key.partition(".")
        if self.operation == "*":
            return True
        return want_service.lower() in ("*", service.lower()) and want_op in ("*", op)

    def reply(self, service: str, operation: str) -> Reply:
        proto = protocol_of(service)
        if self.kind == "throttle":
            return error_reply(service, self.status or _THROTTLE_STATUS[proto], self.code or _THROTTLE_CODE[proto],
                               self.message or "Rate exceeded")
        status = self.status or 500
        code = self.code or _SERVER_CODE.get(status, _SERVER_CODE[500])[proto]
        return error_reply(service, status, code, self.message or f"injected fault on {operation}")


def parse(data: dict[str, Any]) -> Fault:
    """A fault from an admin request body; FaultError names the field that is wrong."""
    if not isinstance(data, dict):
        raise FaultError("send a JSON object")
    kind = data.get("kind")
    if kind not in KINDS:
        raise FaultError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    unknown = set(data) - {f for f in Fault.__dataclass_fields__ if f not in ("id", "fired", "created")}
    if unknown:
        raise FaultError(f"unknown field(s) {sorted(unknown)}")
    try:
        fault = Fault(kind=kind, operation=str(data.get("operation") or "*"),
                      count=None if data.get("count") is None else int(data["count"]),
                      status=None if data.get("status") is None else int(data["status"]),
                      code=data.get("code"), message=data.get("message"), seconds=float(data.get("seconds") or 0),
                      job=data.get("job"), after_seconds=float(data.get("after_seconds") or 0),
                      reason=data.get("reason"))
    except (TypeError, ValueError) as exc:
        raise FaultError(f"count/status must be whole numbers, seconds/after_seconds numbers ({exc})") from None
    if fault.count is not None and fault.count < 1:
        raise FaultError("count must be 1 or more (leave it out for: until cleared)")
    if fault.status is not None and not 400 <= fault.status <= 599:
        raise FaultError("status must be an HTTP error status (400-599)")
    if kind == "slow" and not 0 < fault.seconds <= 60:
        raise FaultError('a slow fault needs "seconds" between 0 and 60')
    if kind == "fail_job" and not fault.job:
        raise FaultError('a fail_job fault needs "job": the training or transform job name')
    if fault.after_seconds < 0:
        raise FaultError("after_seconds must be 0 or more")
    if kind == "iam_propagation" and not 0 < fault.seconds <= MAX_IAM_PROPAGATION:
        raise FaultError(f'an iam_propagation fault needs "seconds" between 0 and {MAX_IAM_PROPAGATION:g}: how long a '
                         "new role cannot be assumed")
    return fault


def iam_propagation_from_env(environ: dict[str, str] | None = None) -> float:
    """``KFSM_IAM_PROPAGATION_SECONDS`` as seconds (0 when unset); ValueError names a bad value."""
    raw = (environ if environ is not None else os.environ).get(IAM_PROPAGATION_ENV, "").strip()
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 <= value <= MAX_IAM_PROPAGATION:
        raise ValueError(f"{IAM_PROPAGATION_ENV}={raw!r} is not a number of seconds between 0 and "
                         f"{MAX_IAM_PROPAGATION:g}; unset it to turn IAM propagation delays off")
    return value


class FaultTable:
    """The armed faults of one local cloud (thread-safe)."""

    def __init__(self, iam_propagation_seconds: float | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.injected: dict[str, int] = {}  # "kind service.Operation" -> times fired
        self.iam_propagation_default = (iam_propagation_from_env() if iam_propagation_seconds is None
                                        else float(iam_propagation_seconds))

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> int:
        with self._lock:
            n = len(self._faults)
            self._faults.clear()
            return n

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"faults": [asdict(f) for f in self._faults], "injected": dict(sorted(self.injected.items())),
                    "iam_propagation_seconds": self._iam_seconds()}

    def iam_propagation_seconds(self) -> float:
        """How long a new role cannot be assumed (0: IAM is instantly consistent)."""
        with self._lock:
            return self._iam_seconds()

    def _iam_seconds(self) -> float:
        armed = [f.seconds for f in self._faults if f.kind == "iam_propagation"]
        return max(armed) if armed else self.iam_propagation_default

    def role_not_yet_assumable(self, role_age_seconds: float) -> bool:
        """True while a role this young is still propagating (counted as a fired fault)."""
        with self._lock:
            window = self._iam_seconds()
            if window <= 0 or role_age_seconds >= window:
                return False
            label = "iam_propagation sagemaker.AssumeRole"
            self.injected[label] = self.injected.get(label, 0) + 1
            for f in self._faults:
                if f.kind == "iam_propagation":
                    f.fired += 1
            return True

    def _take(self, key: str, kinds: tuple[str, ...]) -> Fault | None:
        with self._lock:
            for f in self._faults:
                if f.kind in kinds and f.matches(key):
                    f.fired += 1
                    if f.count is not None and f.fired >= f.count:
                        self._faults.remove(f)
                    label = f"{f.kind} {key}"
                    self.injected[label] = self.injected.get(label, 0) + 1
                    return f
        return None

    def for_request(self, service: str, operation: str) -> Reply | None:
        """Apply slow faults (sleep) and return a canned error reply, or None to serve normally."""
        key = f"{service}.{operation}"
        slow = self._take(key, ("slow",))
        if slow is not None:
            time.sleep(slow.seconds)
        fault = self._take(key, ("throttle", "error"))
        return None if fault is None else fault.reply(service, operation)

    def job_failure(self, job_name: str, created: float) -> str | None:
        """The injected FailureReason for this job once it has run ``after_seconds``, else None."""
        with self._lock:
            for f in self._faults:
                if f.kind == "fail_job" and f.job == job_name and time.time() - created >= f.after_seconds:
                    self._faults.remove(f)
                    label = f"fail_job {job_name}"
                    self.injected[label] = self.injected.get(label, 0) + 1
                    return f.reason or "AlgorithmError: injected failure (the instance was lost midway)"
        return None

    def pending_job_faults(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if f.kind == "fail_job"]
