"""One runner started ahead of time, waiting for the next run.

A runner's own start — a Python, kfp.local, and its zygote importing kfp and boto3 — took ~0.8 s
between ``create_run`` and the first task's first line. The local Kubeflow Pipelines API keeps one
spare runner started (``python -m kfsm_lab.localkfp.runner --spare``): it imports all that, then
waits on its stdin. A run hands it the run's folder and environment (one JSON line) and it becomes
that run's runner, exactly as a freshly started one — its own session, its pid in the run's status,
SIGTERM to terminate — while the API starts the next spare. When the API goes away the spare's
stdin closes and it exits; a spare that died is simply replaced by a fresh start.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path


class SpareRunner:
    def __init__(self, env: Callable[[], dict[str, str]], log_path: Path) -> None:
        self._env = env
        self._log_path = log_path
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._closed = False

    def start(self) -> None:
        """Start the next spare (returns at once: the spare does its imports in its own process)."""
        with self._lock:
            if self._closed or (self._proc is not None and self._proc.poll() is None):
                return
            with open(self._log_path, "ab") as log:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "kfsm_lab.localkfp.runner", "--spare"], env=self._env(),
                    stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
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
        except OSError:
            proc.kill()
            self.start()
            return None
        self.start()
        return proc

    def close(self) -> None:
        with self._lock:
            self._closed = True
            proc, self._proc = self._proc, None
        if proc is not None and proc.stdin is not None:
            try:
                proc.stdin.close()  # an idle spare exits on end of input
                proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
