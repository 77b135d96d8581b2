"""Start, find, reuse and stop the local cloud process.

The cloud runs detached (``python -m kfsm_lab.localcloud serve``, its own session) so it outlives
the notebook kernel or shell that started it. Once bound, the server writes
``<state_dir>/localcloud.json`` (port, pid, …); any process finds it there. A file whose pid is
dead, or whose port answers with another pid, is stale and gets replaced. A lock file serializes
concurrent starters so two kernels never start two clouds.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import KfsmError
from ..state import read_json, state_dir
from .constants import (
    ACCESS_KEY_ID,
    ACCOUNT_ID,
    ADMIN_PREFIX,
    DEFAULT_REGION,
    HOST,
    LOCK_FILE_NAME,
    LOG_FILE_NAME,
    SECRET_ACCESS_KEY,
    SERVICE_NAME,
    STATE_FILE_NAME,
)

START_TIMEOUT = 30.0
_children: dict[int, subprocess.Popen] = {}  # started here; kept so they can be reaped


@dataclass(frozen=True)
class LocalCloudInfo:
    """Where a running local cloud is and how to talk to it."""

    endpoint_url: str
    host: str
    port: int
    pid: int
    region: str = DEFAULT_REGION
    pace: float = 0.0
    started_at: float = 0.0
    state_file: str = ""
    log_file: str = ""
    reused: bool = False
    account_id: str = ACCOUNT_ID
    instance_id: str = ""
    kfp_endpoint: str = ""  # the local Kubeflow Pipelines API, served by the same process
    access_key_id: str = field(default=ACCESS_KEY_ID, repr=False)
    secret_access_key: str = field(default=SECRET_ACCESS_KEY, repr=False)

    def env(self) -> dict[str, str]:
        """Environment that points boto3 and the AWS CLI at this cloud with its own keys."""
        env = {"AWS_ENDPOINT_URL": self.endpoint_url, "AWS_ACCESS_KEY_ID": self.access_key_id,
               "AWS_SECRET_ACCESS_KEY": self.secret_access_key, "AWS_DEFAULT_REGION": self.region,
               "AWS_REGION": self.region}
        if self.kfp_endpoint:
            env["KF_PIPELINES_ENDPOINT"] = self.kfp_endpoint
        return env

    def public_dict(self) -> dict[str, Any]:
        """Everything but the keys (for printing, JSON output and logs)."""
        d = asdict(self)
        d.pop("secret_access_key")
        d.pop("access_key_id")
        return d

    def session(self, region: str | None = None):
        """A boto3 Session with the local keys."""
        import boto3

        return boto3.Session(aws_access_key_id=self.access_key_id, aws_secret_access_key=self.secret_access_key,
                             region_name=region or self.region)

    def client(self, service: str, region: str | None = None, **kwargs: Any):
        """A boto3 client for ``service`` pointed at this cloud."""
        kwargs.setdefault("endpoint_url", self.endpoint_url)
        return self.session(region).client(service, **kwargs)

    def admin(self, route: str, payload: dict | None = None, timeout: float = 5.0, method: str | None = None
              ) -> dict:
        """Call an admin route (``health``, ``stats``, ``stats/reset``, ``pace``, ``faults``).

        POST when a payload is given, GET otherwise, unless ``method`` says (``DELETE`` clears faults).
        """
        return _http_json(f"{self.endpoint_url}{ADMIN_PREFIX}/{route}", payload, timeout, method)


def state_file() -> Path:
    return state_dir() / STATE_FILE_NAME


def log_file() -> Path:
    return state_dir() / LOG_FILE_NAME


def _http_json(url: str, payload: dict | None = None, timeout: float = 2.0, method: str | None = None) -> dict:
    data = None if payload is None else json.dumps(payload).encode()
    method = method or ("POST" if data is not None else "GET")
    req = urllib.request.Request(url, data=data, method=method,  # noqa: S310
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - loopback URL we built
        return json.loads(resp.read())


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    child = _children.get(pid)
    return not (child is not None and child.poll() is not None)


def _health(endpoint_url: str, timeout: float = 2.0) -> dict | None:
    try:
        h = _http_json(f"{endpoint_url}{ADMIN_PREFIX}/health", timeout=timeout)
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return h if h.get("service") == SERVICE_NAME else None


def _info_from_state(data: dict, health: dict) -> LocalCloudInfo:
    return LocalCloudInfo(endpoint_url=data["endpoint_url"], host=data["host"], port=int(data["port"]),
                          pid=int(data["pid"]), region=data.get("region", DEFAULT_REGION),
                          pace=float(health.get("pace", data.get("pace", 0.0))),
                          started_at=float(data.get("started_at", 0.0)), state_file=str(state_file()),
                          log_file=data.get("log_file", str(log_file())),
                          instance_id=str(health.get("instance_id", "")),
                          kfp_endpoint=str(data.get("kfp_endpoint", "")))


def status() -> LocalCloudInfo | None:
    """The running local cloud, or None when there is none (or only a stale state file)."""
    data = read_json(state_file())
    if not isinstance(data, dict) or "pid" not in data or "endpoint_url" not in data:
        return None
    if not _pid_alive(int(data["pid"])):
        return None
    health = _health(data["endpoint_url"])
    if health is None or health.get("pid") != data["pid"]:
        return None
    return _info_from_state(data, health)


@contextlib.contextmanager
def _start_lock() -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not POSIX: no cross-process lock, the state file check still applies
        yield
        return
    path = state_dir() / LOCK_FILE_NAME
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def resolve_pace(pace: float | None) -> float:
    """Argument > ``KFSM_PACE`` > 0 (instant)."""
    if pace is None:
        raw = os.environ.get("KFSM_PACE", "").strip()
        try:
            pace = float(raw) if raw else 0.0
        except ValueError:
            from ..errors import ValidationError

            raise ValidationError("KFSM_PACE", raw, "is not a number of seconds", "e.g. KFSM_PACE=3") from None
    if pace < 0:
        from ..errors import ValidationError

        raise ValidationError("pace", pace, "must be 0 or more seconds", "0 = instant, 3 = visible progress")
    return float(pace)


def ensure_running(pace: float | None = None, region: str | None = None, timeout: float = START_TIMEOUT
                   ) -> LocalCloudInfo:
    """Reuse the running local cloud or start one; returns where it is.

    An explicit ``pace`` is applied to a running cloud too (``None`` leaves it as it is).
    """
    with _start_lock():
        info = status()
        if info is not None:
            if pace is not None and resolve_pace(pace) != info.pace:
                info.admin("pace", {"pace": resolve_pace(pace)})
                info = replace(info, pace=resolve_pace(pace))
            return replace(info, reused=True)
        state_file().unlink(missing_ok=True)  # stale or absent
        return _spawn(resolve_pace(pace), _region(region), timeout)


def _region(region: str | None) -> str:
    from ..validation import region as check_region

    return check_region(region or os.environ.get("KFSM_REGION") or DEFAULT_REGION)


def _spawn(pace: float, region: str, timeout: float) -> LocalCloudInfo:
    log_path = log_file()
    cmd = [sys.executable, "-m", "kfsm_lab.localcloud", "serve", "--host", HOST, "--port", "0",
           "--pace", str(pace), "--region", region, "--state-file", str(state_file())]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}  # never the user's credentials
    env["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    with open(log_path, "ab") as log:
        os.chmod(log_path, 0o600)
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                start_new_session=True, close_fds=True)
    _children[proc.pid] = proc
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise KfsmError(f"the local cloud exited during start (status {proc.returncode})",
                            f"see its log: {log_path}\n{_tail(log_path)}")
        data = read_json(state_file())
        if isinstance(data, dict) and data.get("pid") == proc.pid:
            health = _health(data["endpoint_url"], timeout=1.0)
            if health is not None and health.get("pid") == proc.pid:
                return _info_from_state(data, health)
        time.sleep(0.05)
    _terminate(proc.pid, 2.0)
    raise KfsmError(f"the local cloud did not answer within {timeout:.0f} s", f"see its log: {log_path}")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _terminate(pid: int, timeout: float) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _pid_alive(pid):
        _reap(pid)
        time.sleep(0.05)
    if _pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _reap(pid)


def _reap(pid: int) -> None:
    child = _children.get(pid)
    if child is not None:
        if child.poll() is not None:
            _children.pop(pid, None)
        return
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def stop(timeout: float = 10.0) -> bool:
    """Stop the running local cloud; True when one was running. A stale state file is removed."""
    with _start_lock():
        info = status()
        if info is None:
            state_file().unlink(missing_ok=True)
            return False
        _terminate(info.pid, timeout)
        data = read_json(state_file())
        if isinstance(data, dict) and data.get("pid") == info.pid:
            state_file().unlink(missing_ok=True)
        return True
