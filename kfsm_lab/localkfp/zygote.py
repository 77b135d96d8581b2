"""A pre-imported Python that forks each lightweight-component task: it starts in milliseconds.

A kfp Python component runs as ``sh -ec '<write $0 to ephemeral_component.py; python3 -m
kfp.dsl.executor_main …>' <source> --executor_input … --function_to_execute …``. A fresh
interpreter spends ~0.5 s importing kfp and ~0.2 s importing boto3 before the step's first line,
and the workshop's pipeline has three tasks one after another. The zygote is one single-threaded
process that has imported kfp's executor and boto3: a fork of the runner once the runner has
imported them (a Python of its own, started with ``-m``, when the runner has other threads); for
a task whose command is exactly kfp's wrapper (and whose ``python3`` is this interpreter) it forks
a child that does what the wrapper does — writes the source to a fresh temporary folder, sets
``_KFP_RUNTIME=true``, runs ``kfp.dsl.executor_main`` as ``__main__`` with the same arguments — in
its own process group, with the task's environment and a pipe for its output. The task is still
its own process (stopped with SIGTERM to its group, exit status reported), kfp's own executor
still reads its input and writes its outputs. Any other command is started with ``subprocess``.

Messages go over a ``SOCK_SEQPACKET`` socket pair: a request is JSON plus the pipe's write end
(``SCM_RIGHTS``); the zygote answers ``{"pid": …}`` and later ``{"exit": pid, "code": …}``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import IO, Any

_WRAPPER = re.compile(
    r'\s*program_path=\$\(mktemp -d\)\s+printf "%s" "\$0" > "\$program_path/ephemeral_component\.py"\s+'
    r'_KFP_RUNTIME=true (?P<python>\S+) -m kfp\.dsl\.executor_main\s+--component_module_path\s+'
    r'"\$program_path/ephemeral_component\.py"\s+"\$@"\s*')
_MAX_MESSAGE = 8 << 20


def lightweight_args(command: list[str], env: dict[str, str]) -> list[str] | None:
    """The executor_main arguments (after the module path) when ``command`` is kfp's wrapper run by this
    Python; None when the zygote cannot stand in for it exactly."""
    m = _WRAPPER.fullmatch(command[2]) if len(command) >= 4 and command[:2] == ["sh", "-ec"] else None
    if m is None:
        return None
    # kfp.local puts its own interpreter's path in the script; a bare python3 is looked up on PATH
    python = m.group("python")
    python = shutil.which(python, path=env.get("PATH", os.defpath)) if os.sep not in python else python
    if python is None:
        return None
    here, there = os.path.abspath(sys.executable), os.path.abspath(python)
    # the same folder (so the same venv) and the same binary
    if os.path.dirname(there) != os.path.dirname(here) or os.path.realpath(there) != os.path.realpath(here):
        return None
    return command[3:]


class ForkedTask:
    """A task the zygote forked: ``pid``, ``stdout`` (text), ``wait()``/``poll()`` as on ``Popen``."""

    def __init__(self, pid: int, stdout: IO[str], done: threading.Event, codes: dict[int, int]) -> None:
        self.pid = pid
        self.stdout = stdout
        self._done = done
        self._codes = codes
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and self._done.is_set():
            self.returncode = self._codes.get(self.pid, -1)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._done.wait(timeout):
            raise subprocess.TimeoutExpired(f"task {self.pid}", timeout or 0)
        return self.poll()  # type: ignore[return-value]


class _Child:
    """``Popen``'s ``pid``, ``poll``, ``wait`` and ``kill`` for a zygote forked from this process."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1
            else:
                if pid:
                    self.returncode = _status_code(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"zygote {self.pid}", timeout or 0)
            time.sleep(0.01)
        return self.returncode  # type: ignore[return-value]

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)


class Zygote:
    """The runner's side: start the zygote, ask it for tasks, learn how they ended."""

    def __init__(self, fork: bool | None = None) -> None:
        """``fork``: the zygote is a fork of this process (None: when it has one thread, as a runner has)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.forked = threading.active_count() == 1 if fork is None else fork
        if self.forked:
            # kfp and boto3 are imported here, once, and the zygote inherits them: as its own Python it
            # imported the same again (~0.55 s of CPU, beside the runner's own, on a machine that is
            # also starting the local cloud and running setup)
            _preload()
            from .. import heap

            heap.settle()  # before the fork, so the zygote (and its tasks) never scan what it inherits
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _forked_zygote(theirs.fileno(), ours.fileno())
            self.proc: subprocess.Popen | _Child = _Child(pid)
        else:
            self.proc = subprocess.Popen(  # the same interpreter, this module as __main__
                [sys.executable, "-m", __name__, str(theirs.fileno())], pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL, close_fds=True)
        theirs.close()
        self.sock = ours
        self._lock = threading.Lock()
        self._replies: list[dict[str, Any]] = []
        self._reply = threading.Condition()
        self._done: dict[int, threading.Event] = {}
        self._codes: dict[int, int] = {}
        self._alive = True
        threading.Thread(target=self._read, daemon=True, name="kfsm-zygote-reader").start()

    @property
    def alive(self) -> bool:
        return self._alive and self.proc.poll() is None

    def _event(self, pid: int) -> threading.Event:
        with self._reply:
            return self._done.setdefault(pid, threading.Event())

    def _read(self) -> None:
        try:
            while True:
                data = self.sock.recv(_MAX_MESSAGE)
                if not data:
                    break
                msg = json.loads(data)
                if "exit" in msg:
                    pid = int(msg["exit"])
                    self._codes[pid] = int(msg["code"])
                    self._event(pid).set()
                else:
                    with self._reply:
                        self._replies.append(msg)
                        self._reply.notify_all()
        except OSError:
            pass
        self._alive = False
        with self._reply:
            self._reply.notify_all()
            for pid, ev in self._done.items():  # the zygote is gone: nobody will say how these ended
                self._codes.setdefault(pid, -1)
                ev.set()

    def spawn(self, args: list[str], env: dict[str, str], timeout: float = 30.0) -> ForkedTask | None:
        """Fork a task running kfp's executor with ``args``; None when the zygote cannot (use subprocess)."""
        if not self.alive:
            return None
        r, w = os.pipe()
        try:
            with self._lock:
                socket.send_fds(self.sock, [json.dumps({"args": args, "env": env}).encode()], [w])
                with self._reply:
                    self._reply.wait_for(lambda: self._replies or not self._alive, timeout)
                    reply = self._replies.pop(0) if self._replies else None
        except OSError:
            reply = None
        finally:
            os.close(w)
        if reply is None or "pid" not in reply:
            os.close(r)
            return None
        pid = int(reply["pid"])
        stdout = os.fdopen(r, "r", buffering=1, encoding="utf-8", errors="replace")
        return ForkedTask(pid, stdout, self._event(pid), self._codes)

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            # shutdown first: close alone leaves the reader thread's recv holding the socket open, so
            # the zygote would not see the end (it waited the full 5 s below)
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
            self.sock.close()
        finally:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# --- the zygote process ------------------------------------------------------------------------

def _become_task(req: dict[str, Any], out_fd: int, keep: list[int]) -> None:
    """In the forked child: become the task, as kfp's ``sh -ec`` wrapper would have made it."""
    code = 1
    try:
        os.setpgid(0, 0)
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        for fd in (devnull, out_fd, *keep):
            os.close(fd)
        env = dict(req["env"])
        env["_KFP_RUNTIME"] = "true"
        os.environ.clear()
        os.environ.update(env)
        import tempfile

        folder = tempfile.mkdtemp()
        source, *rest = req["args"]
        path = os.path.join(folder, "ephemeral_component.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(source)
        sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
        sys.argv = [sys.executable, "--component_module_path", path, *rest]
        import runpy

        try:
            runpy.run_module("kfp.dsl.executor_main", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
        except BaseException:  # noqa: BLE001 - as the interpreter would: the traceback on stderr, status 1
            import traceback

            traceback.print_exc()
            code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _status_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1


STEP_SERVICES = ("sagemaker", "s3", "logs")  # what the SageMaker components' steps make clients for


def _warm_boto3() -> None:
    """boto3's default session with the steps' service models, endpoint rules and client classes loaded.

    The components' steps make their clients from that session (``kfsm_client``), so a forked step
    finds them loaded. The clients made here carry placeholder keys: no credential is looked up, so a
    step still resolves its own, from its environment, on its first client.
    """
    import boto3

    from ..aws import botocore_session

    boto3.setup_default_session(botocore_session=botocore_session())  # botocore's, with the kit's fast model reader
    for service in STEP_SERVICES:
        client = boto3.DEFAULT_SESSION.client(service, region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                                              aws_access_key_id="placeholder",
                                              aws_secret_access_key="placeholder")  # noqa: S106
        client.meta.service_model.shape_for_error_code("ValidationException")  # its error codes, mapped once


def _preload() -> None:
    import boto3  # noqa: F401 - what every SageMaker step imports first
    import botocore.client  # noqa: F401
    import kfp.dsl.executor_main  # noqa: F401 - kfp's executor and everything it imports


def _forked_zygote(fd: int, runners_end: int) -> None:
    """In the fork: serve, never return into the runner's code. Its words go to the runner's log (stderr),
    not to the runner's stdout, whose reader (a spare's API) must see it close when the runner ends."""
    code = 1
    try:
        os.close(runners_end)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.dup2(2, 1)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        serve(fd)
        code = 0
    except BaseException:  # noqa: BLE001 - as an interpreter would: the traceback, status 1
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os._exit(code)


def serve(fd: int) -> None:
    """The zygote's loop: fork a task per request, report each task's end, exit when the runner hangs up."""
    from .. import heap

    heap.hold()
    _preload()
    _warm_boto3()
    heap.settle()  # its tasks, forked from here, scan none of it either

    sock = socket.socket(fileno=fd)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    children: set[int] = set()
    open_sock = True
    while open_sock or children:
        ready, _, _ = select.select([sock, wake_r] if open_sock else [wake_r], [], [], 1.0)
        if wake_r in ready:
            os.read(wake_r, 4096)
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                children.clear()
                break
            if pid == 0:
                break
            children.discard(pid)
            if open_sock:
                try:
                    sock.send(json.dumps({"exit": pid, "code": _status_code(status)}).encode())
                except OSError:
                    open_sock = False
        if open_sock and sock in ready:
            try:
                data, fds, _, _ = socket.recv_fds(sock, _MAX_MESSAGE, 1)
            except OSError:
                data, fds = b"", []
            if not data:
                open_sock = False  # the runner is gone; let running tasks finish, then go
                continue
            req = json.loads(data)
            pid = os.fork()
            if pid == 0:
                _become_task(req, fds[0], [sock.fileno(), wake_r, wake_w])
            os.close(fds[0])
            try:
                os.setpgid(pid, pid)  # also here: a stop sent at once must find the group
            except OSError:
                pass
            children.add(pid)
            sock.send(json.dumps({"pid": pid}).encode())


if __name__ == "__main__":
    serve(int(sys.argv[1]))
