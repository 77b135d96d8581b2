"""SageMaker state of one account and region: the resources, their rules, and what a restart keeps.

This layer knows nothing of HTTP (that is :mod:`.responses`) and does no work itself: it is built
with a :class:`Runner` (worker threads, :mod:`.jobs`) and the cloud's fault table, and hands
work to the runner. Every read and write holds the backend's lock; ``describe_*``/``list_*``
return the API's response shapes with epoch-second times.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any, Protocol

from . import errors, tuning
from .registry import Registry, listing, page, select
from .resources import (
    Endpoint,
    EndpointConfig,
    LoadedVariant,
    Model,
    Resource,
    TrainingJob,
    TransformJob,
    TuningJob,
    now,
)
from .search import Space

if TYPE_CHECKING:
    from ..faults import FaultTable
    from ..gateway import Gateway

NAME_RE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
RESTART_REASON = ("InternalServerError: The local cloud was stopped while this job was {status} (restarted at "
                  "{when}); its work was lost. Start the job again under a new name.")


def _shown(res: TrainingJob | TransformJob | Endpoint) -> dict[str, Any]:
    """A describe's answer; the resource's worker may leave its interim state once one has shown it."""
    out = res.describe()
    res.seen.set()
    return out


class Pace:
    """How long status transitions take (seconds, shared and changeable at run time)."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = max(0.0, float(seconds))

    @property
    def instant(self) -> bool:
        return self.seconds <= 0


class Runner(Protocol):
    """What does the work behind the API: training, endpoint bring-up, transforms, tuning."""

    def start_training(self, backend: SageMakerBackend, job: TrainingJob) -> None: ...
    def start_endpoint(self, backend: SageMakerBackend, ep: Endpoint, cfg: EndpointConfig,
                       updating: bool) -> None: ...
    def start_endpoint_deletion(self, backend: SageMakerBackend, ep: Endpoint) -> None: ...
    def start_transform(self, backend: SageMakerBackend, job: TransformJob) -> None: ...
    def start_tuning(self, backend: SageMakerBackend, job: TuningJob, space: Space) -> None: ...
    def load_variants(self, backend: SageMakerBackend, specs: list[dict[str, Any]]) -> list[LoadedVariant]: ...


def check_name(value: Any, field_name: str) -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise errors.ValidationException(
            f"1 validation error detected: Value '{value}' at '{field_name}' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
    return value


def _s3_uri(uri: Any, field_name: str) -> None:
    if not isinstance(uri, str) or not re.match(r"^(https|s3)://([^/]+)/?(.*)$", uri):
        raise errors.ValidationException(f"1 validation error detected: Value '{uri}' at '{field_name}' failed to "
                                         "satisfy constraint: Member must satisfy regular expression pattern: "
                                         "^(https|s3)://([^/]+)/?(.*)$")


class SageMakerBackend:
    """All SageMaker resources of one account and region."""

    def __init__(self, account: str, region: str, gateway: Gateway, pace: Pace, runner: Runner,
                 faults: FaultTable) -> None:
        self.account = account
        self.region = region
        self.gateway = gateway
        self.pace = pace
        self.runner = runner
        self.faults = faults
        self.lock = threading.RLock()
        arn = self.arn
        self.training_jobs: Registry[TrainingJob] = Registry(
            "training-job", lambda n, a: errors.ValidationException("Requested resource not found."),
            lambda n, a: errors.ResourceInUse("Training job names must be unique within an AWS account and region, "
                                              f"and a training job with this name already exists ({a})"),
            status_of=lambda r: r.status)
        self.models: Registry[Model] = Registry(
            "model", lambda n, a: errors.not_found("model", arn("model", n)),
            lambda n, a: errors.already_exists("model", a))
        self.endpoint_configs: Registry[EndpointConfig] = Registry(
            "endpoint-config", lambda n, a: errors.not_found("endpoint configuration", arn("endpoint-config", n)),
            lambda n, a: errors.already_exists("endpoint configuration", a))
        self.endpoints: Registry[Endpoint] = Registry(
            "endpoint", lambda n, a: errors.not_found("endpoint", arn("endpoint", n)),
            lambda n, a: errors.already_exists("endpoint", a), status_of=lambda r: r.status)
        self.transform_jobs: Registry[TransformJob] = Registry(
            "transform-job", lambda n, a: errors.ValidationException(f"Could not find requested job with name {n}"),
            lambda n, a: errors.ResourceInUse("Job name must be unique within an AWS account and region, and a job "
                                              f"with this name already exists ({a})"),
            status_of=lambda r: r.status)
        self.tuning_jobs: Registry[TuningJob] = Registry(
            "hyper-parameter-tuning-job",
            lambda n, a: errors.ResourceNotFound(f"Amazon SageMaker can't find a tuning job with name {n}"),
            lambda n, a: errors.ResourceInUse(f"Hyperparameter tuning job names must be unique within an AWS account "
                                              f"and region, and a tuning job with this name already exists ({a})"),
            status_of=lambda r: r.status)

    @property
    def registries(self) -> tuple[Registry, ...]:
        return (self.training_jobs, self.models, self.endpoint_configs, self.endpoints, self.transform_jobs,
                self.tuning_jobs)

    def arn(self, kind: str, name: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account}:{kind}/{name.lower()}"

    def _check_role(self, role_arn: str | None) -> None:
        """SageMaker must be able to assume the role; a brand-new one may not be yet (IAM propagation)."""
        if not role_arn or not self.gateway.role_trusts_sagemaker(role_arn, self.account):
            raise errors.cannot_assume(role_arn or "(none)")
        if self.faults.iam_propagation_seconds() > 0:
            created = self.gateway.client("iam").get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]["CreateDate"]
            if self.faults.role_not_yet_assumable(now() - created.timestamp()):
                raise errors.cannot_assume(role_arn)

    # --- training jobs ---------------------------------------------------------------------------
    def create_training_job(self, req: dict[str, Any]) -> TrainingJob:
        return self.new_training_job(req)

    def new_training_job(self, req: dict[str, Any], tuning_arn: str | None = None) -> TrainingJob:
        """Validate, register and start a training job (a tuning job's trials come this way too)."""
        name = check_name(req.get("TrainingJobName"), "trainingJobName")
        algo = req.get("AlgorithmSpecification") or {}
        if not algo.get("TrainingImage") and not algo.get("AlgorithmName"):
            raise errors.ValidationException("Either TrainingImage or AlgorithmName must be specified in "
                                             "AlgorithmSpecification.")
        for ch in req.get("InputDataConfig") or []:
            _s3_uri(ch.get("DataSource", {}).get("S3DataSource", {}).get("S3Uri", ""),
                    "inputDataConfig.dataSource.s3DataSource.s3Uri")
        _s3_uri((req.get("OutputDataConfig") or {}).get("S3OutputPath", ""), "outputDataConfig.s3OutputPath")
        self._check_role(req.get("RoleArn"))
        with self.lock:
            job = TrainingJob(name=name, arn=self.arn("training-job", name), tags=list(req.get("Tags") or []),
                              request=req, tuning_job=tuning_arn)
            self.training_jobs.add(job)
            job.set_secondary("Starting", "Launching requested ML instances")
            if tuning_arn:  # a trial: its tuning job watches it, no caller waits to see it start
                job.seen.set()
        self.runner.start_training(self, job)
        return job

    def describe_training_job(self, name: str) -> dict[str, Any]:
        with self.lock:
            return _shown(self.training_jobs.get(name))

    def list_training_jobs(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return listing(self.training_jobs, req, "TrainingJobSummaries", TrainingJob.summary)

    @staticmethod
    def _stopping(job: Any, kind: str) -> Any:
        """Move an InProgress job to Stopping and signal its worker (the service refuses any other status)."""
        if job.status != "InProgress":
            raise errors.ValidationException(f"The request was rejected because the {kind} job is in status "
                                             f"{job.status}.")
        job.status = "Stopping"
        job.modified = now()
        job.seen.clear()
        job.stop_requested.set()
        return job

    def stop_training_job(self, name: str) -> None:
        with self.lock:
            job = self._stopping(self.training_jobs.get(name), "training")
            job.set_secondary("Stopping", "Stopping the training job")

    # --- models ----------------------------------------------------------------------------------
    def create_model(self, req: dict[str, Any]) -> Model:
        name = check_name(req.get("ModelName"), "modelName")
        if not req.get("PrimaryContainer") and not req.get("Containers"):
            raise errors.ValidationException("Either PrimaryContainer or Containers must be specified.")
        if req.get("ExecutionRoleArn"):  # optional in the API; checked when given, as the service does
            self._check_role(req["ExecutionRoleArn"])
        with self.lock:
            return self.models.add(Model(name=name, arn=self.arn("model", name), tags=list(req.get("Tags") or []),
                                         request=req))

    def describe_model(self, name: str) -> dict[str, Any]:
        with self.lock:
            return self.models.get(name).describe()

    def list_models(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return listing(self.models, req, "Models", Model.summary)

    def delete_model(self, name: str) -> None:
        with self.lock:
            self.models.remove(name)

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
                self.models.get(v.get("ModelName", ""))
            return self.endpoint_configs.add(EndpointConfig(name=name, arn=self.arn("endpoint-config", name),
                                                            tags=list(req.get("Tags") or []), request=req))

    def describe_endpoint_config(self, name: str) -> dict[str, Any]:
        with self.lock:
            return self.endpoint_configs.get(name).describe()

    def list_endpoint_configs(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return listing(self.endpoint_configs, req, "EndpointConfigs", EndpointConfig.summary)

    def delete_endpoint_config(self, name: str) -> None:
        with self.lock:
            self.endpoint_configs.remove(name)

    # --- endpoints -------------------------------------------------------------------------------
    def create_endpoint(self, req: dict[str, Any]) -> Endpoint:
        name = check_name(req.get("EndpointName"), "endpointName")
        with self.lock:
            cfg = self.endpoint_configs.get(req.get("EndpointConfigName", ""))
            ep = self.endpoints.add(Endpoint(name=name, arn=self.arn("endpoint", name),
                                             tags=list(req.get("Tags") or []), config_name=cfg.name))
        self.runner.start_endpoint(self, ep, cfg, False)
        return ep

    def describe_endpoint(self, name: str) -> dict[str, Any]:
        with self.lock:
            return _shown(self.endpoints.get(name))

    def list_endpoints(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return listing(self.endpoints, req, "Endpoints", Endpoint.summary)

    def update_endpoint(self, req: dict[str, Any]) -> Endpoint:
        with self.lock:
            ep = self.endpoints.get(req.get("EndpointName", ""))
            cfg = self.endpoint_configs.get(req.get("EndpointConfigName", ""))
            if ep.status != "InService":
                raise errors.ValidationException(f'Cannot update in-progress endpoint "{ep.arn}".')
            ep.status = "Updating"
            ep.modified = now()
            ep.seen.clear()
            ep.ready = threading.Event()
        self.runner.start_endpoint(self, ep, cfg, True)
        return ep

    def delete_endpoint(self, name: str) -> None:
        with self.lock:
            ep = self.endpoints.get(name)
            if ep.status == "Deleting":
                raise errors.ValidationException(f'Cannot update in-progress endpoint "{ep.arn}".')
            ep.status = "Deleting"
            ep.modified = now()
            if self.pace.instant:
                self.endpoints.discard(ep)
                return
        self.runner.start_endpoint_deletion(self, ep)

    def serving_variants(self, name: str) -> tuple[Endpoint, list[LoadedVariant]]:
        """The endpoint and its loaded models; after a restart the models are re-read from S3 on first use."""
        with self.lock:
            ep = self.endpoints.get(name)
            variants, specs = ep.variants, list(ep.variant_specs)
            ready = ep.status in ("InService", "Updating")
        if ready and not variants and specs:
            with ep.load_lock:
                if not ep.variants:
                    loaded = self.runner.load_variants(self, specs)
                    with self.lock:
                        ep.variants = loaded
            variants = ep.variants
        return ep, variants

    # --- transform jobs --------------------------------------------------------------------------
    def create_transform_job(self, req: dict[str, Any]) -> TransformJob:
        name = check_name(req.get("TransformJobName"), "transformJobName")
        strategy = req.get("BatchStrategy")
        if strategy and strategy not in ("MultiRecord", "SingleRecord"):
            raise errors.ValidationException(f"1 validation error detected: Value '{strategy}' at 'batchStrategy' "
                                             "failed to satisfy constraint: Member must satisfy enum value set: "
                                             "[MultiRecord, SingleRecord]")
        with self.lock:
            self.models.get(req.get("ModelName", ""))
            job = self.transform_jobs.add(TransformJob(name=name, arn=self.arn("transform-job", name),
                                                       tags=list(req.get("Tags") or []), request=req))
        self.runner.start_transform(self, job)
        return job

    def describe_transform_job(self, name: str) -> dict[str, Any]:
        with self.lock:
            return _shown(self.transform_jobs.get(name))

    def list_transform_jobs(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return listing(self.transform_jobs, req, "TransformJobSummaries", TransformJob.summary)

    def stop_transform_job(self, name: str) -> None:
        with self.lock:
            self._stopping(self.transform_jobs.get(name), "transform")

    # --- hyperparameter tuning jobs --------------------------------------------------------------
    def create_tuning_job(self, req: dict[str, Any]) -> TuningJob:
        space = tuning.validate_request(req)
        self._check_role(req["TrainingJobDefinition"].get("RoleArn"))
        name = req["HyperParameterTuningJobName"]
        with self.lock:
            job = self.tuning_jobs.add(TuningJob(name=name, arn=self.arn("hyper-parameter-tuning-job", name),
                                                 tags=list(req.get("Tags") or []), request=req))
        self.runner.start_tuning(self, job, space)
        return job

    def _trials(self, job: TuningJob) -> list[TrainingJob]:
        return [t for n in job.trials if (t := self.training_jobs.find(n)) is not None]

    def describe_tuning_job(self, name: str) -> dict[str, Any]:
        with self.lock:
            job = self.tuning_jobs.get(name)
            return job.describe(self._trials(job))

    def list_tuning_jobs(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return listing(self.tuning_jobs, req, "HyperParameterTuningJobSummaries",
                           lambda j: j.summary(self._trials(j)))

    def stop_tuning_job(self, name: str) -> None:
        with self.lock:
            self._stopping(self.tuning_jobs.get(name), "tuning")

    def list_trials(self, req: dict[str, Any]) -> dict[str, Any]:
        """ListTrainingJobsForHyperParameterTuningJob."""
        with self.lock:
            job = self.tuning_jobs.get(req.get("HyperParameterTuningJobName"))
            sign = -1.0 if job.objective.get("Type") == "Maximize" else 1.0

            def objective(t: TrainingJob) -> float:
                v = job.objective_value(t)
                return float("inf") if v is None else sign * v

            trials = select(self._trials(job), req, lambda t: t.status,
                            {"FinalObjectiveMetricValue": objective}, default_sort="CreationTime")
            if req.get("SortBy") == "FinalObjectiveMetricValue" and not req.get("SortOrder"):
                trials.reverse()  # best first unless an order is asked for
            chunk, nxt = page(trials, req)
            out: dict[str, Any] = {"TrainingJobSummaries": [job.trial_summary(t) for t in chunk]}
        if nxt:
            out["NextToken"] = nxt
        return out

    # --- tags ------------------------------------------------------------------------------------
    def _by_arn(self, arn: str) -> Resource:
        for registry in self.registries:
            for res in registry:
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

    def list_tags(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            tags = [dict(t) for t in self._by_arn(req.get("ResourceArn", "")).tags]
        chunk, nxt = page(tags, req, default_size=50)
        out: dict[str, Any] = {"Tags": chunk}
        if nxt:
            out["NextToken"] = nxt
        return out

    def delete_tags(self, arn: str, keys: list[str]) -> None:
        with self.lock:
            res = self._by_arn(arn)
            res.tags = [t for t in res.tags if t["Key"] not in set(keys)]

    # --- persistence -----------------------------------------------------------------------------
    _KINDS: tuple[tuple[str, type[Resource]], ...] = (
        ("training_jobs", TrainingJob), ("models", Model), ("endpoint_configs", EndpointConfig),
        ("endpoints", Endpoint), ("transform_jobs", TransformJob), ("tuning_jobs", TuningJob))

    def dump_state(self) -> dict[str, Any]:
        with self.lock:
            return {attr: [r.to_state() for r in getattr(self, attr)] for attr, _ in self._KINDS}

    def load_state(self, data: dict[str, Any]) -> None:
        """Bring back saved resources: work that was under way when the cloud stopped ends as it would have."""
        when = now()
        with self.lock:
            for attr, cls in self._KINDS:
                registry: Registry = getattr(self, attr)
                for item in data.get(attr) or []:
                    res = cls.from_state(item)
                    if self._after_restart(res, when):
                        registry.put(res)

    def _after_restart(self, res: Resource, when: float) -> bool:
        """Settle a restored resource's state; False drops it (an endpoint that was being deleted)."""
        import datetime

        stamp = datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        if isinstance(res, TrainingJob):
            res.done.set()
            if res.status == "InProgress":
                res.finish("Failed", "Training job failed", RESTART_REASON.format(status="InProgress", when=stamp))
            elif res.status == "Stopping":
                res.finish("Stopped", "Training job stopped")
        elif isinstance(res, (TransformJob, TuningJob)):
            res.done.set()
            if res.status in ("InProgress", "Stopping"):
                res.status = "Failed" if res.status == "InProgress" else "Stopped"
                if res.status == "Failed":
                    res.failure_reason = RESTART_REASON.format(status="InProgress", when=stamp)
                res.ended = res.modified = when
        elif isinstance(res, Endpoint):
            res.ready.set()
            if res.status == "Deleting":
                return False
            if res.status in ("Creating", "Updating", "SystemUpdating"):
                # the bring-up was cut short: serve what was in service before, else report it failed
                if res.variant_specs:
                    res.status = "InService"
                else:
                    res.status = "Failed"
                    res.failure_reason = ("The local cloud was stopped while the endpoint was being created; delete "
                                          "it and create it again.")
                res.modified = when
        return True
