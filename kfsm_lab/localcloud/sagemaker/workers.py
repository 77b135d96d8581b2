"""Worker processes for the k-means fits that start while another fit is running.

k-means' mini-batch loop holds the GIL, so two trainings on threads of the one cloud process take
as long as one after the other (measured on the sample, 2 cores: two fits 0.18 s on threads, 0.11 s
in two processes). The first fit keeps running on its job's thread (no process start on the short
path: one training at a time never meets a worker); each fit that starts while another is running
goes to a worker process. Workers are started ahead when a tuning job asks for parallel trials,
stay idle for the next fit, and exit when the cloud does (their stdin closes).

The protocol is length-prefixed pickles over the worker's stdin/stdout (a private pipe to our own
child): ``("fit", X, params, seed)`` → ``("step", stage, step, value)``… then ``("done", result)``
or ``("error", exception)``; a ``("stop",)`` sent mid-fit ends it with ``("stopped",)``.
"""

from __future__ import annotations

if __name__ == "__main__":  # a worker's own process: no collection until it has imported what it keeps
    from ... import heap

    heap.hold()

import atexit
import contextlib
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from .. import kmeans

_HEADER = struct.Struct("!Q")


def _send(stream: IO[bytes], msg: tuple[Any, ...]) -> None:
    data = pickle.dumps(msg, protocol=5)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _recv(stream: IO[bytes]) -> tuple[Any, ...]:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("the fit worker closed its pipe")
    (n,) = _HEADER.unpack(head)
    data = stream.read(n)
    if len(data) < n:
        raise EOFError("the fit worker closed its pipe mid-message")
    return pickle.loads(data)  # noqa: S301 - our own child's answers over a private pipe


class WorkerDied(RuntimeError):
    """The worker process ended in the middle of a fit."""


class _Worker:
    def __init__(self) -> None:
        # one BLAS thread each: the workers (and the fit on the cloud's own thread) share the cores
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
            close_fds=True)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def fit(self, X: np.ndarray, params: kmeans.KMeansParams, seed: int,
            on_step: Callable[[str, int, float], None]) -> kmeans.FitResult:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            _send(self.proc.stdin, ("fit", X, params, seed))
            while True:
                msg = _recv(self.proc.stdout)
                if msg[0] == "step":
                    try:
                        on_step(*msg[1:])
                    except BaseException:
                        _send(self.proc.stdin, ("stop",))  # a stop request or the deadline: end the fit there
                        while _recv(self.proc.stdout)[0] not in ("stopped", "done", "error"):
                            pass
                        raise
                elif msg[0] == "done":
                    return msg[1]
                elif msg[0] == "error":
                    raise msg[1]
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            self.close()
            raise WorkerDied(f"the k-means worker process ended during the fit ({exc})") from None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(2)


class FitWorkers:
    """Idle worker processes, checked out for one fit at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._all: list[_Worker] = []
        self._closed = False
        atexit.register(self.close)

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                w = self._idle.pop()
                if w.alive:
                    return w
                self._all.remove(w)
        w = _Worker()
        with self._lock:
            self._all.append(w)
        return w

    def _give_back(self, w: _Worker) -> None:
        with self._lock:
            if w.alive and not self._closed:
                self._idle.append(w)
                return
        w.close()

    def warm(self, n: int) -> None:
        """Have ``n`` idle workers ready (started on a thread: the caller does not wait for them)."""
        def start() -> None:
            with self._lock:
                missing = n - len(self._idle)
            for _ in range(max(0, missing)):
                w = _Worker()
                with self._lock:
                    self._all.append(w)
                self._give_back(w)

        threading.Thread(target=start, daemon=True, name="kfsm-fit-workers").start()

    def fit(self, X: np.ndarray, params: kmeans.KMeansParams, seed: int = kmeans.DEFAULT_SEED,
            on_step: Callable[[str, int, float], None] = kmeans._noop) -> kmeans.FitResult:
        w = self._take()
        try:
            return w.fit(X, params, seed, on_step)
        finally:
            self._give_back(w)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._all, self._idle = self._all, [], []
        for w in workers:
            w.close()


class _StopFit(Exception):
    pass


def _serve(inp: IO[bytes], out: IO[bytes]) -> None:
    """The worker's loop: one fit per request until stdin closes."""
    while True:
        try:
            msg = _recv(inp)
        except EOFError:
            return
        if msg[0] != "fit":
            continue
        _, X, params, seed = msg

        def on_step(stage: str, step: int, value: float) -> None:
            if select.select([inp], [], [], 0)[0]:
                if _recv(inp)[0] == "stop":
                    raise _StopFit
            _send(out, ("step", stage, step, value))

        try:
            _send(out, ("done", kmeans.fit(X, params, seed=seed, on_step=on_step)))
        except _StopFit:
            _send(out, ("stopped",))
        except Exception as exc:  # noqa: BLE001 - the parent re-raises it on the job's thread
            try:
                pickle.dumps(exc)
            except Exception:  # noqa: BLE001
                exc = RuntimeError(f"{type(exc).__name__}: {exc}")
            _send(out, ("error", exc))


if __name__ == "__main__":
    heap.settle()
    # the answers go to a private copy of stdout; anything printed lands on stderr instead
    _answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    _serve(sys.stdin.buffer, _answers)
