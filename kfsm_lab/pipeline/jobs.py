"""What SageMaker says about a run's resources, read economically.

Each resource is described at most once per ``min_interval`` (10 s on AWS, a fraction of a second on
the local cloud), a resource in a final status is never described again, and botocore's standard
retry mode backs off on throttling. A training job's log tail comes from CloudWatch Logs
(``/aws/sagemaker/TrainingJobs``): two calls, re-made when the job's status moves and otherwise at
most once per ``log_interval`` (30 s on AWS), so watching one job costs about ten calls a minute.
"""

from __future__ import annotations

import time
from typing import Any

from ..config import Settings

TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"
FINAL_STATUSES = _FINAL = frozenset({"Completed", "Failed", "Stopped", "InService", "OutOfService", "Created",
                                     "Deleted"})
_FAILED = frozenset({"Failed", "Stopped", "OutOfService"})
# What the console calls each kind, for people.
KIND_LABEL = {"training_job": "training job", "model": "model", "endpoint": "endpoint",
              "transform_job": "batch transform job", "tuning_job": "tuning job"}


def _ts(value: Any) -> float | None:
    return value.timestamp() if hasattr(value, "timestamp") else value


def _missing(exc: BaseException) -> bool:
    from ..aws import error_code

    code = error_code(exc) or ""
    text = str(exc).lower()
    return code == "ResourceNotFound" or (code == "ValidationException" and any(
        m in text for m in ("not found", "does not exist", "could not find")))


def is_failed(status: str | None) -> bool:
    return status in _FAILED


class JobReader:
    """Throttled describes of SageMaker resources; ``read(kind, name)`` → a plain dict view."""

    def __init__(self, settings: Settings, min_interval: float | None = None, log_lines: int = 20,
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

    def read(self, kind: str, name: str, force: bool = False) -> dict[str, Any]:
        """The latest known view of ``name`` (``{"exists": False}`` before it is created)."""
        cached = self._cache.get(name)
        if cached and not force:
            when, view = cached
            if view.get("status") in _FINAL and not (kind == "training_job" and not view.get("logs_final")):
                return view
            if time.monotonic() - when < self.min_interval:
                return view
        try:
            view = self._describe(kind, name)
        except Exception as exc:
            if not _missing(exc):
                raise
            view = {"exists": False, "name": name, "kind": kind}
        self._cache[name] = (time.monotonic(), view)
        return view

    def _describe(self, kind: str, name: str) -> dict[str, Any]:
        sm = self._client("sagemaker")
        self.calls += 1
        base = {"exists": True, "name": name, "kind": kind}
        if kind == "training_job":
            d = sm.describe_training_job(TrainingJobName=name)
            res = d.get("ResourceConfig") or {}
            view = {
                **base, "arn": d.get("TrainingJobArn"), "status": d.get("TrainingJobStatus"),
                "secondary_status": d.get("SecondaryStatus"), "failure_reason": d.get("FailureReason"),
                "created": _ts(d.get("CreationTime")), "start": _ts(d.get("TrainingStartTime")),
                "end": _ts(d.get("TrainingEndTime")),
                "phases": [{"status": t.get("Status"), "start": _ts(t.get("StartTime")),
                            "end": _ts(t.get("EndTime")), "message": t.get("StatusMessage")}
                           for t in d.get("SecondaryStatusTransitions", [])],
                "metrics": {m["MetricName"]: m["Value"] for m in d.get("FinalMetricDataList", [])},
                "model_artifact_url": (d.get("ModelArtifacts") or {}).get("S3ModelArtifacts"),
                "image": (d.get("AlgorithmSpecification") or {}).get("TrainingImage"),
                "instance_type": res.get("InstanceType"), "instance_count": res.get("InstanceCount"),
                "hyperparameters": d.get("HyperParameters") or {},
            }
            view["logs"] = self._logs_of(name, view["status"])
            view["logs_final"] = view["status"] in _FINAL and bool(view["logs"])  # logs may land just after
            return view
        if kind == "model":
            d = sm.describe_model(ModelName=name)
            container = d.get("PrimaryContainer") or {}
            return {**base, "arn": d.get("ModelArn"), "status": "Created", "created": _ts(d.get("CreationTime")),
                    "model_artifact_url": container.get("ModelDataUrl"), "image": container.get("Image")}
        if kind == "endpoint":
            d = sm.describe_endpoint(EndpointName=name)
            variants = d.get("ProductionVariants") or [{}]
            return {**base, "arn": d.get("EndpointArn"), "status": d.get("EndpointStatus"),
                    "failure_reason": d.get("FailureReason"), "created": _ts(d.get("CreationTime")),
                    "end": _ts(d.get("LastModifiedTime")), "endpoint_config": d.get("EndpointConfigName"),
                    "instance_count": variants[0].get("CurrentInstanceCount")}
        if kind == "transform_job":
            d = sm.describe_transform_job(TransformJobName=name)
            res = d.get("TransformResources") or {}
            return {**base, "arn": d.get("TransformJobArn"), "status": d.get("TransformJobStatus"),
                    "failure_reason": d.get("FailureReason"), "created": _ts(d.get("CreationTime")),
                    "start": _ts(d.get("TransformStartTime")), "end": _ts(d.get("TransformEndTime")),
                    "output": (d.get("TransformOutput") or {}).get("S3OutputPath"),
                    "input": ((d.get("TransformInput") or {}).get("DataSource") or {}).get(
                        "S3DataSource", {}).get("S3Uri"),
                    "instance_type": res.get("InstanceType"), "instance_count": res.get("InstanceCount")}
        if kind == "tuning_job":
            d = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
            best = d.get("BestTrainingJob") or {}
            listed = sm.list_training_jobs_for_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=name, MaxResults=100, SortBy="CreationTime", SortOrder="Ascending")
            trials = [{"name": j.get("TrainingJobName"), "status": j.get("TrainingJobStatus"),
                       "objective": (j.get("FinalHyperParameterTuningJobObjectiveMetric") or {}).get("Value"),
                       "hyperparameters": j.get("TunedHyperParameters") or {},
                       "best": j.get("TrainingJobName") == best.get("TrainingJobName")}
                      for j in listed.get("TrainingJobSummaries", [])]
            return {**base, "trials": trials, "arn": d.get("HyperParameterTuningJobArn"),
                    "status": d.get("HyperParameterTuningJobStatus"), "failure_reason": d.get("FailureReason"),
                    "created": _ts(d.get("CreationTime")), "end": _ts(d.get("HyperParameterTuningEndTime")),
                    "counters": d.get("TrainingJobStatusCounters") or {},
                    "best_training_job": best.get("TrainingJobName"),
                    "best_hyperparameters": best.get("TunedHyperParameters") or {},
                    "metrics": {(best.get("FinalHyperParameterTuningJobObjectiveMetric") or {}).get(
                        "MetricName", "objective"): (best.get("FinalHyperParameterTuningJobObjectiveMetric")
                                                     or {}).get("Value")} if best else {}}
        raise ValueError(f"unknown SageMaker resource kind {kind!r}")

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

    def stop(self, kind: str, name: str) -> bool:
        """Stop a training, tuning or transform job if it is still running; True when a stop was sent."""
        sm = self._client("sagemaker")
        calls = {"training_job": lambda: sm.stop_training_job(TrainingJobName=name),
                 "transform_job": lambda: sm.stop_transform_job(TransformJobName=name),
                 "tuning_job": lambda: sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)}
        if kind not in calls:
            return False
        try:
            calls[kind]()
        except Exception as exc:
            from ..aws import error_code

            if _missing(exc) or error_code(exc) == "ValidationException":  # gone, or already finished
                return False
            raise
        self._cache.pop(name, None)
        return True
