"""SageMaker state: training jobs, models, endpoint configs, endpoints, transform jobs, tags.

This layer knows nothing of HTTP (that is :mod:`.responses`). Each region has its own
:class:`SageMakerBackend`; every mutation holds the backend's lock, and jobs run on worker threads
(:mod:`.jobs`). ``describe()`` methods return the API's response shapes with epoch-second times.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import errors

if TYPE_CHECKING:
    from ..gateway import Gateway

NAME_RE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


class Pace:
    """How long status transitions take (seconds, shared and changeable at run time)."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = max(0.0, float(seconds))

    @property
    def instant(self) -> bool:
        return self.seconds <= 0


def now() -> float:
    return time.time()


def check_name(value: str | None, field_name: str) -> str:
    if not value or not NAME_RE.match(value):
        raise errors.ValidationException(
            f"1 validation error detected: Value '{value}' at '{field_name}' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
    return value


@dataclass
class Resource:
    name: str
    arn: str
    tags: list[dict[str, str]] = field(default_factory=list)
    created: float = field(default_factory=now)
    modified: float = field(default_factory=now)


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
    stop_requested: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def artifact_uri(self) -> str:
        out = self.request.get("OutputDataConfig", {}).get("S3OutputPath", "").rstrip("/")
        return f"{out}/{self.name}/output/model.tar.gz"

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
        out: dict[str, Any] = {
            "TrainingJobName": self.name, "TrainingJobArn": self.arn,
            "ModelArtifacts": {"S3ModelArtifacts": self.artifact_uri} if self.status == "Completed" else
            {"S3ModelArtifacts": ""},
            "TrainingJobStatus": self.status, "SecondaryStatus": self.secondary,
            "HyperParameters": r.get("HyperParameters", {}),
            "AlgorithmSpecification": {"TrainingInputMode": "File", **r.get("AlgorithmSpecification", {})},
            "RoleArn": r.get("RoleArn"), "InputDataConfig": r.get("InputDataConfig", []),
            "OutputDataConfig": r.get("OutputDataConfig", {}), "ResourceConfig": r.get("ResourceConfig", {}),
            "StoppingCondition": r.get("StoppingCondition", {}),
            "CreationTime": self.created, "LastModifiedTime": self.modified,
            "SecondaryStatusTransitions": [dict(t) for t in self.transitions],
            "FinalMetricDataList": [dict(m) for m in self.metrics],
            "EnableNetworkIsolation": bool(r.get("EnableNetworkIsolation", False)),
            "EnableInterContainerTrafficEncryption": bool(r.get("EnableInterContainerTrafficEncryption", False)),
            "EnableManagedSpotTraining": bool(r.get("EnableManagedSpotTraining", False)),
        }
        if "VpcConfig" in r:
            out["VpcConfig"] = r["VpcConfig"]
        if self.failure_reason:
            out["FailureReason"] = self.failure_reason
        if self.started:
            out["TrainingStartTime"] = self.started
        if self.ended:
            out["TrainingEndTime"] = self.ended
            secs = max(1, round(self.ended - (self.started or self.created)))
            out["TrainingTimeInSeconds"] = secs
            out["BillableTimeInSeconds"] = secs
        return out

    def summary(self) -> dict[str, Any]:
        s = {"TrainingJobName": self.name, "TrainingJobArn": self.arn, "CreationTime": self.created,
             "LastModifiedTime": self.modified, "TrainingJobStatus": self.status}
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
    """A production variant ready to answer: its centroids and weight."""

    name: str
    weight: float
    centroids: np.ndarray
    image: str


@dataclass
class Endpoint(Resource):
    config_name: str = ""
    status: str = "Creating"
    failure_reason: str | None = None
    variants: list[LoadedVariant] = field(default_factory=list)
    variant_specs: list[dict[str, Any]] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "EndpointName": self.name, "EndpointArn": self.arn, "EndpointConfigName": self.config_name,
            "EndpointStatus": self.status, "CreationTime": self.created, "LastModifiedTime": self.modified,
        }
        if self.variants:
            out["ProductionVariants"] = [{
                "VariantName": v.name,
                "DeployedImages": [{"SpecifiedImage": v.image, "ResolvedImage": v.image,
                                    "ResolutionTime": self.modified}],
                "CurrentWeight": v.weight, "DesiredWeight": v.weight,
                "CurrentInstanceCount": int(spec.get("InitialInstanceCount", 1)),
                "DesiredInstanceCount": int(spec.get("InitialInstanceCount", 1)),
            } for v, spec in zip(self.variants, self.variant_specs, strict=False)]
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

    def describe(self) -> dict[str, Any]:
        r = self.request
        out: dict[str, Any] = {
            "TransformJobName": self.name, "TransformJobArn": self.arn, "TransformJobStatus": self.status,
            "ModelName": r.get("ModelName"), "MaxConcurrentTransforms": r.get("MaxConcurrentTransforms", 1),
            "MaxPayloadInMB": r.get("MaxPayloadInMB", 6), "BatchStrategy": r.get("BatchStrategy", "MultiRecord"),
            "Environment": r.get("Environment", {}), "TransformInput": r.get("TransformInput", {}),
            "TransformOutput": r.get("TransformOutput", {}), "TransformResources": r.get("TransformResources", {}),
            "CreationTime": self.created,
        }
        for k in ("DataProcessing", "ModelClientConfig", "ExperimentConfig"):
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


# --- listing -------------------------------------------------------------------------------------

def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"kfsm:{offset}".encode()).decode()


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        kind, _, num = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind == "kfsm":
            return int(num)
    except ValueError:
        pass
    raise errors.ValidationException(f"Invalid pagination token: {token}")


def paginate(items: list[Resource], req: dict[str, Any], status_of=None, default_sort: str = "CreationTime",
             default_order: str = "Descending") -> tuple[list[Resource], str | None]:
    """Filter, sort and page ``items`` as the List* operations do."""
    sel = list(items)
    if req.get("NameContains"):
        sel = [r for r in sel if req["NameContains"].lower() in r.name.lower()]
    if req.get("StatusEquals") and status_of is not None:
        sel = [r for r in sel if status_of(r) == req["StatusEquals"]]
    for key, attr, cmp in (("CreationTimeAfter", "created", 1), ("CreationTimeBefore", "created", -1),
                           ("LastModifiedTimeAfter", "modified", 1), ("LastModifiedTimeBefore", "modified", -1)):
        if req.get(key) is not None:
            bound = float(req[key])
            sel = [r for r in sel if (getattr(r, attr) - bound) * cmp > 0]
    sort_by = req.get("SortBy") or default_sort
    if sort_by not in ("Name", "CreationTime", "Status"):
        raise errors.ValidationException(f"1 validation error detected: Value '{sort_by}' at 'sortBy' failed to "
                                         "satisfy constraint: Member must satisfy enum value set: "
                                         "[Name, CreationTime, Status]")
    keyf = {"Name": lambda r: r.name, "CreationTime": lambda r: r.created,
            "Status": lambda r: (status_of(r) if status_of else "") or ""}[sort_by]
    sel.sort(key=keyf, reverse=(req.get("SortOrder") or default_order) == "Descending")
    max_results = int(req.get("MaxResults") or 10)
    if not 1 <= max_results <= 100:
        raise errors.ValidationException(f"1 validation error detected: Value '{max_results}' at 'maxResults' "
                                         "failed to satisfy constraint: Member must have value less than or "
                                         "equal to 100")
    start = _offset(req.get("NextToken"))
    page = sel[start:start + max_results]
    nxt = _token(start + max_results) if start + max_results < len(sel) else None
    return page, nxt


# --- the backend ---------------------------------------------------------------------------------

class SageMakerBackend:
    """All SageMaker resources of one account and region."""

    def __init__(self, account: str, region: str, gateway: Gateway, pace: Pace) -> None:
        self.account = account
        self.region = region
        self.gateway = gateway
        self.pace = pace
        self.lock = threading.RLock()
        self.training_jobs: dict[str, TrainingJob] = {}
        self.models: dict[str, Model] = {}
        self.endpoint_configs: dict[str, EndpointConfig] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self.transform_jobs: dict[str, TransformJob] = {}
        self.faults: Any = None  # a FaultTable when fault injection is wired in (see ..faults)

    def arn(self, kind: str, name: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account}:{kind}/{name.lower()}"

    def _check_role(self, role_arn: str | None) -> None:
        if not role_arn or not self.gateway.role_trusts_sagemaker(role_arn, self.account):
            raise errors.cannot_assume(role_arn or "(none)")

    def _wait_if_instant(self, event: threading.Event, timeout: float = 30.0) -> None:
        """With pace 0 a create call returns once the work is done, so callers see final states.

        Capped well below botocore's 60 s read timeout: a longer job (60k rows) answers while still
        InProgress instead of timing out into a retry that would meet ResourceInUse.
        """
        if self.pace.instant:
            event.wait(timeout)

    # --- training jobs ---------------------------------------------------------------------------
    def create_training_job(self, req: dict[str, Any]) -> TrainingJob:
        from . import jobs

        name = check_name(req.get("TrainingJobName"), "trainingJobName")
        algo = req.get("AlgorithmSpecification") or {}
        if not algo.get("TrainingImage") and not algo.get("AlgorithmName"):
            raise errors.ValidationException("Either TrainingImage or AlgorithmName must be specified in "
                                             "AlgorithmSpecification.")
        for ch in req.get("InputDataConfig") or []:
            uri = ch.get("DataSource", {}).get("S3DataSource", {}).get("S3Uri", "")
            if not uri.startswith("s3://"):
                raise errors.ValidationException(f"1 validation error detected: Value '{uri}' at "
                                                 "'inputDataConfig.dataSource.s3DataSource.s3Uri' failed to satisfy "
                                                 "constraint: Member must satisfy regular expression pattern: "
                                                 "^(https|s3)://([^/]+)/?(.*)$")
        out = (req.get("OutputDataConfig") or {}).get("S3OutputPath", "")
        if not out.startswith("s3://"):
            raise errors.ValidationException(f"1 validation error detected: Value '{out}' at "
                                             "'outputDataConfig.s3OutputPath' failed to satisfy constraint: Member "
                                             "must satisfy regular expression pattern: ^(https|s3)://([^/]+)/?(.*)$")
        self._check_role(req.get("RoleArn"))
        with self.lock:
            if name.lower() in self.training_jobs:
                arn = self.arn("training-job", name)
                raise errors.ResourceInUse("Training job names must be unique within an AWS account and region, "
                                           f"and a training job with this name already exists ({arn})")
            job = TrainingJob(name=name, arn=self.arn("training-job", name), tags=list(req.get("Tags") or []),
                              request=req)
            job.set_secondary("Starting", "Launching requested ML instances")
            self.training_jobs[name.lower()] = job
        jobs.start_training(self, job)
        self._wait_if_instant(job.done)
        return job

    def get_training_job(self, name: str) -> TrainingJob:
        job = self.training_jobs.get((name or "").lower())
        if job is None:
            raise errors.ValidationException("Requested resource not found.")
        return job

    def stop_training_job(self, name: str) -> None:
        job = self.get_training_job(name)
        with self.lock:
            if job.status != "InProgress":
                raise errors.ValidationException(f"The request was rejected because the training job is in status "
                                                 f"{job.status}.")
            job.status = "Stopping"
            job.set_secondary("Stopping", "Stopping the training job")
            job.stop_requested.set()
        self._wait_if_instant(job.done)

    # --- models ----------------------------------------------------------------------------------
    def create_model(self, req: dict[str, Any]) -> Model:
        name = check_name(req.get("ModelName"), "modelName")
        if not req.get("PrimaryContainer") and not req.get("Containers"):
            raise errors.ValidationException("Either PrimaryContainer or Containers must be specified.")
        if req.get("ExecutionRoleArn"):  # optional in the API; checked when given, as the service does
            self._check_role(req["ExecutionRoleArn"])
        with self.lock:
            if name.lower() in self.models:
                raise errors.already_exists("model", self.arn("model", name))
            model = Model(name=name, arn=self.arn("model", name), tags=list(req.get("Tags") or []), request=req)
            self.models[name.lower()] = model
        return model

    def get_model(self, name: str) -> Model:
        model = self.models.get((name or "").lower())
        if model is None:
            raise errors.not_found("model", self.arn("model", name or ""))
        return model

    def delete_model(self, name: str) -> None:
        with self.lock:
            self.get_model(name)
            del self.models[name.lower()]

    # --- endpoint configs ------------------------------------------------------------------------
    def create_endpoint_config(self, req: dict[str, Any]) -> EndpointConfig:
        name = check_name(req.get("EndpointConfigName"), "endpointConfigName")
        variants = req.get("ProductionVariants") or []
        if not variants:
            raise errors.ValidationException("1 validation error detected: Value '[]' at 'productionVariants' "
                                             "failed to satisfy constraint: Member must have length greater than "
                                             "or equal to 1")
        with self.lock:
            for v in variants:
                self.get_model(v.get("ModelName", ""))
            if name.lower() in self.endpoint_configs:
                raise errors.already_exists("endpoint configuration", self.arn("endpoint-config", name))
            cfg = EndpointConfig(name=name, arn=self.arn("endpoint-config", name), tags=list(req.get("Tags") or []),
                                 request=req)
            self.endpoint_configs[name.lower()] = cfg
        return cfg

    def get_endpoint_config(self, name: str) -> EndpointConfig:
        cfg = self.endpoint_configs.get((name or "").lower())
        if cfg is None:
            raise errors.not_found("endpoint configuration", self.arn("endpoint-config", name or ""))
        return cfg

    def delete_endpoint_config(self, name: str) -> None:
        with self.lock:
            self.get_endpoint_config(name)
            del self.endpoint_configs[name.lower()]

    # --- endpoints -------------------------------------------------------------------------------
    def create_endpoint(self, req: dict[str, Any]) -> Endpoint:
        from . import jobs

        name = check_name(req.get("EndpointName"), "endpointName")
        with self.lock:
            cfg = self.get_endpoint_config(req.get("EndpointConfigName", ""))
            if name.lower() in self.endpoints:
                raise errors.already_exists("endpoint", self.arn("endpoint", name))
            ep = Endpoint(name=name, arn=self.arn("endpoint", name), tags=list(req.get("Tags") or []),
                          config_name=cfg.name)
            self.endpoints[name.lower()] = ep
        jobs.start_endpoint(self, ep, cfg, updating=False)
        self._wait_if_instant(ep.ready)
        return ep

    def get_endpoint(self, name: str) -> Endpoint:
        ep = self.endpoints.get((name or "").lower())
        if ep is None:
            raise errors.not_found("endpoint", self.arn("endpoint", name or ""))
        return ep

    def update_endpoint(self, req: dict[str, Any]) -> Endpoint:
        from . import jobs

        with self.lock:
            ep = self.get_endpoint(req.get("EndpointName", ""))
            cfg = self.get_endpoint_config(req.get("EndpointConfigName", ""))
            if ep.status != "InService":
                raise errors.ValidationException(f'Cannot update in-progress endpoint "{ep.arn}".')
            ep.status = "Updating"
            ep.modified = now()
            ep.ready = threading.Event()
        jobs.start_endpoint(self, ep, cfg, updating=True)
        self._wait_if_instant(ep.ready)
        return ep

    def delete_endpoint(self, name: str) -> None:
        from . import jobs

        with self.lock:
            ep = self.get_endpoint(name)
            if ep.status == "Deleting":
                raise errors.ValidationException(f'Cannot update in-progress endpoint "{ep.arn}".')
            ep.status = "Deleting"
            ep.modified = now()
        if self.pace.instant:
            with self.lock:
                self.endpoints.pop(name.lower(), None)
        else:
            jobs.start_endpoint_deletion(self, ep)

    # --- transform jobs --------------------------------------------------------------------------
    def create_transform_job(self, req: dict[str, Any]) -> TransformJob:
        from . import jobs

        name = check_name(req.get("TransformJobName"), "transformJobName")
        strategy = req.get("BatchStrategy")
        if strategy and strategy not in ("MultiRecord", "SingleRecord"):
            raise errors.ValidationException(f"1 validation error detected: Value '{strategy}' at 'batchStrategy' "
                                             "failed to satisfy constraint: Member must satisfy enum value set: "
                                             "[MultiRecord, SingleRecord]")
        with self.lock:
            self.get_model(req.get("ModelName", ""))
            if name.lower() in self.transform_jobs:
                arn = self.arn("transform-job", name)
                raise errors.ResourceInUse("Job name must be unique within an AWS account and region, and a job "
                                           f"with this name already exists ({arn})")
            job = TransformJob(name=name, arn=self.arn("transform-job", name), tags=list(req.get("Tags") or []),
                               request=req)
            self.transform_jobs[name.lower()] = job
        jobs.start_transform(self, job)
        self._wait_if_instant(job.done)
        return job

    def get_transform_job(self, name: str) -> TransformJob:
        job = self.transform_jobs.get((name or "").lower())
        if job is None:
            raise errors.ValidationException(f"Could not find requested job with name {name}")
        return job

    def stop_transform_job(self, name: str) -> None:
        job = self.get_transform_job(name)
        with self.lock:
            if job.status != "InProgress":
                raise errors.ValidationException(f"The request was rejected because the transform job is in status "
                                                 f"{job.status}.")
            job.status = "Stopping"
            job.modified = now()
            job.stop_requested.set()
        self._wait_if_instant(job.done)

    # --- tags ------------------------------------------------------------------------------------
    def _by_arn(self, arn: str) -> Resource:
        for coll in (self.training_jobs, self.models, self.endpoint_configs, self.endpoints, self.transform_jobs):
            for res in coll.values():
                if res.arn == arn:
                    return res
        raise errors.ValidationException(f"Resource {arn} not found")

    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
        with self.lock:
            res = self._by_arn(arn)
            merged = {t["Key"]: t.get("Value", "") for t in res.tags}
            merged.update({t["Key"]: t.get("Value", "") for t in tags})
            if len(merged) > 50:
                raise errors.ResourceLimitExceeded(f"Resource {arn} cannot have more than 50 tags")
            res.tags = [{"Key": k, "Value": v} for k, v in merged.items()]
            return tags

    def list_tags(self, arn: str) -> list[dict[str, str]]:
        with self.lock:
            return [dict(t) for t in self._by_arn(arn).tags]

    def delete_tags(self, arn: str, keys: list[str]) -> None:
        with self.lock:
            res = self._by_arn(arn)
            res.tags = [t for t in res.tags if t["Key"] not in set(keys)]
