"""One run handle for both targets: start, re-attach, refresh, wait, cancel, and a plain-dict view.

A run is read through its target's Kubeflow Pipelines API (the local one or a cluster's) — the same
calls either way: its state and task details, and the pipeline spec it ran, whose graph gives the
steps (the run's own tasks, however many). The kit's SageMaker steps are joined with what SageMaker
says about their resources (status, secondary status, failure reason, metrics, log tail), read
sparingly by :class:`.jobs.JobReader`.
"""

from __future__ import annotations

import html
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import ConfigurationError, JobFailedError, WaitTimeoutError
from ..names import PIPELINE_NAME, check_run_id, new_run_id, resource_name
from . import runs
from .graph import Graph, TaskNode
from .jobs import FINAL_STATUSES, JobReader, is_failed
from .kfp_client import KfpConnection, RunLinks, load_package
from .runs import RunNotFoundError, RunRecord
from .targets import kfp_target

LOCAL_WAIT_SECONDS = 0.1
"""How often ``wait`` reads a local run: a get_run costs ~3 ms of the caller's CPU there, and a local run's
steps end a few tenths of a second apart, so the end is seen within 0.1 s (0.25 s cost up to 0.25 s a run)."""

# Task kinds whose SageMaker job a cancel stops (in case the step could not stop it itself).
_STOPPABLE = ("training_job", "transform_job", "tuning_job")


def _epoch(value: Any) -> float | None:
    """Seconds since the epoch of an API time (RFC 3339 text, a datetime or a number); None when unset
    (the API writes an unset time as the epoch itself)."""
    if value is None:
        return None
    if isinstance(value, str):
        from dateutil.parser import isoparse

        try:
            value = isoparse(value)
        except ValueError:
            return None
    if hasattr(value, "timestamp"):
        ts = value.timestamp()
        return ts if ts > 0 else None
    try:
        return float(value) or None
    except (TypeError, ValueError):
        return None


def _get(obj: Any, key: str, default: Any = None) -> Any:
    """A field of a kfp_server_api model or of a plain dict."""
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _settings_of(record: RunRecord, settings: Settings | None) -> Settings:
    if settings is not None:
        return settings
    from ..config import load_settings

    # what reading the run needs: where its SageMaker resources are (the target and region)
    kfp = {"kfp_host": record.kfp_host} if record.target == "aws" and record.kfp_host else {}
    return load_settings(target=record.target, region=record.region or None, **kfp)


class RunHandle:
    """A pipeline run on either target. Cheap to create; ``refresh()`` reads the latest state."""

    def __init__(self, record: RunRecord, settings: Settings | None = None, conn: KfpConnection | None = None) -> None:
        self.record = record
        self.settings = _settings_of(record, settings)
        self._conn = conn
        self._run: Any = None
        self._graph: Graph | None = None
        self._jobs: JobReader | None = None
        self._views: dict[str, dict[str, Any]] = {}
        self._jobs_final = False  # the SageMaker resources were described after the run was seen ended
        self.monitor_error: str | None = None  # why SageMaker details could not be read (run state still is)

    # -- identity ---------------------------------------------------------------------------------
    @property
    def run_id(self) -> str:
        return self.record.run_id

    @property
    def kfp_run_id(self) -> str:
        return self.record.kfp_run_id

    @property
    def target(self) -> str:
        return self.record.target

    @property
    def state(self) -> str:
        return runs.kit_state(_get(self._run, "state")) if self._run is not None else runs.PENDING

    @property
    def done(self) -> bool:
        return self.state in runs.FINAL_STATES

    @property
    def links(self) -> RunLinks:
        links = dict(self.record.links)
        return RunLinks(experiment=links.pop("experiment", None), run=links.pop("run", None), extra=links)

    @property
    def log_path(self) -> str | None:
        return kfp_target(self.target).run_log_path(self.kfp_run_id)

    @property
    def graph(self) -> Graph:
        if self._graph is None:
            if self._run is None:
                return Graph.from_spec(None)  # not read yet: no tasks known
            self._graph = Graph.from_spec(_get(self._run, "pipeline_spec"))
        return self._graph

    @property
    def parameters(self) -> dict[str, Any]:
        """The run's parameter values (what was given, else the spec's defaults)."""
        config = _get(self._run, "runtime_config") if self._run is not None else None
        return self.graph.values(_get(config, "parameters") or {} if config is not None else self.record.arguments)

    @property
    def names_run_id(self) -> str:
        """The run id the SageMaker names derive from: the ``run_id`` parameter, else the KFP run id."""
        given = str(self.parameters.get("run_id") or "").strip()
        return given or self.kfp_run_id

    # -- steps and outputs ------------------------------------------------------------------------
    def _task_details(self) -> dict[str, Any]:
        details = _get(self._run, "run_details") if self._run is not None else None
        by_display = self.graph.by_display_name()
        out = {}
        for task in _get(details, "task_details") or []:
            name = by_display.get(_get(task, "display_name") or "")
            if name is not None:
                out[name] = task
        return out

    def job_name(self, node: TaskNode) -> str | None:
        return resource_name(self.names_run_id, node.kind) if node.kind else None

    @property
    def steps(self) -> list[dict[str, Any]]:
        """Per task: state, times, what it runs after; for SageMaker steps the resource's status, phases,
        metrics and log tail."""
        details = self._task_details()
        target = kfp_target(self.target)
        out = []
        for node in self.graph.tasks.values():
            task = details.get(node.name)
            state = runs.kit_state(_get(task, "state")) if task is not None else self._unstarted_state()
            error = _get(_get(task, "error"), "message") if task is not None else None
            st: dict[str, Any] = {
                "name": node.name, "display_name": node.display_name, "task_id": _get(task, "task_id"),
                "component": node.component, "kind": node.kind, "depends_on": list(node.depends_on),
                "state": state, "start": _epoch(_get(task, "start_time")), "end": _epoch(_get(task, "end_time")),
                "job_name": self.job_name(node), "job_status": None, "secondary_status": None,
                "failure_reason": error, "error": error, "inputs": self.graph.resolved_inputs(node, self.parameters),
                "outputs": {}, "log_path": target.task_log_path(self.kfp_run_id, node.name),
            }
            view = self._views.get(node.name) or {}
            if view.get("exists"):
                st["job_status"] = view.get("status")
                st["secondary_status"] = view.get("secondary_status")
                # SageMaker's own words first: the task's error wraps them in the step's exception
                st["failure_reason"] = view.get("failure_reason") or st["failure_reason"]
                for key in ("phases", "metrics", "logs"):
                    if key in view:
                        st[key] = view[key]
                st["sagemaker"] = {k: v for k, v in view.items() if k not in ("logs", "logs_final", "exists")}
                st["outputs"] = _outputs_of(node.kind, view)
                if is_failed(view.get("status")) and state not in (runs.CANCELED, runs.CANCELING):
                    st["state"] = runs.FAILED
            if st["end"] is not None and st["start"] is not None and st["end"] < st["start"]:
                st["end"] = None  # the epoch placeholder of an unfinished task
            out.append(st)
        return out

    def _unstarted_state(self) -> str:
        state = self.state
        if state == runs.CANCELED:
            return runs.CANCELED
        return runs.SKIPPED if state in runs.FINAL_STATES else runs.PENDING

    def step(self, name: str) -> dict[str, Any]:
        return next(s for s in self.steps if s["name"] == name or s["display_name"] == name)

    @property
    def outputs(self) -> dict[str, Any]:
        """endpoint_name, model_artifact_url, batch_output_uri, training_job_name, model_name (when known)."""
        rid = self.names_run_id
        out: dict[str, Any] = {"training_job_name": resource_name(rid, "training_job"),
                               "model_name": resource_name(rid, "model"),
                               "endpoint_name": resource_name(rid, "endpoint"),
                               "batch_output_uri": self.parameters.get("batch_transform_output")}
        for st in self.steps:
            for key, value in st["outputs"].items():
                if value:
                    out[key] = value
        return out

    @property
    def error(self) -> str | None:
        err = _get(self._run, "error") if self._run is not None else None
        message = _get(err, "message") if err is not None else None
        if message:
            return message
        reasons = [f"{s['name']}: {s['failure_reason']}" for s in self.steps if s.get("failure_reason")]
        return "; ".join(reasons) or None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready snapshot (what the CLI prints, the panel and the figures draw)."""
        run = self._run
        return {"run_id": self.run_id, "kfp_run_id": self.kfp_run_id, "target": self.target, "state": self.state,
                "display_name": _get(run, "display_name") if run is not None else None,
                "pipeline_name": self.graph.name or self.record.pipeline_name,
                "experiment_id": self.record.experiment_id, "experiment": self.record.experiment,
                "created_at": _epoch(_get(run, "created_at")) if run is not None else self.record.created_at,
                "started_at": _epoch(_get(run, "scheduled_at")) if run is not None else None,
                "finished_at": _epoch(_get(run, "finished_at")) if run is not None else None,
                "error": self.error, "steps": self.steps, "outputs": self.outputs, "parameters": self.parameters,
                "links": self.links.as_dict(), "log_path": self.log_path, "monitor_error": self.monitor_error}

    # -- reading ----------------------------------------------------------------------------------
    def _connection(self) -> KfpConnection:
        if self._conn is None:
            self._conn = kfp_target(self.target).connect(self.settings, start=False, host=self.record.kfp_host)
        return self._conn

    def _reader(self) -> JobReader:
        if self._jobs is None:
            self._jobs = JobReader(self.settings)
        return self._jobs

    def refresh(self, jobs: bool = True) -> RunHandle:
        """Read the run from its Kubeflow Pipelines API, then (unless ``jobs=False``) describe the SageMaker
        resources of its active steps."""
        was_done = self.done and self._run is not None
        if not was_done:
            self._run = self._connection().get_run(self.kfp_run_id)
        looked = False
        if jobs:
            unsettled = any(v.get("exists") and v.get("status") not in FINAL_STATUSES for v in self._views.values())
            if not self._jobs_final or unsettled:
                self._refresh_jobs(force=self.done and not self._jobs_final)  # the last look is never stale
                self._jobs_final = self.done
                looked = True
        if self.target != "local" and (not was_done or looked):
            self._remember()
        return self

    def _remember(self) -> None:
        """Keep what this handle saw of a cluster run in its record, for listings that make no call."""
        from .listing import _STEP_KEYS

        seen = {"state": self.state, "error": self.error, "finished_at": self.to_dict()["finished_at"],
                "display_name": _get(self._run, "display_name"),
                "steps": [{k: s.get(k) for k in _STEP_KEYS} for s in self.steps]}
        if seen != self.record.last_seen:
            self.record = self.record.model_copy(update={"last_seen": seen, "last_seen_at": runs.now()})
            runs.save(self.record)

    def _refresh_jobs(self, force: bool = False) -> None:
        reader = self._reader()
        details = self._task_details()
        for node in self.graph.tasks.values():
            if node.kind is None:
                continue
            task = details.get(node.name)
            if task is None and node.name not in self._views:
                continue  # not started: nothing to describe yet
            try:
                self._views[node.name] = reader.read(node.kind, self.job_name(node) or "", force=force)
                self.monitor_error = None
            except Exception as exc:  # noqa: BLE001 - the run goes on; the view shows why details lag
                from ..aws import translate

                self.monitor_error = str(translate(exc, f"describe {self.job_name(node)}"))

    # -- waiting and cancelling -------------------------------------------------------------------
    def wait(self, timeout: float | None = None, interval: float | None = None,
             on_update: Callable[[RunHandle], None] | None = None, raise_on_failure: bool = False) -> RunHandle:
        """Refresh until the run ends; ``WaitTimeoutError`` after ``timeout`` seconds (the run goes on).

        With ``on_update`` every refresh describes the steps' SageMaker resources too (what it draws); without,
        only the run is read until it ends (one call a poll, so the end is seen sooner and cheaper), then the
        steps once.
        """
        interval = interval if interval is not None else (LOCAL_WAIT_SECONDS if self.target == "local" else 5.0)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            last = deadline is not None and time.monotonic() >= deadline
            self.refresh(jobs=on_update is not None or last)
            if on_update:
                on_update(self)
            if self.done:
                break
            if last:
                raise WaitTimeoutError(f"run {self.run_id} is still {self.state} after {timeout:g} s",
                                       f"it keeps running; check later with `kfsm-lab pipeline status {self.run_id}` "
                                       "or wait longer")
            time.sleep(interval)
        self.refresh()  # the steps' last look (a no-op when on_update had it)
        if raise_on_failure:
            self.raise_for_state()
        return self

    def raise_for_state(self) -> RunHandle:
        """``JobFailedError`` (with the failing step's reason) unless the run succeeded."""
        if self.state != runs.SUCCEEDED:
            raise JobFailedError(f"pipeline run {self.run_id}", self.state, self.error,
                                 f"see `kfsm-lab pipeline status {self.run_id}`")
        return self

    def cancel(self, grace: float = 30.0) -> RunHandle:
        """Terminate the run (its steps stop their SageMaker jobs); returns once it has ended or after ``grace``."""
        self.refresh()
        if self.done:
            return self
        self._connection().terminate(self.kfp_run_id)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            time.sleep(0.2)
            self.refresh()
            if self.done:
                break
        reader = self._reader()
        for st in self.steps:  # in case a step could not stop its own job
            if st["kind"] in _STOPPABLE and st.get("job_status") in ("InProgress", "Stopping") and st["job_name"]:
                reader.stop(st["kind"], st["job_name"])
        return self

    # -- display ----------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"RunHandle(run_id={self.run_id!r}, target={self.target!r}, state={self.state!r})"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(s['name'])}</td><td>{html.escape(s['state'])}</td>"
            f"<td>{html.escape(str(s.get('job_status') or ''))}</td>"
            f"<td>{html.escape(str(s.get('failure_reason') or ''))}</td></tr>" for s in self.steps)
        return (f"<b>run {html.escape(self.run_id)}</b> ({html.escape(self.target)}): {html.escape(self.state)}"
                f"<br>{self.links._repr_html_() if self.links.as_dict() else ''}"
                f"<table><tr><th>step</th><th>state</th><th>SageMaker</th><th>reason</th></tr>{rows}</table>")


def _outputs_of(kind: str | None, view: dict[str, Any]) -> dict[str, Any]:
    """What a SageMaker step made, as the run's outputs name it."""
    if kind == "training_job":
        return {"model_artifact_url": view.get("model_artifact_url") or None, "training_job_name": view.get("name")}
    if kind == "model":
        return {"model_name": view.get("name")}
    if kind == "endpoint":
        return {"endpoint_name": view.get("name")}
    if kind == "transform_job":
        return {"batch_output_uri": view.get("output")}
    if kind == "tuning_job":
        return {"tuning_job_name": view.get("name"), "best_training_job": view.get("best_training_job"),
                "best_hyperparameters": view.get("best_hyperparameters")}
    return {}


# -- starting and finding runs --------------------------------------------------------------------
def _require(settings: Settings) -> None:
    if not settings.bucket or not settings.role_arn:
        missing = " and ".join(n for n, v in (("bucket", settings.bucket), ("role_arn", settings.role_arn)) if not v)
        raise ConfigurationError(f"the pipeline needs {missing}",
                                 "run `kfsm-lab setup all` (it creates both) or set KFSM_BUCKET / KFSM_ROLE_ARN")


def start_run(settings: Settings, run_id: str | None = None, *, pipeline: Any = None,
              arguments: dict[str, Any] | None = None, kfp_token: str | None = None,
              kfp_cookies: str | None = None) -> RunHandle:
    """Compile and submit a pipeline on the settings' target; returns at once with a handle to watch it.

    ``pipeline`` is a ``@dsl.pipeline`` function (the notebook's own); without one the kit's packaged
    ``mnist-classification-pipeline`` runs. The settings fill every parameter the pipeline declares
    that they know (``run_id``, ``role_arn``, the S3 paths, …); ``arguments`` override them.
    On aws, ``kfp_token``/``kfp_cookies`` authenticate to a multi-user Kubeflow (else ``KFSM_KFP_TOKEN``,
    ``KFSM_KFP_COOKIES`` or the in-cluster service-account token); they are never written down.
    """
    from .compile import compile_pipeline
    from .definition import default_arguments

    _require(settings)
    run_id = check_run_id(run_id) if run_id else new_run_id()
    if settings.target == "local":
        from ..localcloud.restarts import check as restarted

        lost = restarted()  # the setup's role, bucket and data were on a cloud instance that is gone
        if lost is not None:
            raise lost
    conn = kfp_target(settings.target).connect(settings, token=kfp_token, cookies=kfp_cookies)
    with tempfile.TemporaryDirectory() as tmp:
        package = compile_pipeline(Path(tmp) / "pipeline.yaml", settings, pipeline=pipeline)
        docs = load_package(package)
        graph = Graph.from_spec(docs[0])
        args = {k: v for k, v in default_arguments(settings, run_id).items() if k in graph.parameters}
        args.update(arguments or {})
        experiment_id, kfp_run_id = conn.submit(package, args, run_name=f"{graph.name or PIPELINE_NAME}-{run_id}",
                                                experiment_name=settings.experiment, docs=docs)
    record = RunRecord(run_id=run_id, kfp_run_id=kfp_run_id, target=settings.target, kfp_host=conn.host,
                       namespace=settings.namespace, experiment_id=experiment_id, experiment=settings.experiment,
                       pipeline_name=graph.name, region=settings.region, arguments=args,
                       links=conn.links(experiment_id, kfp_run_id).as_dict())
    runs.save(record)
    handle = RunHandle(record, settings, conn)
    handle._graph = graph  # known from the compiled spec before the first read
    return handle


def attach(run_id: str, settings: Settings | None = None, *, kfp_token: str | None = None,
           kfp_cookies: str | None = None) -> RunHandle:
    """A handle to a run started earlier — by the kit, or by a plain ``kfp.Client`` — refreshed.

    ``run_id`` is the kit's run id or the Kubeflow Pipelines run id. A run the kit has no record of is
    looked up on the settings' target (local by default) and remembered, so its kit run id works next
    time too. Reading never starts a local cloud.
    """
    record = runs.load(check_run_id(run_id))  # a kit run id or a KFP run id (a UUID): both fit the rule
    if record is None:
        record = _record_from_api(run_id, settings, kfp_token, kfp_cookies)
        runs.save(record)
    conn = None
    if record.target == "aws" and (kfp_token or kfp_cookies):
        conn = kfp_target("aws").connect(_settings_of(record, settings), token=kfp_token, cookies=kfp_cookies,
                                         host=record.kfp_host)
    return RunHandle(record, settings, conn).refresh()


def _record_from_api(run_id: str, settings: Settings | None, token: str | None, cookies: str | None) -> RunRecord:
    """A record for a run the kit did not submit (a plain ``kfp.Client`` in a notebook)."""
    from ..config import load_settings

    settings = settings if settings is not None else load_settings(target="local")
    try:
        conn = kfp_target(settings.target).connect(settings, token=token, cookies=cookies, start=False)
        run = conn.get_run(run_id)
    except Exception as exc:
        raise RunNotFoundError(f"no run {run_id!r} is known here", "`kfsm-lab pipeline status` lists the known "
                               "runs (the local cloud must be running to read local runs)") from exc
    graph = Graph.from_spec(_get(run, "pipeline_spec"))
    params = graph.values(_get(_get(run, "runtime_config"), "parameters") or {})
    kit_id = str(params.get("run_id") or "") or run_id
    experiment_id = _get(run, "experiment_id") or ""
    return RunRecord(run_id=kit_id, kfp_run_id=run_id, target=settings.target, kfp_host=conn.host,
                     namespace=settings.namespace, experiment_id=experiment_id, pipeline_name=graph.name,
                     region=settings.region, arguments=params,
                     links=conn.links(experiment_id, run_id).as_dict())


def list_runs(limit: int = 20) -> list[dict[str, Any]]:
    """Recent runs of both targets, newest first, as plain dicts (no AWS calls; never starts a local cloud).

    Local runs come from the local Kubeflow Pipelines (every run there, whoever submitted it); runs on a
    cluster from the kit's records of what it submitted.
    """
    from .listing import recent_runs

    return recent_runs(limit)


def pipeline_keys(settings: Settings) -> dict[str, str]:
    """The access key the local steps use: the setup step's pipeline user (never the user's own keys)."""
    from ..provision.secret_store import pipeline_credentials

    return dict(pipeline_credentials(settings))


__all__ = ["RunHandle", "attach", "list_runs", "pipeline_keys", "start_run"]
