"""Threads behind the panel: one worker for the long actions, one poller that re-reads the state.

Both are plain threads with nothing panel-specific in them. The worker holds a single busy slot
(a second action while one runs is refused, not queued); the poller calls its function every
``interval`` seconds until stopped and sleeps in between, so a closed panel costs nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("kfsm_lab.widgets")


class Busy(Exception):
    """The worker is already running an action."""

    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.action = action


class Worker:
    """Runs one action at a time on a daemon thread; ``on_done(action, result, exc)`` reports the end."""

    def __init__(self, on_done: Callable[[str, Any, BaseException | None], None]) -> None:
        self._on_done = on_done
        self._lock = threading.Lock()
        self._busy: str | None = None
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> str | None:
        return self._busy

    def claim(self, action: str) -> None:
        """Take the busy slot (raises :class:`Busy`); :meth:`run` or :meth:`release` gives it back."""
        with self._lock:
            if self._busy is not None:
                raise Busy(self._busy)
            self._busy = action

    def release(self) -> None:
        with self._lock:
            self._busy = None

    def run(self, action: str, fn: Callable[[], Any], background: bool = True) -> Any:
        """Run a claimed action: on a thread (returns None at once) or here (returns its result)."""

        def body() -> Any:
            try:
                result = fn()
            except BaseException as exc:
                self.release()
                self._on_done(action, None, exc)
                if not background:
                    raise
                return None
            self.release()
            self._on_done(action, result, None)
            return result

        if not background:
            return body()
        thread = threading.Thread(target=body, name=f"kfsm-{action}", daemon=True)
        with self._lock:
            self._thread = thread
        thread.start()
        return None

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the background action and its report; True when the slot is free and the report made.

        The slot is taken before the thread starts, so this waits for the slot, not just a thread; and
        the slot is given back before ``on_done`` runs (so its listeners see the buttons free), so this
        also waits for the thread to end: a caller that reads the action's result after ``join`` finds it.
        """
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                thread = self._thread
            reporting = thread is not None and thread.is_alive() and thread is not threading.current_thread()
            if self._busy is None and not reporting:
                return True
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            if reporting:
                thread.join(min(left, 0.5) if left is not None else 0.5)  # type: ignore[union-attr]
            else:
                time.sleep(0.02)


class Poller:
    """Calls ``fn()`` every ``interval`` seconds on a daemon thread; ``poke()`` makes it call at once."""

    def __init__(self, fn: Callable[[], None], interval: float) -> None:
        self._fn = fn
        self.interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="kfsm-poller", daemon=True)
            self._thread.start()

    def poke(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._fn()
            except Exception:  # a failed read must not end the loop; the next one tries again
                log.debug("poll failed", exc_info=True)
            self._wake.wait(self.interval)
            self._wake.clear()
