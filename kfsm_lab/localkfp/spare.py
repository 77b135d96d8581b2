"""One runner started ahead of time, waiting for the next run.

A runner's own start — a Python, kfp.local, and its zygote importing kfp and boto3 — took ~0.8 s
between ``create_run`` and the first task's first line. The local Kubeflow Pipelines API keeps one
spare runner started (``python -m kfsm_lab.localkfp.runner --spare``): it imports all that, then
waits on its stdin. A run hands it the run's folder and environment (one JSON line) and it becomes
that run's runner (it answers ``taken`` first: one that died a moment ago is noticed and a fresh
runner started instead), exactly as a freshly started one — its own session, its pid in the run's status,
SIGTERM to terminate. The API starts the next spare a moment after that run ends: started beside the
run, its imports took ~1.4 s of CPU from the run's own steps on 2 cores, and at the run's end its
caller reads the results and predicts (0.6 s of CPU beside that, on 2 cores). A run submitted sooner
starts a runner of its own, as without a spare. When the API goes away the spare's stdin closes and it
exits; a spare that died is simply replaced by a fresh start.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

TAKEN = b"taken\n"
ANSWER_SECONDS = 5.0  # a live spare answers in milliseconds; this only bounds a hung one
AFTER_RUN_SECONDS = 1.5  # the next spare's start after a run ends: the run's caller has the machine first


class SpareRunner:
    def __init__(self, env: Callable[[], dict[str, str]], log_path: Path) -> None:
        self._env = env
        self._log_path = log_path
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._closed = False
        self._later: threading.Timer | None = None

    def start_later(self, seconds: float = AFTER_RUN_SECONDS) -> None:
        """:meth:`start` in ``seconds`` (a run that takes the spare first starts it at once)."""
        with self._lock:
            if self._closed:
                return
            if self._later is not None:
                self._later.cancel()
            self._later = threading.Timer(seconds, self.start)
            self._later.daemon = True
            self._later.start()

    def start(self) -> None:
        """Start the next spare (returns at once: the spare does its imports in its own process)."""
        with self._lock:
            if self._later is not None:
                self._later.cancel()
                self._later = None
            if self._closed or (self._proc is not None and self._proc.poll() is None):
                return
            fd = os.open(self._log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)  # private, as every log here
            with os.fdopen(fd, "ab") as log:
                self._proc = subprocess.Popen(  # stdout: only its "taken" answer; its own words go to the log
                    [sys.executable, "-m", "kfsm_lab.localkfp.runner", "--spare"], env=self._env(),
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, start_new_session=True,
                    close_fds=True)

    def take(self, run_dir: Path, env: dict[str, str]) -> subprocess.Popen | None:
        """The spare, now the runner of the run in ``run_dir``; None when there is none alive to take."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None or proc.stdin is None:
            self.start()
            return None
        try:
            proc.stdin.write(json.dumps({"run_dir": str(run_dir), "env": env}).encode() + b"\n")
            proc.stdin.close()
            # it answers once it has the run: a spare that died (or hangs) a moment ago does not get it
            answered = select.select([proc.stdout], [], [], ANSWER_SECONDS)[0] and proc.stdout.readline()
        except (OSError, ValueError):
            answered = b""
        if answered != TAKEN:
            proc.kill()
            self.start()
            return None
        proc.stdout.close()
        return proc  # the next spare starts when this run ends (LocalKfpApp._reap), not beside its steps

    def close(self) -> None:
        with self._lock:
            self._closed = True
            proc, self._proc = self._proc, None
            if self._later is not None:
                self._later.cancel()
        if proc is not None:
            # an idle spare holds nothing: end it now (its zygote follows when their socket closes) rather
            # than wait for it to finish importing and read the end of its input
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
