"""One frozen picture of where the exercise stands, read from the state every view shares.

The sources are the ones the notebook cells, the panel and the CLI all write: the journal (setup,
predictions, clean-up), the run records (through :mod:`kfsm_lab.pipeline`), and the cloud itself (is
the run's endpoint still there?). :class:`SnapshotReader` builds a :class:`Progress` from them; every
part of the panel — buttons, status line, step bar, figure — is drawn from the same one, so they can
never disagree. Reading never starts a local cloud.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

ACTIVE_RUN_STATES = frozenset({"pending", "running", "canceling"})
FINAL_RUN_STATES = frozenset({"succeeded", "failed", "canceled", "skipped"})
GONE = "gone"  # endpoint_status of an endpoint that was deleted


def _frozen(d: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return None if d is None else MappingProxyType(dict(d))


@dataclass(frozen=True)
class Progress:
    """Everything the enablement rules and the views need, taken at one moment."""

    target: str
    region: str
    fields: Mapping[str, str]
    field_errors: Mapping[str, str | None]
    busy: str | None = None  # the panel's own action on its worker
    cell_running: bool = False  # a notebook cell is executing (clicks would wait for it)
    setup: Mapping[str, Any] | None = None  # the journal's setup entry, when it fits the fields
    setup_lost: str | None = None  # why an earlier setup no longer holds (a restarted local cloud)
    run: Mapping[str, Any] | None = None  # RunHandle.to_dict() of the run the panel follows
    endpoint_status: str | None = None  # of the run's endpoint: InService, Creating, …, GONE; None unknown
    prediction: Mapping[str, Any] | None = None  # the journal's entry for a prediction from this run
    cleanup: Mapping[str, Any] | None = None  # the journal's newest clean-up entry
    cloud_running: bool | None = None  # local target: is the local cloud up (None on aws)
    taken_at: float = field(default_factory=time.time)

    # -- derived facts, so every view words the same thing the same way -----------------------------
    @property
    def run_id(self) -> str | None:
        return self.run["run_id"] if self.run else None

    @property
    def run_state(self) -> str | None:
        return self.run["state"] if self.run else None

    @property
    def run_active(self) -> bool:
        return self.run_state in ACTIVE_RUN_STATES

    @property
    def run_succeeded(self) -> bool:
        return self.run_state == "succeeded"

    @property
    def endpoint(self) -> str | None:
        return ((self.run or {}).get("outputs") or {}).get("endpoint_name")

    @property
    def endpoint_live(self) -> bool:
        return self.endpoint_status == "InService"

    @property
    def steps(self) -> list[Mapping[str, Any]]:
        return list((self.run or {}).get("steps") or [])

    def current_step(self) -> tuple[int, Mapping[str, Any]] | None:
        """(1-based position, step) of the first running step, else of the first failed one."""
        for wanted in ("running", "canceling", "failed"):
            for i, st in enumerate(self.steps, start=1):
                if st.get("state") == wanted:
                    return i, st
        return None


def _matches(entry: Mapping[str, Any], fields: Mapping[str, str]) -> bool:
    """A setup fits the fields when each of role and bucket is empty (setup fills it) or the same."""
    return all(not fields.get(k) or fields.get(k) == entry.get(k) for k in ("role_arn", "bucket"))


def _in_scope(run: Mapping[str, Any], region: str, bucket: str | None, partial: bool = False) -> bool:
    """Is this run of the panel's region (and bucket, once it has one)? Read from the run's parameters and
    its tasks' inputs and outputs, which name its S3 URIs and region whichever way it was started (a run
    that failed at its first task has no outputs yet, but its parameters already say where it works)."""
    import json

    text = json.dumps({"steps": [{k: s.get(k) for k in ("inputs", "outputs")} for s in run.get("steps") or []],
                       "outputs": run.get("outputs"),
                       "parameters": dict(run.get("parameters") or {})},
                      default=str)
    regions = set(re.findall(r'"region": "([a-z0-9-]+)"', text))
    if region not in regions and (regions or not partial):
        # not of this region, or of none (a pipeline without SageMaker steps is no panel's); a listing's
        # ``partial`` row (no parameters) is ruled out only by what it does say
        return False
    return not bucket or f"s3://{bucket}/" in text or "s3://" not in text


class SnapshotReader:
    """Builds :class:`Progress` pictures; keeps the run handle and the endpoint check between reads.

    ``endpoint_every`` spaces the endpoint look-ups (seconds): 0 on the local target (one cheap
    call per read), longer on aws.
    """

    def __init__(self, endpoint_every: float | None = None) -> None:
        self._handles: dict[str, Any] = {}
        self._final: set[str] = set()  # runs read once after they ended: their record no longer changes
        self._found: tuple[tuple[str, str, str | None], float, str | None] | None = None  # (scope, when, run id)
        self.discover_every = 2.0  # s between listings of the runs (a cell's new run shows within this)
        self.own: str | None = None  # the run this panel started (followed until a newer one appears)
        self._endpoint: tuple[str, float, str | None] | None = None  # (name, when, status)
        self.endpoint_every = endpoint_every
        self.error: str | None = None  # why the last read was partial (shown in no view; for debugging)

    # -- sources -----------------------------------------------------------------------------------
    def _cloud(self, target: str) -> Any:
        if target != "local":
            return None
        from ..localcloud import status

        return status()

    def _newest_run_id(self, target: str, region: str, bucket: str | None) -> str | None:
        """The newest run of this target and region (and of this bucket, once the panel has one)."""
        from ..pipeline import list_runs

        runs = sorted(list_runs(limit=50), key=lambda r: r.get("created_at") or 0, reverse=True)
        looked = 0
        for rec in runs:
            if rec.get("target") != target or not _in_scope(rec, region, bucket, partial=True):
                continue  # the listing's own outputs already name another bucket: no need to look closer
            handle = self._handle(rec["run_id"])
            if handle is not None and _in_scope(handle.to_dict(), region, bucket):
                return rec["run_id"]
            looked += 1
            if looked >= 5:  # a closer look costs requests; the newest few are what a panel follows
                break
        return None

    def _created(self, run_id: str) -> float:
        handle = self._handle(run_id)
        return float((handle.to_dict().get("created_at") if handle is not None else 0) or 0)

    def _handle(self, run_id: str) -> Any:
        handle = self._handles.get(run_id)
        if handle is None:
            from ..pipeline import attach

            try:
                handle = attach(run_id)
            except Exception as exc:  # noqa: BLE001 - a record being written or removed: try next time
                self.error = f"run {run_id}: {exc}"
                return None
            self._handles = {run_id: handle, **dict(list(self._handles.items())[:4])}
        return handle

    def _discover(self, target: str, region: str, bucket: str | None) -> str | None:
        """The newest run of the scope, listed at most every ``discover_every`` seconds."""
        scope = (target, region, bucket)
        now = time.monotonic()
        if self._found and self._found[0] == scope and now - self._found[1] < self.discover_every:
            return self._found[2]
        found = self._newest_run_id(target, region, bucket)
        self._found = (scope, now, found)
        return found

    def _run(self, target: str, region: str, bucket: str | None = None) -> dict[str, Any] | None:
        run_id = self._discover(target, region, bucket)
        if self.own and (run_id is None or self._created(self.own) >= self._created(run_id)):
            run_id = self.own  # the panel's own run, unless a cell started a newer one
        if run_id is None:
            return None
        handle = self._handle(run_id)
        if handle is None:
            return None
        if run_id not in self._final:
            try:
                handle.refresh()
            except Exception as exc:  # noqa: BLE001 - keep the last picture; the next read tries again
                self.error = str(exc)
            if handle.done:
                self._final.add(run_id)
        return handle.to_dict()

    def _endpoint_status(self, settings: Any, cloud: Any, name: str | None) -> str | None:
        if not name:
            return None
        every = self.endpoint_every if self.endpoint_every is not None else (0.0 if settings.target == "local"
                                                                             else 30.0)
        now = time.monotonic()
        if self._endpoint and self._endpoint[0] == name and now - self._endpoint[1] < every:
            return self._endpoint[2]
        status: str | None
        try:
            if settings.target == "local":
                if cloud is None:
                    return GONE  # no local cloud: nothing of it is live
                sm = cloud.client("sagemaker", settings.region)
            else:
                from .. import aws

                sm = aws.client(settings, "sagemaker")
            status = sm.describe_endpoint(EndpointName=name)["EndpointStatus"]
        except Exception as exc:  # noqa: BLE001
            from ..aws import error_code

            code = error_code(exc)
            status = GONE if code in ("ValidationException", "ResourceNotFound") else None
            if status is None:
                self.error = f"describe endpoint {name}: {exc}"
        self._endpoint = (name, now, status)
        return status

    # -- the picture ---------------------------------------------------------------------------------
    def read(self, settings: Any, fields: Mapping[str, str], field_errors: Mapping[str, str | None],
             busy: str | None = None, cell_running: bool = False) -> Progress:
        from .. import journal

        target, region = settings.target, settings.region
        self.error = None
        cloud = self._cloud(target)
        book = journal.entries(target, region)
        setup = book.get("setup")
        cleanup = book.get("cleanup")
        if setup and cleanup and cleanup["at"] > setup["at"] and (cleanup.get("include_bucket")
                                                                   or cleanup.get("include_iam")):
            setup = None  # cleaned away since
        lost = None
        if setup and target == "local":
            from ..localcloud.restarts import check

            err = check()
            if err is not None:
                lost, setup = err.message, None
        if setup and not _matches(setup, fields):
            setup = None
        try:
            run = self._run(target, region, fields.get("bucket") or None)
        except Exception as exc:  # noqa: BLE001 - e.g. a run record half written
            run, self.error = None, str(exc)
        endpoint_status = None
        prediction = None
        if run is not None:
            name = (run.get("outputs") or {}).get("endpoint_name")
            if run.get("state") == "succeeded":
                endpoint_status = self._endpoint_status(settings, cloud, name)
            pred = book.get("predict")
            if pred and pred.get("run_id") == run["run_id"]:
                prediction = pred
        return Progress(target=target, region=region, fields=MappingProxyType(dict(fields)),
                        field_errors=MappingProxyType(dict(field_errors)), busy=busy, cell_running=cell_running,
                        setup=_frozen(setup), setup_lost=lost, run=_frozen(run), endpoint_status=endpoint_status,
                        prediction=_frozen(prediction), cleanup=_frozen(cleanup),
                        cloud_running=None if target != "local" else cloud is not None)
