"""Hyperparameter tuning jobs: the request's rules, and the tuner that runs the trials.

Each trial is a real training job (``<tuning job>-<nnn>-<8 hex>``, visible to ListTrainingJobs,
with its own logs and metrics) started through the backend like any other; at most
``MaxParallelTrainingJobs`` run at once. The next hyperparameters come from the strategy
(:mod:`.search`), the objective from each trial's reported metrics. Early stopping ``Auto`` stops
a running trial whose per-epoch progress metric is worse than the median of finished trials at
the same epoch (the median stopping rule the service documents for early stopping).
"""

from __future__ import annotations

import math
import re
import statistics
import threading
import time
import uuid
import zlib
from typing import TYPE_CHECKING, Any

from .. import kmeans
from . import errors
from .resources import TrainingJob, TuningJob, now
from .search import Observation, Space, make_strategy, space_from_ranges

if TYPE_CHECKING:
    from .models import SageMakerBackend

TUNING_NAME_RE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$")
STRATEGIES = ("Bayesian", "Random", "Grid")
MAX_PARALLEL_QUOTA = 10  # the default account quota for parallel training jobs of one tuning job
MAX_TRIALS_QUOTA = 500
EARLY_STOP_MIN_FINISHED = 3
# k-means hyperparameters a tuning job may search, and the kind of value each takes
TUNABLE: dict[str, str] = {
    "epochs": "Integer", "extra_center_factor": "Integer", "half_life_time_size": "Integer",
    "mini_batch_size": "Integer", "local_lloyd_max_iter": "Integer", "local_lloyd_num_trials": "Integer",
    "local_lloyd_tol": "Continuous", "init_method": "Categorical", "local_lloyd_init_method": "Categorical",
}


def _invalid(message: str) -> errors.ValidationException:
    return errors.ValidationException(message)


def _number(value: Any, integer: bool, where: str) -> float:
    try:
        x = float(int(str(value))) if integer else float(str(value))
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise _invalid(f"The {where} value '{value}' is not {kind}.") from None
    if not math.isfinite(x):
        raise _invalid(f"The {where} value '{value}' is not a finite number.")
    return x


def validate_request(req: dict[str, Any]) -> Space:
    """Refuse what the service refuses; return the search space."""
    name = req.get("HyperParameterTuningJobName")
    if not isinstance(name, str) or not TUNING_NAME_RE.match(name):
        raise _invalid(f"1 validation error detected: Value '{name}' at 'hyperParameterTuningJobName' failed to "
                       "satisfy constraint: Member must satisfy regular expression pattern: "
                       "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}")
    config = req.get("HyperParameterTuningJobConfig") or {}
    strategy = config.get("Strategy")
    if strategy not in STRATEGIES:
        raise _invalid(f"The local cloud runs the Bayesian, Random and Grid strategies; '{strategy}' is not one of "
                       "them. Use the aws target for Hyperband.")
    if req.get("TrainingJobDefinitions"):
        raise _invalid("The local cloud runs tuning jobs with one TrainingJobDefinition; send TrainingJobDefinition "
                       "instead of TrainingJobDefinitions.")
    definition = req.get("TrainingJobDefinition")
    if not definition:
        raise _invalid("TrainingJobDefinition must be specified.")
    objective = config.get("HyperParameterTuningJobObjective")
    if not objective:
        raise _invalid("HyperParameterTuningJobObjective must be specified for the Bayesian, Random and Grid "
                       "strategies.")
    metric = objective.get("MetricName")
    if metric not in kmeans.OBJECTIVE_METRICS:
        raise _invalid(f"The objective metric '{metric}' is not emitted by the k-means algorithm; choose one of "
                       f"{sorted(kmeans.OBJECTIVE_METRICS)}.")
    if objective.get("Type") != kmeans.OBJECTIVE_METRICS[metric]:
        raise _invalid(f"The objective metric {metric} must be minimized: set Type to "
                       f"{kmeans.OBJECTIVE_METRICS[metric]}.")
    channels = {c.get("ChannelName") for c in definition.get("InputDataConfig") or []}
    if metric.startswith("test:") and "test" not in channels:
        raise _invalid(f"The objective metric {metric} is computed on the 'test' channel, but "
                       f"TrainingJobDefinition.InputDataConfig has only {sorted(c for c in channels if c)}; add a "
                       "'test' channel.")
    limits = config.get("ResourceLimits") or {}
    parallel = int(limits.get("MaxParallelTrainingJobs") or 0)
    if parallel > MAX_PARALLEL_QUOTA:
        raise errors.ResourceLimitExceeded(
            "The account-level service limit 'Number of concurrent training jobs in a tuning job' is "
            f"{MAX_PARALLEL_QUOTA} Jobs, with current utilization of 0 Jobs and a request delta of {parallel} Jobs. "
            "Please use AWS Service Quotas to request an increase for this quota.")
    total = limits.get("MaxNumberOfTrainingJobs")
    if total is None and strategy != "Grid":
        raise _invalid("ResourceLimits.MaxNumberOfTrainingJobs must be specified for the "
                       f"{strategy} strategy.")
    if total is not None and int(total) > MAX_TRIALS_QUOTA:
        raise errors.ResourceLimitExceeded(
            f"The account-level service limit 'Number of training jobs in a tuning job' is {MAX_TRIALS_QUOTA} Jobs, "
            f"with current utilization of 0 Jobs and a request delta of {total} Jobs. Please use AWS Service Quotas "
            "to request an increase for this quota.")
    ranges = config.get("ParameterRanges") or {}
    space = _check_ranges(ranges, strategy)
    static = dict(definition.get("StaticHyperParameters") or {})
    both = sorted(set(static) & {d.name for d in space.dims})
    if both:
        raise _invalid(f"The hyperparameter(s) {both} cannot be both static and tunable; remove them from "
                       "StaticHyperParameters or from ParameterRanges.")
    _check_points(static, space)
    completion = config.get("TuningJobCompletionCriteria") or {}
    if completion.get("ConvergenceDetected", {}).get("CompleteOnConvergence") == "Enabled":
        raise _invalid("The local cloud does not detect convergence; leave ConvergenceDetected out or Disabled.")
    return space


def _check_ranges(ranges: dict[str, Any], strategy: str) -> Space:
    if ranges.get("AutoParameters"):
        raise _invalid("The local cloud does not run Autotune; give IntegerParameterRanges, "
                       "ContinuousParameterRanges or CategoricalParameterRanges.")
    seen: set[str] = set()
    for kind in ("IntegerParameterRanges", "ContinuousParameterRanges", "CategoricalParameterRanges"):
        for r in ranges.get(kind) or []:
            name = r.get("Name")
            if name in seen:
                raise _invalid(f"The hyperparameter {name} appears in more than one parameter range.")
            seen.add(name)
            if name not in TUNABLE:
                raise _invalid(f"The hyperparameter '{name}' is not tunable for the k-means algorithm; tunable "
                               f"hyperparameters: {sorted(TUNABLE)}.")
            wanted = TUNABLE[name]
            given = kind.removesuffix("ParameterRanges")
            if strategy == "Grid" and given != "Categorical":
                raise _invalid("The Grid strategy searches only CategoricalParameterRanges; give "
                               f"{name} as a categorical range of the values to try.")
            if given == "Categorical":
                if not r.get("Values"):
                    raise _invalid(f"The categorical range of {name} has no values.")
                continue
            if given != wanted:
                kind_text = "integer" if wanted == "Integer" else wanted.lower()
                raise _invalid(f"The hyperparameter {name} takes {kind_text} "
                               f"values; give it as {wanted}ParameterRanges.")
            lo = _number(r.get("MinValue"), given == "Integer", f"MinValue of {name}")
            hi = _number(r.get("MaxValue"), given == "Integer", f"MaxValue of {name}")
            if lo > hi:
                raise _invalid(f"The MinValue ({r.get('MinValue')}) of {name} is greater than its MaxValue "
                               f"({r.get('MaxValue')}).")
            scale = r.get("ScalingType") or "Auto"
            if scale == "Logarithmic" and lo <= 0:
                raise _invalid(f"Logarithmic scaling of {name} needs a MinValue greater than 0.")
            if scale == "ReverseLogarithmic" and (given == "Integer" or lo < 0 or hi >= 1):
                raise _invalid(f"ReverseLogarithmic scaling of {name} needs a continuous range within [0, 1).")
    return space_from_ranges(ranges)


def _check_points(static: dict[str, str], space: Space) -> None:
    """Every range end (and each categorical value) must be a value the algorithm accepts."""
    probes: list[dict[str, str]] = []
    for d in space.dims:
        if d.kind == "Categorical":
            probes += [{d.name: v} for v in d.values]
        else:
            fmt = (lambda x: str(int(x))) if d.kind == "Integer" else repr
            probes += [{d.name: fmt(d.low)}, {d.name: fmt(d.high)}]
    for probe in probes or [{}]:
        try:
            kmeans.parse_hyperparameters({**static, **probe})
        except kmeans.AlgorithmClientError as exc:
            text = str(exc).removeprefix("ClientError: ")
            raise _invalid(f"The hyperparameters of this tuning job are not valid for the k-means algorithm: "
                           f"{text}") from None


def trial_request(tuning: TuningJob, index: int, point: dict[str, str]) -> dict[str, Any]:
    """The CreateTrainingJob request of one trial (what the service sends on the tuning job's behalf)."""
    d = tuning.request["TrainingJobDefinition"]
    algo = {k: v for k, v in d.get("AlgorithmSpecification", {}).items()}
    hyper = {**(d.get("StaticHyperParameters") or {}), **point,
             "_tuning_objective_metric": tuning.objective.get("MetricName", "")}
    req: dict[str, Any] = {
        "TrainingJobName": f"{tuning.name}-{index:03d}-{uuid.uuid4().hex[:8]}",
        "AlgorithmSpecification": algo, "RoleArn": d.get("RoleArn"), "HyperParameters": hyper,
        "InputDataConfig": d.get("InputDataConfig") or [], "OutputDataConfig": d.get("OutputDataConfig") or {},
        "ResourceConfig": d.get("ResourceConfig") or {}, "StoppingCondition": d.get("StoppingCondition") or {},
        "Tags": list(tuning.tags),
    }
    for k in ("VpcConfig", "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
              "EnableManagedSpotTraining", "CheckpointConfig", "Environment", "RetryStrategy"):
        if k in d:
            req[k] = d[k]
    return req


class Tuner:
    """Runs one tuning job to its end on its own thread."""

    POLL = 0.01  # a freed slot starts its next trial within this

    def __init__(self, backend: SageMakerBackend, tuning: TuningJob, space: Space) -> None:
        self.backend = backend
        self.tuning = tuning
        self.space = space
        config = tuning.config
        limits = config.get("ResourceLimits") or {}
        self.parallel = tuning.max_parallel
        grid = len(space.grid()) if config.get("Strategy") == "Grid" else None
        total = limits.get("MaxNumberOfTrainingJobs")
        self.total = int(total) if total is not None else int(grid or 1)
        if grid is not None:
            self.total = min(self.total, grid)
        self.max_runtime = float(limits.get("MaxRuntimeInSeconds") or 0)
        seed = config.get("RandomSeed")
        seed = int(seed) if seed is not None else zlib.crc32(tuning.name.encode())
        sign = -1.0 if tuning.objective.get("Type") == "Maximize" else 1.0
        self.sign = sign
        self.strategy = make_strategy(config.get("Strategy", "Bayesian"), space, seed, sign)
        self.early = config.get("TrainingJobEarlyStoppingType") == "Auto"
        completion = config.get("TuningJobCompletionCriteria") or {}
        self.target = completion.get("TargetObjectiveMetricValue")
        self.not_improving = (completion.get("BestObjectiveNotImproving") or {}).get(
            "MaxNumberOfTrainingJobsNotImproving")
        self.history: list[Observation] = []
        self.jobs: list[TrainingJob] = []
        self.ahead: dict[str, str] | None = None  # the next trial's hyperparameters, chosen while slots were busy
        self.reason: str | None = None

    def run(self) -> None:
        t = self.tuning
        try:
            self._loop()
        except Exception as exc:  # noqa: BLE001 - the tuner must always end the tuning job
            self.reason = f"InternalServerError: {type(exc).__name__}: {exc}"
            self._stop_running()
        while any(not j.done.is_set() for j in self.jobs):
            time.sleep(self.POLL)
        with self.backend.lock:
            self._observe()
            if t.status == "Stopping" or (self.reason is None and t.stop_requested.is_set()):
                t.status = "Stopped"
            elif self.reason is not None:
                t.status, t.failure_reason = "Failed", self.reason
            elif not any(o.value is not None for o in self.history):
                failed = [j.failure_reason for j in self.jobs if j.failure_reason]
                t.status = "Failed"
                t.failure_reason = (f"All {len(self.jobs)} training jobs failed to report the objective metric "
                                    f"{t.objective.get('MetricName')}."
                                    + (f" The first failure: {failed[0]}" if failed else ""))
            else:
                t.status = "Completed"
            t.ended = t.modified = now()
        t.done.set()

    def _observe(self) -> None:
        for job, obs in zip(self.jobs, self.history, strict=True):
            if job.done.is_set() and obs.value is None:
                value = self.tuning.objective_value(job)
                obs.value = value if value is not None else math.nan

    def _scores(self) -> list[float]:
        return [o.value for o in self.history if o.value is not None and math.isfinite(o.value)]

    def _finished_early(self) -> bool:
        scores = self._scores()
        if not scores:
            return False
        best = min(self.sign * s for s in scores) * self.sign
        if self.target is not None and self.sign * best <= self.sign * float(self.target):
            return True
        if self.not_improving:
            values = [o.value for o in self.history if o.value is not None and math.isfinite(o.value)]
            n = int(self.not_improving)
            if len(values) > n:
                before = min(self.sign * v for v in values[:-n])
                return min(self.sign * v for v in values[-n:]) >= before
        return False

    def _timed_out(self) -> bool:
        return self.max_runtime > 0 and time.time() - self.tuning.created >= self.max_runtime

    def _loop(self) -> None:
        t = self.tuning
        while True:
            with self.backend.lock:
                self._observe()
            if t.stop_requested.is_set() or self._timed_out():
                if self._timed_out() and not t.stop_requested.is_set():
                    with self.backend.lock:
                        t.status = "Stopping"
                    t.stop_requested.set()
                self._stop_running()
                return
            running = [j for j in self.jobs if not j.done.is_set()]
            if len(self.jobs) < self.total and len(running) < self.parallel and not self._finished_early():
                point = self.ahead if self.ahead is not None else self.strategy.propose(self.history)
                self.ahead = None
                if point is None:
                    self.total = len(self.jobs)
                    continue
                req = trial_request(t, len(self.jobs) + 1, point)
                try:
                    job = self.backend.new_training_job(req, tuning_arn=t.arn)
                except errors.SageMakerError as exc:
                    self.reason = f"{exc.code}: {exc.message}"
                    self._stop_running()
                    return
                with self.backend.lock:
                    t.trials.append(job.name)
                    t.modified = now()
                self.jobs.append(job)
                self.history.append(Observation(point, None))
                continue
            if not running:
                return
            if self.early:
                self._early_stop(running)
            if self.ahead is None and self.parallel > 1 and len(self.jobs) < self.total:
                # every slot is busy: choose the next trial now (the running ones count as pending), so a
                # freed slot starts at once instead of waiting for the surrogate (one at a time, the next
                # choice waits for the running trial's result instead)
                self.ahead = self.strategy.propose(self.history)
            self._wait(running)

    def _wait(self, running: list[TrainingJob]) -> None:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            if self.tuning.stop_requested.is_set() or any(j.done.is_set() for j in running):
                return
            time.sleep(self.POLL)

    def _early_stop(self, running: list[TrainingJob]) -> None:
        finished = [j for j in self.jobs if j.done.is_set() and j.status == "Completed" and j.progress]
        if len(finished) < EARLY_STOP_MIN_FINISHED:
            return
        for job in running:
            epoch = len(job.progress)
            peers = [j.progress[epoch - 1] for j in finished if len(j.progress) >= epoch] if epoch else []
            if len(peers) < EARLY_STOP_MIN_FINISHED:
                continue
            if self.sign * job.progress[-1] > self.sign * statistics.median(peers):
                try:
                    self.backend.stop_training_job(job.name)
                except errors.SageMakerError:
                    continue
                with self.backend.lock:
                    self.tuning.early_stopped.append(job.name)

    def _stop_running(self) -> None:
        for job in self.jobs:
            if not job.done.is_set():
                try:
                    self.backend.stop_training_job(job.name)
                except errors.SageMakerError:
                    pass


def start(backend: SageMakerBackend, tuning: TuningJob, space: Space) -> None:
    threading.Thread(target=Tuner(backend, tuning, space).run, daemon=True, name=f"kfsm-tuning-{tuning.name}").start()
