"""The local Kubeflow Pipelines' files under ``<state_dir>/kfp/``.

``experiments/<id>.json``; per run ``runs/<id>/``: ``run.json`` (the API's), ``status.json`` (the
runner's), ``logs/<task>.log`` (each task's own output), ``runner.log`` and ``root/`` (kfp.local's
pipeline root: executor inputs and outputs, artifacts). Files are written atomically and read with
validation; a damaged one is set aside with a note in the runner log, never fatal to a listing.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from ..state import read_model, state_dir, write_json
from .model import Experiment, RunStatus, Submission

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_TASK = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def kfp_dir() -> Path:
    return state_dir() / "kfp"


def valid_id(value: str) -> bool:
    return bool(_ID.match(value or ""))


def valid_task_name(value: str) -> bool:
    return bool(_TASK.match(value or "")) and value not in (".", "..")


def _read(path: Path, model: type[M]) -> M | None:
    return read_model(path, model, fix="the local Kubeflow Pipelines goes on without it")


class RunFiles:
    """The files of one run."""

    def __init__(self, root: Path, run_id: str) -> None:
        if not valid_id(run_id):
            raise ValueError(f"not a run id: {run_id!r}")
        self.run_id = run_id
        self.dir = root / "runs" / run_id

    @property
    def submission_path(self) -> Path:
        return self.dir / "run.json"

    @property
    def status_path(self) -> Path:
        return self.dir / "status.json"

    @property
    def runner_log(self) -> Path:
        return self.dir / "runner.log"

    @property
    def pipeline_root(self) -> Path:
        return self.dir / "root"

    @property
    def workspace(self) -> Path:
        """kfp.local's workspace for the run (its default is a new /tmp folder per run, never removed)."""
        return self.dir / "workspace"

    def task_log(self, task: str) -> Path:
        if not valid_task_name(task):
            raise ValueError(f"not a task name: {task!r}")
        return self.dir / "logs" / f"{task}.log"

    def exists(self) -> bool:
        return self.submission_path.is_file()

    def submission(self) -> Submission | None:
        return _read(self.submission_path, Submission)

    def status(self) -> RunStatus:
        return _read(self.status_path, RunStatus) or RunStatus()

    def save_submission(self, sub: Submission) -> None:
        write_json(self.submission_path, sub.model_dump(mode="json"))

    def save_status(self, status: RunStatus) -> None:
        write_json(self.status_path, status.model_dump(mode="json"))


class Store:
    """Experiments and runs on disk; the API process is their only writer (runners write status.json)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or kfp_dir()
        (self.root / "experiments").mkdir(parents=True, exist_ok=True, mode=0o700)
        (self.root / "runs").mkdir(parents=True, exist_ok=True, mode=0o700)
        self.lock = threading.RLock()

    # -- experiments --------------------------------------------------------------------------
    def _experiment_path(self, experiment_id: str) -> Path:
        return self.root / "experiments" / f"{experiment_id}.json"

    def experiments(self) -> list[Experiment]:
        out = [e for p in sorted((self.root / "experiments").glob("*.json")) if (e := _read(p, Experiment))]
        return sorted(out, key=lambda e: e.created_at)

    def experiment(self, experiment_id: str) -> Experiment | None:
        if not valid_id(experiment_id):
            return None
        return _read(self._experiment_path(experiment_id), Experiment)

    def save_experiment(self, exp: Experiment) -> None:
        write_json(self._experiment_path(exp.experiment_id), exp.model_dump(mode="json"))

    def delete_experiment(self, experiment_id: str) -> None:
        self._experiment_path(experiment_id).unlink(missing_ok=True)

    # -- runs ---------------------------------------------------------------------------------
    def run(self, run_id: str) -> RunFiles | None:
        if not valid_id(run_id):
            return None
        files = RunFiles(self.root, run_id)
        return files if files.exists() else None

    def new_run(self, run_id: str) -> RunFiles:
        files = RunFiles(self.root, run_id)
        (files.dir / "logs").mkdir(parents=True, exist_ok=True, mode=0o700)
        return files

    def runs(self) -> list[tuple[RunFiles, Submission]]:
        out = []
        for d in (self.root / "runs").iterdir():
            if not d.is_dir() or not valid_id(d.name):
                continue
            files = RunFiles(self.root, d.name)
            sub = files.submission()
            if sub is not None:
                out.append((files, sub))
        return sorted(out, key=lambda pair: pair[1].created_at)

    def delete_run(self, files: RunFiles) -> None:
        import shutil

        shutil.rmtree(files.dir, ignore_errors=True)


def pid_alive(pid: int | None) -> bool:
    """True when that process exists and is not a zombie."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
