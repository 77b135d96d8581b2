"""Run snapshots (``RunHandle.to_dict()``) → a stream of small, readable events.

Views (figure, tqdm, panel) consume events or snapshots; none of them polls AWS itself, so the
handle's economical polling is the only load on SageMaker.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RunEvent:
    """Something changed: the run's state, a step's state, its SageMaker status, a metric, a log line."""

    time: float
    run_id: str
    kind: str  # run_state | step_state | job_status | secondary_status | metric | log | failure
    value: str
    step: str | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.step}: " if self.step else ""
        extra = f" ({self.detail})" if self.detail else ""
        return f"{where}{self.kind.replace('_', ' ')} → {self.value}{extra}"


def _steps(snapshot: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in (snapshot or {}).get("steps", [])}


def diff(prev: dict[str, Any] | None, cur: dict[str, Any], now: float | None = None) -> list[RunEvent]:
    """The events that lead from snapshot ``prev`` (None: nothing seen yet) to ``cur``."""
    t = now if now is not None else time.time()
    rid = cur["run_id"]
    out: list[RunEvent] = []
    if prev is None or prev.get("state") != cur.get("state"):
        out.append(RunEvent(t, rid, "run_state", cur.get("state") or "", detail=cur.get("error")))
    old_steps = _steps(prev)
    for name, st in _steps(cur).items():
        old = old_steps.get(name, {})
        if old.get("state") != st.get("state") and (prev is not None or st.get("state") != "pending"):
            out.append(RunEvent(t, rid, "step_state", st.get("state") or "", name))
        if st.get("job_status") and old.get("job_status") != st.get("job_status"):
            out.append(RunEvent(t, rid, "job_status", st["job_status"], name, st.get("job_name")))
        if st.get("secondary_status") and old.get("secondary_status") != st.get("secondary_status"):
            out.append(RunEvent(t, rid, "secondary_status", st["secondary_status"], name))
        if st.get("failure_reason") and old.get("failure_reason") != st.get("failure_reason"):
            out.append(RunEvent(t, rid, "failure", st["failure_reason"], name))
        for metric, value in (st.get("metrics") or {}).items():
            if (old.get("metrics") or {}).get(metric) != value:
                out.append(RunEvent(t, rid, "metric", f"{value:.6g}", name, metric))
        old_logs = old.get("logs") or []
        new_logs = st.get("logs") or []
        fresh = new_logs[len(old_logs):] if new_logs[:len(old_logs)] == old_logs else new_logs[-5:]
        out += [RunEvent(t, rid, "log", line, name) for line in fresh]
    return out


def watch(handle: Any, timeout: float | None = None, interval: float | None = None) -> Iterator[RunEvent]:
    """Refresh ``handle`` until the run ends (or ``timeout``), yielding each change as it is seen."""
    interval = interval if interval is not None else (0.25 if handle.target == "local" else 5.0)
    deadline = None if timeout is None else time.monotonic() + timeout
    prev: dict[str, Any] | None = None
    while True:
        cur = handle.refresh().to_dict()
        yield from diff(prev, cur)
        prev = cur
        if handle.done or (deadline is not None and time.monotonic() >= deadline):
            return
        time.sleep(interval)
