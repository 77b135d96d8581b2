"""``python -m kfsm_lab.pipeline.local_runner RUN_ID``: run one pipeline through kfp.local, detached.

The kit starts this in its own session (process group) so the notebook and panel stay responsive,
and a kernel restart does not end the run. The environment it is given carries the local cloud's
``AWS_ENDPOINT_URL``, the region and the pipeline's keys; kfp.local's task subprocesses inherit it,
so no key ever becomes a pipeline parameter or lands in an executor file.

Everything printed (kfp's own lines, each step's log) goes to ``runs/<run_id>.log``; the lines are
also read as they pass, to keep ``runs/<run_id>.json`` current for any handle that looks.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import traceback
from typing import Any, TextIO

from . import runs
from .names import STEPS

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_EXECUTING = re.compile(r"Executing task '?([\w-]+)'?")
_FINISHED = re.compile(r"Task '?([\w-]+)'? finished with status (\w+)")
_EVENT = "KFSM-EVENT "
# The last line of a step's traceback: "botocore.exceptions.ClientError: An error occurred (X) when calling ..."
_RAISED = re.compile(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception)): (.+)$")
_CLIENT_ERROR = re.compile(r"^An error occurred \((\w+)\) when calling the (\w+) operation(?: \(.*?\))?: (.*)$")


class RecordKeeper:
    """Turns the lines kfp.local and the steps print into run-record updates."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record
        self.running: str | None = None  # kfp.local runs one task at a time
        self.raised: dict[str, str] = {}  # step -> the exception its traceback ended with

    def step(self, name: str) -> dict[str, Any] | None:
        return self.record["steps"].get(name)

    def feed(self, line: str) -> None:
        line = _ANSI.sub("", line).strip()
        if not line:
            return
        changed = False
        if _EVENT in line:
            changed = self._event(line[line.index(_EVENT) + len(_EVENT):])
        elif m := _EXECUTING.search(line):
            if st := self.step(m.group(1)):
                st.update(state=runs.RUNNING, start=runs.now(), end=None)
                self.running = m.group(1)
                changed = True
        elif m := _FINISHED.search(line):
            if st := self.step(m.group(1)):
                ended = runs.CANCELED if self.record["state"] == runs.CANCELING else runs.FAILED
                st.update(state=runs.SUCCEEDED if m.group(2) == "SUCCESS" else ended, end=runs.now())
                if st["state"] == runs.FAILED and not st.get("failure_reason") and m.group(1) in self.raised:
                    st["failure_reason"] = self.raised[m.group(1)]  # e.g. a create call the service refused
                changed = True
        elif self.running and (m := _RAISED.match(line)):
            self.raised[self.running] = _reason(m.group(1), m.group(2))
        if changed:
            runs.save(self.record)

    def _event(self, text: str) -> bool:
        try:
            ev = json.loads(text)
        except ValueError:
            return False
        st = self.step(ev.get("step", ""))
        if st is None:
            return False
        kind = ev.get("kind")
        if kind in ("status", "adopted", "failed") and ev.get("status"):
            st["job_status"] = ev["status"]
        if kind == "status":
            st["secondary_status"] = ev.get("secondary_status") or None
        if kind == "adopted":
            st["adopted"] = True
        if kind == "failed":
            st["failure_reason"] = ev.get("failure_reason")
        if kind == "outputs":
            self.record["outputs"].update({k: v for k, v in ev.items() if k not in ("step", "time", "kind")})
        return True


def _reason(exc_type: str, text: str) -> str:
    """``CreateTrainingJob failed with ValidationException: Could not assume role …`` from a traceback line."""
    if m := _CLIENT_ERROR.match(text):
        return f"{m.group(2)} failed with {m.group(1)}: {m.group(3)}"
    return f"{exc_type}: {text}"


class Tap:
    """A stdout stand-in: writes through to the log file and hands complete lines to the keeper."""

    def __init__(self, sink: TextIO, keeper: RecordKeeper) -> None:
        self.sink = sink
        self.keeper = keeper
        self.buffer = ""

    def write(self, text: str) -> int:
        self.sink.write(text)
        self.buffer += text
        while "\n" in self.buffer:
            line, self.buffer = self.buffer.split("\n", 1)
            self.keeper.feed(line)
        return len(text)

    def flush(self) -> None:
        self.sink.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.sink.fileno()


def _finish(record: dict[str, Any], state: str, error: str | None = None) -> None:
    record["state"] = state
    record["finished_at"] = runs.now()
    record["error"] = error
    for st in record["steps"].values():
        if st["state"] == runs.RUNNING:
            st.update(state=runs.CANCELED if state == runs.CANCELED else runs.FAILED, end=runs.now())
        elif st["state"] == runs.PENDING:
            st["state"] = runs.SKIPPED if state != runs.CANCELED else runs.CANCELED
    runs.save(record)


def run(run_id: str) -> int:
    """Run the recorded pipeline to its end; the exit status says succeeded (0) or not (1)."""
    from kfp import local

    from ..config import load_settings
    from .definition import build_pipeline

    record = runs.load(run_id)
    record.update(state=runs.RUNNING, started_at=runs.now(), pid=os.getpid(), pgid=os.getpgid(0),
                  pipeline_root=str(runs.kfp_root(run_id)), log_path=str(runs.log_path(run_id)))
    runs.save(record)
    cancelled = {"flag": False}

    def on_sigterm(signum: int, frame: Any) -> None:
        if cancelled["flag"]:
            return
        cancelled["flag"] = True
        record["state"] = runs.CANCELING
        runs.save(record)
        try:  # the running step stops its SageMaker job on its own SIGTERM
            os.killpg(os.getpgid(0), signal.SIGTERM)
        except OSError:
            pass

    signal.signal(signal.SIGTERM, on_sigterm)
    keeper = RecordKeeper(record)
    with open(runs.log_path(run_id), "w", buffering=1) as log:  # a re-run (adoption) starts a fresh log
        tap = Tap(log, keeper)
        sys.stdout = sys.stderr = tap  # type: ignore[assignment]
        try:
            settings = load_settings(**record["settings"])
            local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(runs.kfp_root(run_id)),
                       raise_on_error=True)
            build_pipeline(settings, for_cluster=False)(**record["arguments"])
        except BaseException as exc:  # noqa: BLE001 - every ending is recorded, then reported by status
            traceback.print_exc(file=log)
            if cancelled["flag"]:
                _finish(record, runs.CANCELED, "cancelled by the user")
                return 1
            reasons = [f"{s}: {st['failure_reason']}" for s in STEPS
                       if (st := record["steps"][s]).get("failure_reason")]
            _finish(record, runs.FAILED, "; ".join(reasons) or _ANSI.sub("", str(exc)).strip() or type(exc).__name__)
            return 1
        finally:
            tap.flush()
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        _finish(record, runs.CANCELED if cancelled["flag"] else runs.SUCCEEDED)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m kfsm_lab.pipeline.local_runner RUN_ID", file=sys.stderr)
        return 2
    return run(args[0])


if __name__ == "__main__":
    sys.exit(main())
