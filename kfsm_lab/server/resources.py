"""The Details tab: one describe of a task's SageMaker resource, reduced to what a person reads.

Called only while a Details tab is open (and cached by the caller), so watching a run costs no
extra describes. Each kind is one small function; the table below chooses it once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..aws import translate
from .errors import NotFoundError, is_not_found


def _ts(value: Any) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else value


def _history(transitions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"status": t.get("Status"), "start": _ts(t.get("StartTime")), "end": _ts(t.get("EndTime")),
             "message": t.get("StatusMessage")} for t in transitions]


def _training(sm: Any, name: str) -> dict[str, Any]:
    d = sm.describe_training_job(TrainingJobName=name)
    res = d.get("ResourceConfig") or {}
    return {"arn": d.get("TrainingJobArn"), "status": d.get("TrainingJobStatus"),
            "secondary_status": d.get("SecondaryStatus"), "failure_reason": d.get("FailureReason"),
            "instance_type": res.get("InstanceType"), "instance_count": res.get("InstanceCount"),
            "created": _ts(d.get("CreationTime")), "start": _ts(d.get("TrainingStartTime")),
            "end": _ts(d.get("TrainingEndTime")), "history": _history(d.get("SecondaryStatusTransitions", [])),
            "hyperparameters": d.get("HyperParameters") or {},
            "metrics": {m["MetricName"]: m["Value"] for m in d.get("FinalMetricDataList", [])},
            "artifacts": {"model_artifact": (d.get("ModelArtifacts") or {}).get("S3ModelArtifacts"),
                          "output_path": (d.get("OutputDataConfig") or {}).get("S3OutputPath")},
            "image": (d.get("AlgorithmSpecification") or {}).get("TrainingImage"),
            "role_arn": d.get("RoleArn")}


def _model(sm: Any, name: str) -> dict[str, Any]:
    d = sm.describe_model(ModelName=name)
    container = d.get("PrimaryContainer") or {}
    return {"arn": d.get("ModelArn"), "status": "Created", "created": _ts(d.get("CreationTime")),
            "image": container.get("Image"), "artifacts": {"model_artifact": container.get("ModelDataUrl")},
            "role_arn": d.get("ExecutionRoleArn"), "history": []}


def _endpoint(sm: Any, name: str) -> dict[str, Any]:
    d = sm.describe_endpoint(EndpointName=name)
    variants = d.get("ProductionVariants") or []
    config: dict[str, Any] = {}
    if d.get("EndpointConfigName"):
        try:
            config = sm.describe_endpoint_config(EndpointConfigName=d["EndpointConfigName"])
        except Exception:  # noqa: BLE001 - the config may be deleted already; the endpoint still shows
            config = {}
    types = {v.get("VariantName"): v.get("InstanceType") for v in config.get("ProductionVariants", [])}
    return {"arn": d.get("EndpointArn"), "status": d.get("EndpointStatus"), "failure_reason": d.get("FailureReason"),
            "created": _ts(d.get("CreationTime")), "end": _ts(d.get("LastModifiedTime")),
            "endpoint_config": d.get("EndpointConfigName"),
            "instance_type": ", ".join(sorted({t for t in types.values() if t})) or None,
            "instance_count": sum(int(v.get("CurrentInstanceCount") or 0) for v in variants) or None,
            "history": []}


def _transform(sm: Any, name: str) -> dict[str, Any]:
    d = sm.describe_transform_job(TransformJobName=name)
    res = d.get("TransformResources") or {}
    source = ((d.get("TransformInput") or {}).get("DataSource") or {}).get("S3DataSource") or {}
    return {"arn": d.get("TransformJobArn"), "status": d.get("TransformJobStatus"),
            "failure_reason": d.get("FailureReason"), "instance_type": res.get("InstanceType"),
            "instance_count": res.get("InstanceCount"), "created": _ts(d.get("CreationTime")),
            "start": _ts(d.get("TransformStartTime")), "end": _ts(d.get("TransformEndTime")),
            "artifacts": {"input": source.get("S3Uri"),
                          "output_path": (d.get("TransformOutput") or {}).get("S3OutputPath")},
            "model": d.get("ModelName"), "history": []}


def _tuning(sm: Any, name: str) -> dict[str, Any]:
    d = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    best = d.get("BestTrainingJob") or {}
    return {"arn": d.get("HyperParameterTuningJobArn"), "status": d.get("HyperParameterTuningJobStatus"),
            "failure_reason": d.get("FailureReason"), "created": _ts(d.get("CreationTime")),
            "end": _ts(d.get("HyperParameterTuningEndTime")), "best_training_job": best.get("TrainingJobName"),
            "history": []}


DESCRIBE: dict[str, Callable[[Any, str], dict[str, Any]]] = {
    "training_job": _training, "model": _model, "endpoint": _endpoint, "transform_job": _transform,
    "tuning_job": _tuning,
}


def describe(sm: Any, kind: str | None, name: str | None) -> dict[str, Any]:
    """The resource's details, or a NotFoundError that says why there are none."""
    fn = DESCRIBE.get(kind or "")
    if fn is None or not name:
        raise NotFoundError("this task has no SageMaker resource", "its Logs and Inputs/Outputs tabs show what it did")
    try:
        detail = fn(sm, name)
    except Exception as exc:
        if is_not_found(exc):
            raise NotFoundError(f"the SageMaker {kind.replace('_', ' ')} {name} does not exist (yet, or any more)",
                                "it is created when the task starts and removed by clean-up") from None
        raise translate(exc, f"describing {name}") from exc
    return {"kind": kind, "name": name, **detail}
