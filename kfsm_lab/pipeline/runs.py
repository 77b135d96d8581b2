"""Run states and the kit's run records: ``<state_dir>/runs/<run_id>.json``.

A record says where a run lives — which Kubeflow Pipelines API (the local one or a cluster's), its
KFP run id, experiment and links — so ``attach(run_id)`` finds it after a kernel restart. What the
run *is doing* always comes from that API, never from the record. Records hold no secrets and are
read with validation: a damaged one is set aside and named, never fatal to a listing.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import KfsmError
from ..names import check_run_id
from ..state import read_model, state_dir, write_json

log = logging.getLogger(__name__)

# The kit's states, the same words for both targets (lowercase), and KFP's RuntimeState mapped onto them.
PENDING, RUNNING, SUCCEEDED, FAILED, CANCELING, CANCELED, SKIPPED = (
    "pending", "running", "succeeded", "failed", "canceling", "canceled", "skipped")
FINAL_STATES = frozenset({SUCCEEDED, FAILED, CANCELED, SKIPPED})
KFP_STATE = {"PENDING": PENDING, "RUNNING": RUNNING, "SUCCEEDED": SUCCEEDED, "SKIPPED": SKIPPED, "FAILED": FAILED,
             "ERROR": FAILED, "CANCELING": CANCELING, "CANCELED": CANCELED, "PAUSED": RUNNING,
             "RUNTIME_STATE_UNSPECIFIED": PENDING}


def kit_state(kfp_state: Any, default: str = PENDING) -> str:
    return KFP_STATE.get(str(kfp_state or "").upper().removeprefix("V2BETA1RUNTIMESTATE."), default)


class RunNotFoundError(KfsmError):
    """No run with that id, on this machine or on the target's Kubeflow Pipelines."""


class RunRecord(BaseModel):
    """Where a run lives. ``run_id`` is the kit's (resource names derive from it); ``kfp_run_id`` the API's."""

    model_config = ConfigDict(extra="ignore")

    run_id: str
    kfp_run_id: str
    target: str
    kfp_host: str = ""
    namespace: str = ""
    experiment_id: str = ""
    experiment: str = ""
    pipeline_name: str = ""
    created_at: float = Field(default_factory=time.time)
    links: dict[str, str] = Field(default_factory=dict)
    region: str = ""
    arguments: dict[str, Any] = Field(default_factory=dict)
    # What a handle last saw of a cluster run (state, steps), so listings need no network call.
    last_seen: dict[str, Any] = Field(default_factory=dict)
    last_seen_at: float | None = None


def runs_dir() -> Path:
    return state_dir() / "runs"


def record_path(run_id: str) -> Path:
    return runs_dir() / f"{check_run_id(run_id)}.json"


def now() -> float:
    return time.time()


def save(record: RunRecord) -> None:
    write_json(record_path(record.run_id), record.model_dump(mode="json"))


def _read(path: Path) -> RunRecord | None:
    return read_model(path, RunRecord, "run record",
                      "the run itself is untouched; `kfsm-lab pipeline status RUN_ID` finds it again by its id")


def load(run_id: str) -> RunRecord | None:
    """The record of the kit's run ``run_id``, or one whose KFP run id is ``run_id``; None when unknown."""
    try:
        rec = _read(record_path(run_id))
    except KfsmError:  # not a kit run id (a KFP uuid is one, so this is some other string)
        rec = None
    if rec is not None:
        return rec
    return next((r for r in all_records() if r.kfp_run_id == run_id), None)


def all_records() -> list[RunRecord]:
    """Every readable record, newest first."""
    d = runs_dir()
    if not d.is_dir():
        return []
    recs = [r for p in d.glob("*.json") if (r := _read(p)) is not None]
    return sorted(recs, key=lambda r: r.created_at, reverse=True)
