"""What SageMaker says about a run's resources, read economically.

Each resource is described at most once per ``min_interval`` (10 s on AWS, a fraction of a second on
the local cloud), a resource in a final status is never described again, and botocore's standard
retry mode backs off on throttling. The training job's log tail comes from CloudWatch Logs
(``/aws/sagemaker/TrainingJobs``): two calls, re-made when the job's status moves and otherwise at
most once per ``log_interval`` (30 s on AWS), so watching one job costs about ten calls a minute.
"""

from __future__ import annotations

import time
from typing import Any

from .names import STEP_DEPLOY, STEP_MODEL, STEP_TRAIN, STEP_TRANSFORM

TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"
FINAL_STATUSES = _FINAL = {"Completed", "Failed", "Stopped", "InService", "OutOfService", "Created"}
_FAILED = {"Failed", "Stopped", "OutOfService"}


def _ts(value: Any) -> float | None:
    return value.timestamp() if hasattr(value, "timestamp") else value


def _missing(exc: BaseException) -> bool:
    from ..aws import error_code

    code = error_code(exc) or ""
    text = str(exc).lower()
    return code == "ResourceNotFound" or (code == "ValidationException" and any(
        m in text for m in ("not found", "does not exist", "could not find")))


class JobReader:
    """Throttled describes of one run's SageMaker resources; ``read(step, name)`` → a plain dict."""

    def __init__(self, settings: Any, min_interval: float | None = None, log_lines: int = 20,
                 log_interval: float | None = None) -> None:
        self.settings = settings
        local = settings.target == "local"
        self.min_interval = min_interval if min_interval is not None else (0.3 if local else 10.0)
        self.log_interval = log_interval if log_interval is not None else (
            self.min_interval if local else max(30.0, self.min_interval))
        self.log_lines = log_lines
        self._clients: dict[str, Any] = {}
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self._logs: dict[str, tuple[float, Any, list[str]]] = {}
        self.calls = 0

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            from ..aws import client

            self._clients[service] = client(self.settings, service)
        return self._clients[service]

    def read(self, step: str, name: str, force: bool = False) -> dict[str, Any]:
        """The latest known view of ``name`` (``{"exists": False}`` before it is created)."""
        cached = self._cache.get(name)
        if cached and not force:
            when, view = cached
            if view.get("status") in _FINAL and not (step == STEP_TRAIN and not view.get("logs_final")):
                return view
            if time.monotonic() - when < self.min_interval:
                return view
        try:
            view = self._describe(step, name)
        except Exception as exc:
            if not _missing(exc):
                raise
            view = {"exists": False}
        self._cache[name] = (time.monotonic(), view)
        return view

    def _describe(self, step: str, name: str) -> dict[str, Any]:
        sm = self._client("sagemaker")
        self.calls += 1
        if step == STEP_TRAIN:
            d = sm.describe_training_job(TrainingJobName=name)
            view = {
                "exists": True, "status": d.get("TrainingJobStatus"), "secondary_status": d.get("SecondaryStatus"),
                "failure_reason": d.get("FailureReason"), "created": _ts(d.get("CreationTime")),
                "start": _ts(d.get("TrainingStartTime")), "end": _ts(d.get("TrainingEndTime")),
                "phases": [{"status": t.get("Status"), "start": _ts(t.get("StartTime")),
                            "end": _ts(t.get("EndTime")), "message": t.get("StatusMessage")}
                           for t in d.get("SecondaryStatusTransitions", [])],
                "metrics": {m["MetricName"]: m["Value"] for m in d.get("FinalMetricDataList", [])},
                "model_artifact_url": (d.get("ModelArtifacts") or {}).get("S3ModelArtifacts"),
                "image": (d.get("AlgorithmSpecification") or {}).get("TrainingImage"),
            }
            view["logs"] = self._logs_of(name, view["status"])
            view["logs_final"] = view["status"] in _FINAL and bool(view["logs"])  # logs may land just after
            return view
        if step == STEP_MODEL:
            d = sm.describe_model(ModelName=name)
            return {"exists": True, "status": "Created", "created": _ts(d.get("CreationTime"))}
        if step == STEP_DEPLOY:
            d = sm.describe_endpoint(EndpointName=name)
            return {"exists": True, "status": d.get("EndpointStatus"), "failure_reason": d.get("FailureReason"),
                    "created": _ts(d.get("CreationTime")), "end": _ts(d.get("LastModifiedTime"))}
        if step == STEP_TRANSFORM:
            d = sm.describe_transform_job(TransformJobName=name)
            return {"exists": True, "status": d.get("TransformJobStatus"), "failure_reason": d.get("FailureReason"),
                    "created": _ts(d.get("CreationTime")), "start": _ts(d.get("TransformStartTime")),
                    "end": _ts(d.get("TransformEndTime")),
                    "output": (d.get("TransformOutput") or {}).get("S3OutputPath")}
        raise ValueError(f"unknown step {step!r}")

    def _logs_of(self, name: str, status: Any) -> list[str]:
        """The log tail, re-read when the status moved, while a finished job has none yet, or after ``log_interval``."""
        cached = self._logs.get(name)
        if cached is not None:
            when, seen, lines = cached
            waiting_for_last = status in _FINAL and not lines
            if seen == status and not waiting_for_last and time.monotonic() - when < self.log_interval:
                return lines
        lines = self._log_tail(name)
        self._logs[name] = (time.monotonic(), status, lines)
        return lines

    def _log_tail(self, job_name: str) -> list[str]:
        """The newest log lines of the training job's streams (empty when there are none yet)."""
        logs = self._client("logs")
        try:
            streams = logs.describe_log_streams(logGroupName=TRAINING_LOG_GROUP, logStreamNamePrefix=f"{job_name}/")
        except Exception as exc:
            from ..aws import error_code

            if error_code(exc) in ("ResourceNotFoundException", "AccessDeniedException"):
                return []
            raise
        lines: list[str] = []
        for stream in streams.get("logStreams", [])[:4]:
            events = logs.get_log_events(logGroupName=TRAINING_LOG_GROUP, logStreamName=stream["logStreamName"],
                                         limit=self.log_lines, startFromHead=False)
            lines += [e["message"].rstrip() for e in events.get("events", [])]
        return lines[-self.log_lines:]

    def stop(self, step: str, name: str) -> bool:
        """Stop a training or transform job if it is still running; True when a stop was sent."""
        sm = self._client("sagemaker")
        try:
            if step == STEP_TRAIN:
                sm.stop_training_job(TrainingJobName=name)
            elif step == STEP_TRANSFORM:
                sm.stop_transform_job(TransformJobName=name)
            else:
                return False
        except Exception as exc:
            from ..aws import error_code

            if _missing(exc) or error_code(exc) == "ValidationException":  # gone, or already finished
                return False
            raise
        self._cache.pop(name, None)
        return True


def is_failed(status: str | None) -> bool:
    return status in _FAILED
