"""One task of a local run: kfp.local's executor input, placeholders and outputs, our own subprocess.

kfp.local prints every task's output to one stdout and patches ``print`` while a task runs, which
does not work for tasks running side by side; so the process is started here, with its own log
file, its own environment (the run's, the container's ``env`` and its Kubernetes secrets) and a
handle to stop it. Everything a task *computes* goes through kfp.local's own helpers, so inputs,
placeholders and outputs mean exactly what they mean to kfp.local (and to a cluster).

A component's pip prelude (``pip install boto3 …`` before the step) is left out when every package
it names is already installed in this environment: on a cluster the image needs it, here it would
only cost a second per task.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kfp.pipeline_spec import pipeline_spec_pb2

from .zygote import ForkedTask, Zygote, lightweight_args

_PIP = re.compile(r"python3 -m pip install --quiet --no-warn-script-location (.*?)(?=\s*&&|\s*$)")
_RAISED = re.compile(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception|Exit)): (.+)$")
_CLIENT_ERROR = re.compile(r"^An error occurred \((\w+)\) when calling the (\w+) operation(?: \(.*?\))?: (.*)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def requirements_satisfied(specs: list[str]) -> bool:
    """True when every pip requirement string is met by an installed distribution."""
    from importlib import metadata

    from packaging.requirements import InvalidRequirement, Requirement

    for spec in specs:
        if spec.startswith("-"):
            continue  # a pip option such as --no-deps
        try:
            req = Requirement(spec)
        except InvalidRequirement:
            return False
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            return False
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            return False
    return True


def without_satisfied_pip(command: list[str]) -> tuple[list[str], bool]:
    """``command`` without kfp's ``sh -c "… pip install … && "$0" "$@""`` prelude when it would do nothing."""
    if len(command) < 3 or command[:2] != ["sh", "-c"] or "pip install" not in command[2]:
        return command, False
    prelude = command[2]
    specs = [s for m in _PIP.finditer(prelude) for s in shlex.split(m.group(1))]
    if not specs or not prelude.rstrip().endswith('"$0" "$@"') or not requirements_satisfied(specs):
        return command, False
    return command[3:], True


def failure_reason(log_tail: list[str]) -> str | None:
    """The exception a failed task ended with, from the last lines of its log."""
    for line in reversed(log_tail):
        line = _ANSI.sub("", line).strip()
        m = _RAISED.match(line)
        if m:
            kind, text = m.group(1), m.group(2)
            if c := _CLIENT_ERROR.match(text):
                return f"{c.group(2)} failed with {c.group(1)}: {c.group(3)}"
            return f"{kind}: {text}"
    return None


@dataclass
class TaskResult:
    succeeded: bool
    outputs: dict[str, Any]
    error: str | None = None


class TaskProcess:
    """A task's subprocess: start, stream its output to the task log, stop on request."""

    def __init__(self, on_start: Any = None, zygote: Zygote | None = None) -> None:
        self.proc: subprocess.Popen | ForkedTask | None = None
        self.stopping = threading.Event()
        self.on_start = on_start  # called with the pid of each process started
        self.zygote = zygote

    def _start(self, command: list[str], env: dict[str, str]) -> subprocess.Popen | ForkedTask:
        if self.zygote is not None and (args := lightweight_args(command, env)) is not None:
            forked = self.zygote.spawn(args, env)
            if forked is not None:  # None: the zygote is gone; start it as below
                return forked
        # its own process group: kfp's `sh -ec` wrapper does not pass signals on to the Python step
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True, bufsize=1, errors="replace", process_group=0)

    def run(self, command: list[str], env: dict[str, str], log_path: Path) -> tuple[int, list[str]]:
        tail: list[str] = []
        with open(log_path, "a", buffering=1, encoding="utf-8", errors="replace") as log:
            if self.stopping.is_set():
                return -signal.SIGTERM, tail  # stopped before it started
            self.proc = self._start(command, env)
            if self.stopping.is_set():  # a stop that came while it was starting found no process to signal
                threading.Thread(target=self._signal, args=(self.proc,), daemon=True).start()
            if self.on_start is not None:
                self.on_start(self.proc.pid)
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                log.write(line)
                tail.append(line.rstrip("\n"))
                del tail[:-40]
            code = self.proc.wait()
        return code, tail

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM (a SageMaker step stops its job on it), then SIGKILL after ``grace`` seconds.

        Safe at any moment: a task that is still starting is stopped as soon as it has started.
        """
        self.stopping.set()
        proc = self.proc
        if proc is not None:
            self._signal(proc, grace)

    @staticmethod
    def _signal(proc: subprocess.Popen | ForkedTask, grace: float = 15.0) -> None:
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def execute(
    task_name: str,
    task_spec: pipeline_spec_pb2.PipelineTaskSpec,
    component_spec: pipeline_spec_pb2.ComponentSpec,
    executor_spec: pipeline_spec_pb2.PipelineDeploymentConfig.ExecutorSpec,
    arguments: dict[str, Any],
    pipeline_root: str,
    pipeline_resource_name: str,
    run_id: str,
    env: dict[str, str],
    log_path: Path,
    process: TaskProcess,
    say: Any = print,
) -> TaskResult:
    """Run one container task to its end (retries per its retry policy); outputs as kfp.local reads them."""
    from kfp.local import executor_input_utils, executor_output_utils, placeholder_utils, subprocess_task_handler

    task_root = str(Path(pipeline_root) / pipeline_resource_name / task_name)
    container = executor_spec.container
    command = list(container.command) + list(container.args)
    command, skipped = without_satisfied_pip(command)
    task_env = {**env, **{e.name: e.value for e in container.env}}
    policy = task_spec.retry_policy
    retries = max(0, policy.max_retry_count)
    backoff = policy.backoff_duration.seconds if policy.HasField("backoff_duration") else 0
    factor = policy.backoff_factor if policy.backoff_factor > 0 else 2.0
    result = TaskResult(False, {}, "the task did not run")
    for attempt in range(retries + 1):
        executor_input = executor_input_utils.construct_executor_input(
            component_spec=component_spec, arguments=arguments, task_root=task_root, block_input_artifact=False)
        executor_input_dict = executor_input_utils.executor_input_to_dict(executor_input, component_spec)
        full = placeholder_utils.replace_placeholders(
            full_command=command, executor_input_dict=executor_input_dict,
            pipeline_resource_name=pipeline_resource_name, task_resource_name=task_name,
            pipeline_root=pipeline_root, unique_pipeline_id=run_id)
        full = subprocess_task_handler.replace_python_executable(full, sys.executable)
        if attempt == 0 and skipped:
            say("(its pip install was left out: every package it names is already installed here)")
        code, tail = process.run(full, task_env, log_path)
        if code == 0:
            outputs = executor_output_utils.get_outputs_for_task(executor_input=executor_input,
                                                                 component_spec=component_spec)
            return TaskResult(True, outputs)
        if process.stopping.is_set():
            return TaskResult(False, {}, "terminated")
        result = TaskResult(False, {}, failure_reason(tail) or f"the task's process exited with status {code}")
        if attempt < retries:
            delay = backoff * factor ** attempt
            say(f"attempt {attempt + 1} of {retries + 1} failed ({result.error}); retrying in {delay:.0f} s")
            if process.stopping.wait(delay):
                return TaskResult(False, {}, "terminated")
    return result


def outputs_as_json(outputs: dict[str, Any]) -> dict[str, Any]:
    """Task outputs in plain JSON: parameters as they are, artifacts as their URIs."""
    out: dict[str, Any] = {}
    for key, value in outputs.items():
        if hasattr(value, "uri"):
            out[key] = {"artifact": getattr(value, "schema_title", "system.Artifact"), "uri": value.uri,
                        "metadata": dict(getattr(value, "metadata", {}) or {})}
        elif isinstance(value, list) and value and hasattr(value[0], "uri"):
            out[key] = [{"artifact": v.schema_title, "uri": v.uri} for v in value]
        else:
            out[key] = value
    return out

