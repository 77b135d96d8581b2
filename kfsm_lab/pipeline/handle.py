"""One run handle for both targets: start, re-attach, refresh, wait, cancel, and a plain-dict view.

Local runs are driven by a detached ``local_runner`` process that keeps the run record current; cluster
runs by Kubeflow Pipelines, read through its API. Either way the handle adds what SageMaker says about
each step's resource (status, secondary status, failure reason, metrics, log tail), read sparingly.
"""

from __future__ import annotations

import html
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from ..errors import ConfigurationError, JobFailedError, WaitTimeoutError
from . import runs
from .jobs import FINAL_STATUSES, JobReader, is_failed
from .kfp_client import RunLinks
from .names import STEP_TRAIN, STEP_TRANSFORM, STEPS, check_run_id, new_run_id

_KFP_STATE = {"PENDING": runs.PENDING, "RUNNING": runs.RUNNING, "SUCCEEDED": runs.SUCCEEDED,
              "SKIPPED": runs.SKIPPED, "FAILED": runs.FAILED, "ERROR": runs.FAILED, "CANCELING": runs.CANCELING,
              "CANCELED": runs.CANCELED, "PAUSED": runs.RUNNING, "RUNTIME_STATE_UNSPECIFIED": runs.PENDING}


def _settings_of(record: dict[str, Any], settings: Any = None) -> Any:
    from ..config import load_settings

    return settings if settings is not None else load_settings(**record.get("settings", {}))


class RunHandle:
    """A pipeline run on either target. Cheap to create; ``refresh()`` reads the latest state."""

    def __init__(self, record: dict[str, Any], settings: Any = None, kfp: Any = None) -> None:
        self._record = record
        self.settings = _settings_of(record, settings)
        self._kfp = kfp
        self._jobs: JobReader | None = None
        self._views: dict[str, dict[str, Any]] = {}
        self._proc: subprocess.Popen | None = None
        self.monitor_error: str | None = None  # why SageMaker details could not be read (run state still is)

    # -- identity ---------------------------------------------------------------------------------
    @property
    def run_id(self) -> str:
        return self._record["run_id"]

    @property
    def target(self) -> str:
        return self._record["target"]

    @property
    def state(self) -> str:
        return self._record["state"]

    @property
    def done(self) -> bool:
        return self.state in runs.FINAL_STATES

    @property
    def links(self) -> RunLinks:
        links = dict(self._record.get("links") or {})
        return RunLinks(experiment=links.pop("experiment", None), run=links.pop("run", None), extra=links)

    @property
    def log_path(self) -> str | None:
        return self._record.get("log_path")

    # -- steps and outputs ------------------------------------------------------------------------
    @property
    def steps(self) -> list[dict[str, Any]]:
        """Per step: state, start/end, SageMaker name and status, failure reason (+ phases, metrics, logs)."""
        out = []
        for name in STEPS:
            st = dict(self._record["steps"][name])
            view = self._views.get(name) or {}
            if view.get("exists"):
                st["job_status"] = view.get("status") or st.get("job_status")
                st["secondary_status"] = view.get("secondary_status") or st.get("secondary_status")
                st["failure_reason"] = st.get("failure_reason") or view.get("failure_reason")
                for key in ("phases", "metrics", "logs"):
                    if key in view:
                        st[key] = view[key]
                if st["state"] == runs.PENDING and not self.done:
                    st["state"] = runs.RUNNING
                    st["start"] = st.get("start") or view.get("created")
                if is_failed(st["job_status"]) and st["state"] not in (runs.CANCELED, runs.CANCELING):
                    st["state"] = runs.FAILED
            out.append(st)
        return out

    def step(self, name: str) -> dict[str, Any]:
        return next(s for s in self.steps if s["name"] == name)

    @property
    def outputs(self) -> dict[str, Any]:
        """endpoint_name, model_artifact_url, batch_output_uri, training_job_name, model_name (when known)."""
        res = self._record["resources"]
        out = dict(self._record.get("outputs") or {})
        train = self._views.get(STEP_TRAIN) or {}
        out.setdefault("model_artifact_url", train.get("model_artifact_url"))
        out["training_job_name"] = res["training_job"]
        out["model_name"] = res["model"]
        out.setdefault("endpoint_name", res["endpoint"])
        out.setdefault("batch_output_uri", self._record.get("arguments", {}).get("batch_transform_output"))
        out.pop("job_name", None)
        return out

    @property
    def error(self) -> str | None:
        if self._record.get("error"):
            return self._record["error"]
        reasons = [f"{s['name']}: {s['failure_reason']}" for s in self.steps if s.get("failure_reason")]
        return "; ".join(reasons) or None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready snapshot (what the CLI prints, the panel and the figures draw)."""
        rec = self._record
        return {"run_id": self.run_id, "target": self.target, "state": self.state,
                "created_at": rec.get("created_at"), "started_at": rec.get("started_at"),
                "finished_at": rec.get("finished_at"), "error": self.error, "steps": self.steps,
                "outputs": self.outputs, "links": self.links.as_dict(), "log_path": self.log_path,
                "kfp_run_id": rec.get("kfp_run_id"), "monitor_error": self.monitor_error}

    # -- reading ----------------------------------------------------------------------------------
    def _reader(self) -> JobReader:
        if self._jobs is None:
            self._jobs = JobReader(self.settings)
        return self._jobs

    def refresh(self) -> RunHandle:
        """Read the latest run state, then describe the SageMaker resources of the active steps."""
        was_done = self.done
        if self.target == "local":
            self._refresh_local()
        else:
            self._refresh_kfp()
        unsettled = any(v.get("exists") and v.get("status") not in FINAL_STATUSES for v in self._views.values())
        if not was_done or unsettled or any(name not in self._views for name in STEPS):
            self._refresh_jobs(force=self.done and not was_done)  # the last look at a run is never stale
        return self

    def _refresh_local(self) -> None:
        rec = runs.load(self.run_id)
        if self._proc is not None:
            self._proc.poll()  # reap our own child so a finished runner is not a zombie
        pid = rec.get("pid") or (self._proc.pid if self._proc is not None else None)
        if (rec["state"] not in runs.FINAL_STATES and not runs.pid_alive(pid, self.run_id)
                and not _just_started(rec)):
            rec = runs.load(self.run_id)  # it may have finished between the two reads
            if rec["state"] not in runs.FINAL_STATES:
                rec["state"] = runs.FAILED
                rec["finished_at"] = runs.now()
                rec["error"] = f"the local runner process ended unexpectedly; see {rec.get('log_path')}"
                runs.save(rec)
        self._record = rec

    def _connection(self) -> Any:
        if self._kfp is None:
            from .kfp_client import KfpConnection

            rec = self._record
            self._kfp = KfpConnection(rec.get("kfp_host") or self.settings.kfp_host,
                                      rec.get("namespace") or self.settings.namespace)
        return self._kfp

    def _refresh_kfp(self) -> None:
        rec = self._record
        if rec["state"] in runs.FINAL_STATES:
            return
        run = self._connection().get_run(rec["kfp_run_id"])
        kstate = str(getattr(run, "state", "") or "").upper()
        rec["state"] = _KFP_STATE.get(kstate, rec["state"])
        rec["started_at"] = rec.get("started_at") or _epoch(getattr(run, "created_at", None))
        if rec["state"] in runs.FINAL_STATES:
            rec["finished_at"] = _epoch(getattr(run, "finished_at", None)) or runs.now()
            err = getattr(run, "error", None)
            if err and getattr(err, "message", None):
                rec["error"] = err.message
        details = getattr(run, "run_details", None)
        for task in getattr(details, "task_details", None) or []:
            st = rec["steps"].get(getattr(task, "display_name", ""))
            if st is None:
                continue
            st["state"] = _KFP_STATE.get(str(getattr(task, "state", "") or "").upper(), st["state"])
            st["start"] = _epoch(getattr(task, "start_time", None)) or st["start"]
            st["end"] = _epoch(getattr(task, "end_time", None)) or st["end"]
        runs.save(rec)

    def _refresh_jobs(self, force: bool = False) -> None:
        reader = self._reader()
        for name in STEPS:
            st = self._record["steps"][name]
            seen = name in self._views
            if st["state"] == runs.PENDING and not seen and self.state in (runs.PENDING, runs.RUNNING):
                continue  # not started: nothing to describe yet
            if st["state"] in (runs.PENDING, runs.SKIPPED) and self.done:
                continue
            try:
                self._views[name] = reader.read(name, st["job_name"], force=force)
                self.monitor_error = None
            except Exception as exc:  # noqa: BLE001 - the run goes on; the view shows why details lag
                from ..aws import translate

                self.monitor_error = str(translate(exc, f"describe {st['job_name']}"))

    # -- waiting and cancelling -------------------------------------------------------------------
    def wait(self, timeout: float | None = None, interval: float | None = None,
             on_update: Callable[[RunHandle], None] | None = None, raise_on_failure: bool = False) -> RunHandle:
        """Refresh until the run ends; ``WaitTimeoutError`` after ``timeout`` seconds (the run goes on)."""
        interval = interval if interval is not None else (0.25 if self.target == "local" else 5.0)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self.refresh()
            if on_update:
                on_update(self)
            if self.done:
                break
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeoutError(f"run {self.run_id} is still {self.state} after {timeout:g} s",
                                       f"it keeps running; check later with `kfsm-lab pipeline status {self.run_id}` "
                                       "or wait longer")
            time.sleep(interval)
        if raise_on_failure and self.state != runs.SUCCEEDED:
            raise JobFailedError(f"pipeline run {self.run_id}", self.state, self.error,
                                 f"see `kfsm-lab pipeline status {self.run_id}` and the log {self.log_path or ''}")
        return self

    def cancel(self, grace: float = 20.0) -> RunHandle:
        """Stop the run and its SageMaker training/transform jobs; returns once the run has ended."""
        self.refresh()
        if self.done:
            return self
        reader = self._reader()
        if self.target == "local":
            pgid = self._record.get("pgid") or (self._proc.pid if self._proc is not None else None)
            if pgid and runs.pid_alive(pgid):
                try:
                    os.killpg(pgid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        else:
            self._connection().terminate(self._record["kfp_run_id"])
        for name in (STEP_TRAIN, STEP_TRANSFORM):  # in case a step could not stop its own job
            st = self._record["steps"][name]
            if st["state"] == runs.RUNNING or (self._views.get(name) or {}).get("status") == "InProgress":
                reader.stop(name, st["job_name"])
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            self.refresh()
            if self.done:
                return self
            time.sleep(0.2)
        if self.target == "local":
            self._force_end()
        else:
            self._record["state"] = runs.CANCELED
            self._record["finished_at"] = runs.now()
            runs.save(self._record)
        return self.refresh()

    def _force_end(self) -> None:
        pgid = self._record.get("pgid") or (self._proc.pid if self._proc is not None else None)
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, TypeError):
            pass
        rec = runs.load(self.run_id)
        if rec["state"] not in runs.FINAL_STATES:
            rec.update(state=runs.CANCELED, finished_at=runs.now(), error="cancelled (runner killed after grace)")
            for st in rec["steps"].values():
                if st["state"] in (runs.PENDING, runs.RUNNING):
                    st["state"] = runs.CANCELED
            runs.save(rec)
        self._record = rec

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


def _just_started(rec: dict[str, Any], grace: float = 30.0) -> bool:
    """A pending record whose runner has not yet written its pid (it is starting up)."""
    return rec.get("pid") is None and rec["state"] == runs.PENDING and runs.now() - rec["created_at"] < grace


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if hasattr(value, "timestamp"):
        ts = value.timestamp()
        return ts if ts > 0 else None
    return float(value)


# -- starting and finding runs --------------------------------------------------------------------
def _require(settings: Any) -> None:
    if not settings.bucket or not settings.role_arn:
        missing = " and ".join(n for n, v in (("bucket", settings.bucket), ("role_arn", settings.role_arn)) if not v)
        raise ConfigurationError(f"the pipeline needs {missing}",
                                 "run `kfsm-lab setup` (it creates both) or set KFSM_BUCKET / KFSM_ROLE_ARN")


def _arguments(settings: Any, run_id: str) -> dict[str, Any]:
    from ..images import kmeans_image
    from .definition import default_arguments

    args = default_arguments(settings, run_id)
    args["image"] = kmeans_image(settings.region)
    return args


def pipeline_keys(settings: Any) -> dict[str, str]:
    """The access key the local steps use: the setup step's pipeline user (never the user's own keys)."""
    from ..provision.secret_store import pipeline_credentials

    return dict(pipeline_credentials(settings))


def _child_env(settings: Any) -> dict[str, str]:
    from ..localcloud import ensure_running
    from ..state import state_dir

    info = ensure_running()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(info.env())
    env.update(pipeline_keys(settings))
    env.update(AWS_DEFAULT_REGION=settings.region, AWS_REGION=settings.region, KFSM_STATE_DIR=str(state_dir()),
               PYTHONUNBUFFERED="1")
    env.pop("AWS_PROFILE", None)
    return env


def start_run(settings: Any, run_id: str | None = None, *, kfp_token: str | None = None,
              kfp_cookies: str | None = None) -> RunHandle:
    """Start the pipeline on the settings' target; returns at once with a handle to watch it.

    On aws, ``kfp_token``/``kfp_cookies`` authenticate to a multi-user Kubeflow (else ``KFSM_KFP_TOKEN``,
    ``KFSM_KFP_COOKIES`` or the in-cluster service-account token); they are never written down.
    """
    _require(settings)
    run_id = check_run_id(run_id) if run_id else new_run_id()
    arguments = _arguments(settings, run_id)
    if settings.target == "local":
        return _start_local(settings, run_id, arguments)
    return _start_cluster(settings, run_id, arguments, kfp_token, kfp_cookies)


def _start_local(settings: Any, run_id: str, arguments: dict[str, Any]) -> RunHandle:
    from ..localcloud.restarts import check as restarted

    lost = restarted()  # the setup's role, bucket and data were on a cloud instance that is gone
    if lost is not None:
        raise lost
    existing = runs.record_path(run_id)
    if existing.exists():
        old = runs.load(run_id)
        if old["state"] not in runs.FINAL_STATES and runs.pid_alive(old.get("pid"), run_id):
            raise ConfigurationError(f"run {run_id} is still running", "attach to it instead: attach(run_id)")
    record = runs.new_record(run_id, "local", settings.public_dict(), arguments)
    record["log_path"] = str(runs.log_path(run_id))
    runs.save(record)
    env = _child_env(settings)
    proc = subprocess.Popen([sys.executable, "-m", "kfsm_lab.pipeline.local_runner", run_id], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, close_fds=True)
    handle = RunHandle(record, settings)  # the child records its own pid as it starts
    handle._proc = proc
    return handle


def _start_cluster(settings: Any, run_id: str, arguments: dict[str, Any], token: str | None = None,
                   cookies: str | None = None) -> RunHandle:
    import tempfile
    from pathlib import Path

    from .compile import compile_pipeline
    from .kfp_client import KfpConnection
    from .names import PIPELINE_NAME

    conn = KfpConnection(settings.kfp_host, settings.namespace, token=token, cookies=cookies)
    with tempfile.TemporaryDirectory() as tmp:
        package = compile_pipeline(Path(tmp) / "pipeline.yaml", settings, for_cluster=True)
        experiment_id, kfp_run_id = conn.submit(package, arguments, run_name=f"{PIPELINE_NAME}-{run_id}",
                                                experiment_name=settings.experiment)
    record = runs.new_record(run_id, "aws", settings.public_dict(), arguments)
    record.update(state=runs.PENDING, kfp_run_id=kfp_run_id, experiment_id=experiment_id, kfp_host=conn.host,
                  namespace=settings.namespace, links=conn.links(experiment_id, kfp_run_id).as_dict())
    runs.save(record)
    return RunHandle(record, settings, kfp=conn)


def attach(run_id: str, settings: Any = None, *, kfp_token: str | None = None,
           kfp_cookies: str | None = None) -> RunHandle:
    """A handle to a run started earlier (e.g. before a kernel restart), refreshed."""
    record = runs.load(check_run_id(run_id))
    kfp = None
    if record.get("target") == "aws" and (kfp_token or kfp_cookies) and record.get("state") not in runs.FINAL_STATES:
        from .kfp_client import KfpConnection

        kfp = KfpConnection(record.get("kfp_host"), record.get("namespace") or "kubeflow", token=kfp_token,
                            cookies=kfp_cookies)
    return RunHandle(record, settings, kfp=kfp).refresh()


def list_runs(limit: int = 20) -> list[dict[str, Any]]:
    """Recent runs, newest first, as plain dicts (no AWS calls: cheap enough for a panel to poll)."""
    out = []
    for rec in runs.all_records()[:limit]:
        state = rec.get("state")
        if (rec.get("target") == "local" and state not in runs.FINAL_STATES
                and not runs.pid_alive(rec.get("pid"), rec["run_id"])
                and not _just_started(rec)):
            state = runs.FAILED
        out.append({"run_id": rec["run_id"], "target": rec.get("target"), "state": state,
                    "created_at": rec.get("created_at"), "finished_at": rec.get("finished_at"),
                    "error": rec.get("error"), "links": rec.get("links") or {},
                    "steps": [{k: rec["steps"][s].get(k) for k in ("name", "state", "start", "end", "job_name",
                                                                   "job_status", "failure_reason")}
                              for s in STEPS if s in rec.get("steps", {})],
                    "outputs": rec.get("outputs") or {}})
    return out


__all__ = ["RunHandle", "attach", "list_runs", "pipeline_keys", "start_run"]
