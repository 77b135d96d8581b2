"""The SageMaker resources the local cloud keeps, each able to describe itself in the API's shapes.

Plain data: no HTTP, no threads started here. ``describe()``/``summary()`` return the response
shapes with epoch-second times; ``to_state()``/``from_state()`` give the JSON-ready form kept
across a local cloud restart (events and loaded models are rebuilt, never saved).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np

from ..kmeans import METRIC_DEFINITIONS


def now() -> float:
    return time.time()


@dataclass
class Resource:
    name: str
    arn: str
    tags: list[dict[str, str]] = field(default_factory=list)
    created: float = field(default_factory=now)
    modified: float = field(default_factory=now)
    # a describe has shown the resource in its current interim state (see jobs.UNSEEN_SECONDS); cleared on
    # each move to a new interim state (Stopping, Updating)
    seen: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    TRANSIENT: ClassVar[tuple[str, ...]] = ()  # a kind's fields kept in memory only (``seen`` is every kind's)

    @classmethod
    def _kept(cls) -> set[str]:
        """The fields that go into the saved state."""
        return {f.name for f in dataclasses.fields(cls)} - set(cls.TRANSIENT) - {"seen"}

    def to_state(self) -> dict[str, Any]:
        kept = self._kept()
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name in kept}

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Self:
        kept = cls._kept()
        return cls(**{k: v for k, v in data.items() if k in kept})


def channel_defaults(channel: dict[str, Any]) -> dict[str, Any]:
    """An InputDataConfig channel with the defaults DescribeTrainingJob reports filled in."""
    out = dict(channel)
    src = dict(out.get("DataSource", {}).get("S3DataSource", {}))
    if src:
        src.setdefault("S3DataDistributionType", "FullyReplicated")
        out["DataSource"] = {**out["DataSource"], "S3DataSource": src}
    out.setdefault("CompressionType", "None")
    out.setdefault("RecordWrapperType", "None")
    return out


@dataclass
class TrainingJob(Resource):
    request: dict[str, Any] = field(default_factory=dict)
    status: str = "InProgress"
    secondary: str = "Starting"
    failure_reason: str | None = None
    transitions: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    started: float | None = None
    ended: float | None = None
    tuning_job: str | None = None  # the ARN of the tuning job that launched it, if any
    progress: list[float] = field(default_factory=list)  # per-epoch progress metric (early stopping reads it)
    stop_requested: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    TRANSIENT: ClassVar[tuple[str, ...]] = ("stop_requested", "done")

    @property
    def artifact_uri(self) -> str:
        out = self.request.get("OutputDataConfig", {}).get("S3OutputPath", "").rstrip("/")
        return f"{out}/{self.name}/output/model.tar.gz"

    @property
    def instance_count(self) -> int:
        try:
            return max(1, int(self.request.get("ResourceConfig", {}).get("InstanceCount", 1)))
        except (TypeError, ValueError):
            return 1

    @property
    def log_streams(self) -> list[str]:
        """One stream per host, as SageMaker writes them: ``<job>/algo-<n>-<epoch>``."""
        return [f"{self.name}/algo-{i}-{int(self.created)}" for i in range(1, self.instance_count + 1)]

    def set_secondary(self, status: str, message: str) -> None:
        t = now()
        if self.transitions and "EndTime" not in self.transitions[-1]:
            self.transitions[-1]["EndTime"] = t
        self.transitions.append({"Status": status, "StartTime": t, "StatusMessage": message})
        self.secondary = status
        self.modified = t

    def finish(self, status: str, message: str, reason: str | None = None) -> None:
        self.set_secondary(status, message)
        self.transitions[-1]["EndTime"] = self.transitions[-1]["StartTime"]
        self.status = status
        self.failure_reason = reason
        self.ended = now()
        self.modified = self.ended

    def describe(self) -> dict[str, Any]:
        r = self.request
        algo = {"TrainingInputMode": "File", **r.get("AlgorithmSpecification", {})}
        if "MetricDefinitions" not in algo:
            algo["MetricDefinitions"] = [dict(m) for m in METRIC_DEFINITIONS]
        algo.setdefault("EnableSageMakerMetricsTimeSeries", False)
        resources = {"VolumeSizeInGB": 30, "InstanceCount": 1, **r.get("ResourceConfig", {})}
        out: dict[str, Any] = {
            "TrainingJobName": self.name, "TrainingJobArn": self.arn,
            "ModelArtifacts": {"S3ModelArtifacts": self.artifact_uri if self.status == "Completed" else ""},
            "TrainingJobStatus": self.status, "SecondaryStatus": self.secondary,
            "HyperParameters": r.get("HyperParameters", {}),
            "AlgorithmSpecification": algo,
            "RoleArn": r.get("RoleArn"),
            "InputDataConfig": [channel_defaults(c) for c in r.get("InputDataConfig", [])],
            "OutputDataConfig": {"KmsKeyId": "", **r.get("OutputDataConfig", {})},
            "ResourceConfig": resources,
            "StoppingCondition": r.get("StoppingCondition", {}),
            "CreationTime": self.created, "LastModifiedTime": self.modified,
            "SecondaryStatusTransitions": [dict(t) for t in self.transitions],
            "FinalMetricDataList": [dict(m) for m in self.metrics],
            "EnableNetworkIsolation": bool(r.get("EnableNetworkIsolation", False)),
            "EnableInterContainerTrafficEncryption": bool(r.get("EnableInterContainerTrafficEncryption", False)),
            "EnableManagedSpotTraining": bool(r.get("EnableManagedSpotTraining", False)),
        }
        if self.tuning_job:
            out["TuningJobArn"] = self.tuning_job
        for k in ("VpcConfig", "CheckpointConfig", "DebugHookConfig", "ExperimentConfig", "Environment",
                  "RetryStrategy"):
            if k in r:
                out[k] = r[k]
        if self.failure_reason:
            out["FailureReason"] = self.failure_reason
        if self.started:
            out["TrainingStartTime"] = self.started
        if self.ended:
            out["TrainingEndTime"] = self.ended
            secs = max(1, round(self.ended - (self.started or self.created)))
            out["TrainingTimeInSeconds"] = secs
            out["BillableTimeInSeconds"] = secs * self.instance_count
        return out

    def summary(self) -> dict[str, Any]:
        s = {"TrainingJobName": self.name, "TrainingJobArn": self.arn, "CreationTime": self.created,
             "LastModifiedTime": self.modified, "TrainingJobStatus": self.status,
             "SecondaryStatus": self.secondary}
        if self.ended:
            s["TrainingEndTime"] = self.ended
        return s


@dataclass
class Model(Resource):
    request: dict[str, Any] = field(default_factory=dict)

    @property
    def containers(self) -> list[dict[str, Any]]:
        r = self.request
        return [r["PrimaryContainer"]] if r.get("PrimaryContainer") else list(r.get("Containers", []))

    def describe(self) -> dict[str, Any]:
        out = {"ModelName": self.name, "ModelArn": self.arn, "CreationTime": self.created,
               "EnableNetworkIsolation": bool(self.request.get("EnableNetworkIsolation", False))}
        for k in ("PrimaryContainer", "Containers", "ExecutionRoleArn", "VpcConfig", "InferenceExecutionConfig"):
            if k in self.request:
                out[k] = self.request[k]
        return out

    def summary(self) -> dict[str, Any]:
        return {"ModelName": self.name, "ModelArn": self.arn, "CreationTime": self.created}


@dataclass
class EndpointConfig(Resource):
    request: dict[str, Any] = field(default_factory=dict)

    @property
    def variants(self) -> list[dict[str, Any]]:
        return [{"InitialVariantWeight": 1.0, **v} for v in self.request.get("ProductionVariants", [])]

    def describe(self) -> dict[str, Any]:
        out = {"EndpointConfigName": self.name, "EndpointConfigArn": self.arn,
               "ProductionVariants": self.variants, "CreationTime": self.created}
        for k in ("DataCaptureConfig", "KmsKeyId", "AsyncInferenceConfig"):
            if k in self.request:
                out[k] = self.request[k]
        return out

    def summary(self) -> dict[str, Any]:
        return {"EndpointConfigName": self.name, "EndpointConfigArn": self.arn, "CreationTime": self.created}


@dataclass
class LoadedVariant:
    """A production variant ready to answer: its centroids and weight (in memory only)."""

    name: str
    weight: float
    centroids: np.ndarray
    image: str


@dataclass
class Endpoint(Resource):
    config_name: str = ""
    status: str = "Creating"
    failure_reason: str | None = None
    variant_specs: list[dict[str, Any]] = field(default_factory=list)  # the config's variants in service
    images: list[str] = field(default_factory=list)  # one per variant in service
    variants: list[LoadedVariant] = field(default_factory=list)  # loaded models; rebuilt after a restart
    ready: threading.Event = field(default_factory=threading.Event)
    load_lock: threading.Lock = field(default_factory=threading.Lock)

    TRANSIENT: ClassVar[tuple[str, ...]] = ("variants", "ready", "load_lock")

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "EndpointName": self.name, "EndpointArn": self.arn, "EndpointConfigName": self.config_name,
            "EndpointStatus": self.status, "CreationTime": self.created, "LastModifiedTime": self.modified,
        }
        if self.variant_specs:
            out["ProductionVariants"] = [{
                "VariantName": spec.get("VariantName", "AllTraffic"),
                "DeployedImages": [{"SpecifiedImage": image, "ResolvedImage": image, "ResolutionTime": self.modified}],
                "CurrentWeight": float(spec.get("InitialVariantWeight", 1.0)),
                "DesiredWeight": float(spec.get("InitialVariantWeight", 1.0)),
                "CurrentInstanceCount": int(spec.get("InitialInstanceCount", 1)),
                "DesiredInstanceCount": int(spec.get("InitialInstanceCount", 1)),
            } for spec, image in zip(self.variant_specs, self.images, strict=False)]
        if self.failure_reason:
            out["FailureReason"] = self.failure_reason
        return out

    def summary(self) -> dict[str, Any]:
        return {"EndpointName": self.name, "EndpointArn": self.arn, "CreationTime": self.created,
                "LastModifiedTime": self.modified, "EndpointStatus": self.status}


@dataclass
class TransformJob(Resource):
    request: dict[str, Any] = field(default_factory=dict)
    status: str = "InProgress"
    failure_reason: str | None = None
    started: float | None = None
    ended: float | None = None
    stop_requested: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    TRANSIENT: ClassVar[tuple[str, ...]] = ("stop_requested", "done")

    @property
    def instance_count(self) -> int:
        try:
            return max(1, int(self.request.get("TransformResources", {}).get("InstanceCount", 1)))
        except (TypeError, ValueError):
            return 1

    def describe(self) -> dict[str, Any]:
        r = self.request
        tin = dict(r.get("TransformInput", {}))
        tin.setdefault("CompressionType", "None")
        tin.setdefault("SplitType", "None")
        out: dict[str, Any] = {
            "TransformJobName": self.name, "TransformJobArn": self.arn, "TransformJobStatus": self.status,
            "ModelName": r.get("ModelName"), "MaxConcurrentTransforms": r.get("MaxConcurrentTransforms", 1),
            "MaxPayloadInMB": r.get("MaxPayloadInMB", 6), "BatchStrategy": r.get("BatchStrategy", "MultiRecord"),
            "Environment": r.get("Environment", {}), "TransformInput": tin,
            "TransformOutput": {"AssembleWith": "None", **r.get("TransformOutput", {})},
            "TransformResources": r.get("TransformResources", {}),
            "CreationTime": self.created,
        }
        for k in ("DataProcessing", "ModelClientConfig", "ExperimentConfig", "DataCaptureConfig"):
            if k in r:
                out[k] = r[k]
        if self.failure_reason:
            out["FailureReason"] = self.failure_reason
        if self.started:
            out["TransformStartTime"] = self.started
        if self.ended:
            out["TransformEndTime"] = self.ended
        return out

    def summary(self) -> dict[str, Any]:
        s = {"TransformJobName": self.name, "TransformJobArn": self.arn, "CreationTime": self.created,
             "LastModifiedTime": self.modified, "TransformJobStatus": self.status}
        if self.ended:
            s["TransformEndTime"] = self.ended
        if self.failure_reason:
            s["FailureReason"] = self.failure_reason
        return s


@dataclass
class TuningJob(Resource):
    """A hyperparameter tuning job; its trials are training jobs named ``<name>-<nnn>-<8 hex>``."""

    request: dict[str, Any] = field(default_factory=dict)
    status: str = "InProgress"
    failure_reason: str | None = None
    ended: float | None = None
    trials: list[str] = field(default_factory=list)  # training job names, in launch order
    early_stopped: list[str] = field(default_factory=list)  # trials the tuner stopped (early stopping)
    stop_requested: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    TRANSIENT: ClassVar[tuple[str, ...]] = ("stop_requested", "done")

    @property
    def config(self) -> dict[str, Any]:
        return self.request.get("HyperParameterTuningJobConfig", {})

    @property
    def max_parallel(self) -> int:
        """How many trials may run at once (``ResourceLimits.MaxParallelTrainingJobs``, at least 1)."""
        return max(1, int((self.config.get("ResourceLimits") or {}).get("MaxParallelTrainingJobs") or 1))

    @property
    def objective(self) -> dict[str, Any]:
        return self.config.get("HyperParameterTuningJobObjective") or {}

    @property
    def tuned_names(self) -> list[str]:
        ranges = self.config.get("ParameterRanges") or {}
        return [r["Name"] for kind in ("IntegerParameterRanges", "ContinuousParameterRanges",
                                       "CategoricalParameterRanges") for r in ranges.get(kind) or []]

    def objective_value(self, trial: TrainingJob) -> float | None:
        name = self.objective.get("MetricName")
        for m in trial.metrics:
            if m["MetricName"] == name:
                return float(m["Value"])
        return None

    def trial_summary(self, trial: TrainingJob) -> dict[str, Any]:
        hp = trial.request.get("HyperParameters", {})
        out: dict[str, Any] = {
            "TrainingJobName": trial.name, "TrainingJobArn": trial.arn, "TuningJobName": self.name,
            "CreationTime": trial.created, "TrainingJobStatus": trial.status,
            "TunedHyperParameters": {n: hp[n] for n in self.tuned_names if n in hp},
            "ObjectiveStatus": self.objective_status(trial),
        }
        if trial.started:
            out["TrainingStartTime"] = trial.started
        if trial.ended:
            out["TrainingEndTime"] = trial.ended
        if trial.failure_reason:
            out["FailureReason"] = trial.failure_reason
        value = self.objective_value(trial)
        if value is not None:
            out["FinalHyperParameterTuningJobObjectiveMetric"] = {
                "Type": self.objective.get("Type", "Minimize"), "MetricName": self.objective["MetricName"],
                "Value": value}
        return out

    def objective_status(self, trial: TrainingJob) -> str:
        if trial.status in ("InProgress", "Stopping"):
            return "Pending"
        return "Succeeded" if self.objective_value(trial) is not None else "Failed"

    def best(self, trials: list[TrainingJob]) -> TrainingJob | None:
        scored = [(self.objective_value(t), t) for t in trials if t.status in ("Completed", "Stopped")]
        scored = [(v, t) for v, t in scored if v is not None]
        if not scored:
            return None
        sign = -1.0 if self.objective.get("Type") == "Maximize" else 1.0
        return min(scored, key=lambda vt: (sign * vt[0], vt[1].created))[1]

    def counters(self, trials: list[TrainingJob]) -> tuple[dict[str, int], dict[str, int]]:
        status = {"Completed": 0, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0, "Stopped": 0}
        objective = {"Succeeded": 0, "Pending": 0, "Failed": 0}
        for t in trials:
            key = {"Completed": "Completed", "InProgress": "InProgress", "Stopping": "InProgress",
                   "Stopped": "Stopped", "Failed": "NonRetryableError"}.get(t.status, "InProgress")
            status[key] += 1
            objective[self.objective_status(t)] += 1
        return status, objective

    def describe(self, trials: list[TrainingJob]) -> dict[str, Any]:
        config = {"TrainingJobEarlyStoppingType": "Off", **self.config}
        status, objective = self.counters(trials)
        out: dict[str, Any] = {
            "HyperParameterTuningJobName": self.name, "HyperParameterTuningJobArn": self.arn,
            "HyperParameterTuningJobConfig": config,
            "HyperParameterTuningJobStatus": self.status, "CreationTime": self.created,
            "LastModifiedTime": self.modified,
            "TrainingJobStatusCounters": status, "ObjectiveStatusCounters": objective,
        }
        for k in ("TrainingJobDefinition", "TrainingJobDefinitions", "WarmStartConfig", "Autotune"):
            if k in self.request:
                out[k] = self.request[k]
        best = self.best(trials)
        if best is not None:
            out["BestTrainingJob"] = self.trial_summary(best)
        if self.ended:
            out["HyperParameterTuningEndTime"] = self.ended
            out["ConsumedResources"] = {"RuntimeInSeconds": max(1, round(self.ended - self.created))}
        if self.failure_reason:
            out["FailureReason"] = self.failure_reason
        return out

    def summary(self, trials: list[TrainingJob]) -> dict[str, Any]:
        status, objective = self.counters(trials)
        out: dict[str, Any] = {
            "HyperParameterTuningJobName": self.name, "HyperParameterTuningJobArn": self.arn,
            "HyperParameterTuningJobStatus": self.status, "Strategy": self.config.get("Strategy"),
            "CreationTime": self.created, "LastModifiedTime": self.modified,
            "TrainingJobStatusCounters": status, "ObjectiveStatusCounters": objective,
            "ResourceLimits": self.config.get("ResourceLimits", {}),
        }
        if self.ended:
            out["HyperParameterTuningEndTime"] = self.ended
        return out
