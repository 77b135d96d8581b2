"""What the local Kubeflow Pipelines stores, and KFP's run states.

Two files per run keep the two writers apart: ``run.json`` (written by the API: what was submitted,
and a termination request) and ``status.json`` (written by the run's runner: states, tasks, times).
Both are validated when read, so a damaged file is reported instead of breaking every listing.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# KFP's RuntimeState enum (v2beta1), and the ones a run or task never leaves.
PENDING, RUNNING, SUCCEEDED, SKIPPED, FAILED = "PENDING", "RUNNING", "SUCCEEDED", "SKIPPED", "FAILED"
CANCELING, CANCELED, PAUSED = "CANCELING", "CANCELED", "PAUSED"
RUNTIME_STATES = (PENDING, RUNNING, SUCCEEDED, SKIPPED, FAILED, CANCELING, CANCELED, PAUSED)
FINAL_STATES = frozenset({SUCCEEDED, SKIPPED, FAILED, CANCELED})

# google.rpc.Code values used in errors and statuses
CODE_INVALID_ARGUMENT, CODE_NOT_FOUND, CODE_ALREADY_EXISTS, CODE_UNIMPLEMENTED, CODE_INTERNAL = 3, 5, 6, 12, 13
CODE_FAILED_PRECONDITION, CODE_CANCELLED, CODE_UNKNOWN, CODE_PERMISSION_DENIED = 9, 1, 2, 7


def now() -> float:
    return time.time()


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Experiment(_Record):
    experiment_id: str
    display_name: str
    description: str = ""
    namespace: str = ""
    created_at: float = Field(default_factory=now)
    last_run_created_at: float | None = None
    storage_state: str = "AVAILABLE"


class Submission(_Record):
    """``run.json``: the run as submitted (the pipeline spec is kept as JSON, exactly as sent)."""

    run_id: str
    experiment_id: str
    display_name: str
    description: str = ""
    pipeline_spec: dict[str, Any]
    platform_spec: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(default_factory=dict)
    pipeline_root: str = ""
    service_account: str = ""
    created_at: float = Field(default_factory=now)
    storage_state: str = "AVAILABLE"
    terminate_requested_at: float | None = None
    runner_pid: int | None = None


class StateChange(_Record):
    state: str
    at: float = Field(default_factory=now)
    message: str | None = None


class TaskStatus(_Record):
    task_id: str
    name: str  # the task's key in the DAG
    display_name: str = ""  # its taskInfo.name (set_display_name), what KFP's task details show
    component: str = ""
    state: str = PENDING
    create_time: float = Field(default_factory=now)
    start_time: float | None = None
    end_time: float | None = None
    error: str | None = None
    attempts: int = 0
    pid: int | None = None  # of its process (and process group) while it runs
    outputs: dict[str, Any] = Field(default_factory=dict)  # parameter values and artifact URIs
    log_file: str = ""
    history: list[StateChange] = Field(default_factory=list)

    def move(self, state: str, message: str | None = None) -> None:
        self.state = state
        self.history.append(StateChange(state=state, message=message))


class RunStatus(_Record):
    """``status.json``: how the run is going (only the runner writes it)."""

    state: str = PENDING
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    pid: int | None = None
    tasks: dict[str, TaskStatus] = Field(default_factory=dict)
    history: list[StateChange] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # what the local runner did differently from a cluster

    def move(self, state: str, message: str | None = None) -> None:
        self.state = state
        self.history.append(StateChange(state=state, message=message))
