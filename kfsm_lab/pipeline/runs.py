"""Run records: one JSON file per run under ``<state_dir>/runs/``, the memory that outlives a kernel.

A record is written by whoever drives the run (the local runner process, or the submitter on a
cluster) and read by any handle, the CLI and the runs panel. Records hold no secrets.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from ..errors import KfsmError
from ..state import read_json, state_dir, write_json
from .names import STEPS, check_run_id, resource_names

# Overall and per-step states, the same words for both targets.
PENDING, RUNNING, SUCCEEDED, FAILED, CANCELING, CANCELED, SKIPPED = (
    "pending", "running", "succeeded", "failed", "canceling", "canceled", "skipped")
FINAL_STATES = frozenset({SUCCEEDED, FAILED, CANCELED, SKIPPED})


class RunNotFoundError(KfsmError):
    """No record of a run with that id on this machine."""


def runs_dir() -> Path:
    return state_dir() / "runs"


def record_path(run_id: str) -> Path:
    return runs_dir() / f"{check_run_id(run_id)}.json"


def log_path(run_id: str) -> Path:
    return runs_dir() / f"{check_run_id(run_id)}.log"


def kfp_root(run_id: str) -> Path:
    """kfp.local's pipeline_root for a run: inside the state folder, never the working directory."""
    return state_dir() / "kfp" / check_run_id(run_id)


def now() -> float:
    return time.time()


def new_record(run_id: str, target: str, settings: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """A fresh record in state ``pending`` with every step known by name and SageMaker name."""
    names = resource_names(run_id)
    job_of = {STEPS[0]: names.training_job, STEPS[1]: names.model, STEPS[2]: names.transform_job,
              STEPS[3]: names.endpoint}
    return {
        "run_id": run_id, "target": target, "state": PENDING, "created_at": now(), "started_at": None,
        "finished_at": None, "error": None, "settings": settings, "arguments": arguments,
        "resources": names.as_dict(), "links": {}, "outputs": {},
        "steps": {s: {"name": s, "state": PENDING, "start": None, "end": None, "job_name": job_of[s],
                      "job_status": None, "secondary_status": None, "failure_reason": None} for s in STEPS},
    }


def save(record: dict[str, Any]) -> None:
    record["updated_at"] = now()
    write_json(record_path(record["run_id"]), record)


def load(run_id: str) -> dict[str, Any]:
    rec = read_json(record_path(run_id))
    if not isinstance(rec, dict):
        raise RunNotFoundError(f"no run {run_id!r} is recorded in {runs_dir()}",
                               "`kfsm-lab pipeline status` lists the known runs; check KFSM_STATE_DIR")
    return rec


def all_records() -> list[dict[str, Any]]:
    """Every readable record, newest first."""
    d = runs_dir()
    if not d.is_dir():
        return []
    recs = [r for p in d.glob("*.json") if isinstance(r := read_json(p), dict) and "run_id" in r]
    return sorted(recs, key=lambda r: r.get("created_at") or 0, reverse=True)


def pid_alive(pid: int | None, run_id: str | None = None) -> bool:
    """True when that process exists (not a zombie) and, given ``run_id``, is that run's runner.

    The command-line check keeps a recycled pid (after a reboot, say) from passing for a live run.
    """
    if not pid:
        return False
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    proc = Path(f"/proc/{pid}")
    try:
        if proc.joinpath("stat").read_text().rsplit(")", 1)[-1].split()[0] == "Z":
            return False
        if run_id is not None:
            argv = proc.joinpath("cmdline").read_bytes().split(b"\0")
            return b"kfsm_lab.pipeline.local_runner" in argv and run_id.encode() in argv
    except (OSError, IndexError):
        pass  # no /proc (not Linux): the signal check above is all there is
    return True
