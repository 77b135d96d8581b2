"""One watcher per open run, shared by every tab that shows it.

A watcher holds one RunHandle and refreshes it on a single loop while anyone listens (the run
page's event stream), so ten tabs on one run cost what one costs: on the local target a refresh
every ``LOCAL_INTERVAL`` (changes reach the page well within a second); on aws every
``AWS_INTERVAL``, with the handle's JobReader spacing the SageMaker describes within the polling
budget. Plain GETs reuse the watcher's last view while it is fresh.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from ..errors import KfsmError
from . import runs, runview

log = logging.getLogger(__name__)

LOCAL_INTERVAL = 0.25
AWS_INTERVAL = 5.0
#: A finished run changes no more; its watcher only looks again this often (clean-up, a re-run).
FINISHED_INTERVAL = 3.0
RESTART_CHECK_SECONDS = 5.0
IDLE_EVICT_SECONDS = 600.0


def restart_note(view: dict[str, Any]) -> dict[str, Any] | None:
    """On the local target: whether the local cloud this run used is gone (stopped or restarted since)."""
    if view.get("target") != "local":
        return None
    from ..localcloud import status

    info = status()
    if info is None:
        return {"kind": "stopped"}
    created = view.get("created_at") or 0
    if info.started_at and created and info.started_at > created:
        return {"kind": "restarted", "restarted_at": info.started_at}
    return None


class RunWatch:
    """The latest view of one run, refreshed on demand or by a loop while there are listeners."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.handle: Any = None
        self.view: dict[str, Any] | None = None
        self.viewed_at = 0.0
        self.version = 0
        self.last_used = time.monotonic()
        self._fingerprint: tuple | None = None
        self._restart: tuple[float, dict[str, Any] | None] = (0.0, None)
        self._parameters: tuple[str, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()
        self._listeners: set[asyncio.Queue] = set()
        self._loop_task: asyncio.Task | None = None

    @property
    def interval(self) -> float:
        if self.view is not None and self.view["state"] in runview.FINAL:
            return FINISHED_INTERVAL
        return AWS_INTERVAL if (self.view or {}).get("target") == "aws" else LOCAL_INTERVAL

    async def current(self, max_age: float | None = None) -> dict[str, Any]:
        """The view, refreshed first when older than ``max_age`` (default: this run's interval)."""
        self.last_used = time.monotonic()
        async with self._lock:
            age = time.monotonic() - self.viewed_at
            if self.view is None or age >= (self.interval if max_age is None else max_age):
                await self._refresh()
            assert self.view is not None
            return self.view

    def _restart_note(self, view: dict[str, Any]) -> dict[str, Any] | None:
        checked, note = self._restart
        if time.monotonic() - checked >= RESTART_CHECK_SECONDS:
            note = restart_note(view)
            self._restart = (time.monotonic(), note)
        return note

    def _read(self) -> dict[str, Any]:
        if self.handle is None:
            self.handle = runs.attach(self.run_id)  # attach() refreshes
        else:
            self.handle.refresh()
        data = self.handle.to_dict()
        view = runview.run_view(data)
        view["restart"] = self._restart_note(view)
        if self._parameters is None or self._parameters[0] != data["run_id"]:
            self._parameters = (data["run_id"], runs.parameters_of(data))
        view["parameters"] = self._parameters[1]
        return view

    async def _refresh(self) -> None:
        view = await asyncio.to_thread(self._read)
        fingerprint = runview.fingerprint(view)
        changed = fingerprint != self._fingerprint
        if changed:
            self.version += 1
            self._fingerprint = fingerprint
        view["version"] = self.version
        self.view, self.viewed_at = view, time.monotonic()
        if changed:
            self._publish("run", view)

    def forget_handle(self) -> None:
        """After a terminate or re-run: read the run afresh next time."""
        self.handle = None
        self.viewed_at = 0.0

    def _publish(self, kind: str, data: Any) -> None:
        for queue in list(self._listeners):
            if queue.qsize() > 20:  # a stalled tab gets the newest view, not a backlog
                while not queue.empty():
                    queue.get_nowait()
            queue.put_nowait((kind, data))

    def listen(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        self._listeners.add(queue)
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.ensure_future(self._loop())
        return queue

    def stop_listening(self, queue: asyncio.Queue) -> None:
        self._listeners.discard(queue)
        self.last_used = time.monotonic()

    @property
    def listened(self) -> bool:
        return bool(self._listeners)

    async def _loop(self) -> None:
        failing = False
        while self._listeners:
            started = time.monotonic()
            try:
                await self.current(max_age=0)
                failing = False
            except KfsmError as err:
                if not failing:  # say it once, then keep trying quietly
                    self._publish("failure", err.to_dict())
                failing = True
            except Exception as exc:  # a watcher must outlive one bad read
                log.exception("reading run %s failed", self.run_id)
                if not failing:
                    self._publish("failure", {"error": type(exc).__name__, "message": str(exc), "hint": None})
                failing = True
            await asyncio.sleep(max(0.0, self.interval - (time.monotonic() - started)))


class RunWatches:
    """The watchers of this server, by the run id the page asked for."""

    def __init__(self) -> None:
        self._watches: dict[str, RunWatch] = {}

    def get(self, run_id: str) -> RunWatch:
        now = time.monotonic()
        for key, w in list(self._watches.items()):
            if not w.listened and now - w.last_used > IDLE_EVICT_SECONDS:
                del self._watches[key]
        watch = self._watches.get(run_id)
        if watch is None:
            watch = self._watches[run_id] = RunWatch(run_id)
        return watch
