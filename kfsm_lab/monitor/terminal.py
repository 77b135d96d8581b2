"""A tqdm view of a run for terminals (and a widget bar in notebooks, through tqdm.auto)."""

from __future__ import annotations

import time
from typing import Any, TextIO

from .events import diff

_DONE_STEP = {"succeeded", "failed", "canceled", "skipped"}


def _postfix(snapshot: dict[str, Any]) -> str:
    active = [s for s in snapshot.get("steps", []) if s.get("state") == "running"]
    parts = []
    for s in active:
        status = s.get("secondary_status") or s.get("job_status") or "running"
        parts.append(f"{s['name'].removeprefix('sagemaker-')}: {status}")
    return ", ".join(parts) or snapshot.get("state", "")


def tqdm_watch(handle: Any, timeout: float | None = None, interval: float | None = None,
               file: TextIO | None = None, show_events: bool = True) -> Any:
    """Show one bar (steps finished out of all the run's steps) with the active step's SageMaker status;
    print each event.

    Returns the handle once the run has ended (or ``timeout`` passed).
    """
    from tqdm.auto import tqdm

    interval = interval if interval is not None else (0.25 if handle.target == "local" else 5.0)
    deadline = None if timeout is None else time.monotonic() + timeout
    prev = None
    with tqdm(total=None, desc=f"run {handle.run_id}", unit="step", file=file, leave=True) as bar:
        while True:
            cur = handle.refresh().to_dict()
            bar.total = len(cur.get("steps") or []) or None
            if show_events:
                for ev in diff(prev, cur):
                    if ev.kind != "log":
                        bar.write(str(ev), file=file)
            prev = cur
            bar.n = sum(1 for s in cur["steps"] if s.get("state") in _DONE_STEP)
            bar.set_postfix_str(_postfix(cur), refresh=False)
            bar.refresh()
            if handle.done or (deadline is not None and time.monotonic() >= deadline):
                return handle
            time.sleep(interval)
