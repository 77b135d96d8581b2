"""Start, find, reuse, share and stop the local cloud process.

The cloud runs detached (``python -m kfsm_lab.localcloud serve``, its own session) so it outlives
the notebook kernel or shell that started it. Once bound and loaded, it writes
``<state_dir>/localcloud.json`` (port, pid, …) and any process finds it there. It also holds an
exclusive lock on ``localcloud.alive`` for as long as it runs, with its address written inside:
so a lost or damaged ``localcloud.json`` never makes the kit start a second cloud beside the first
(the lock says one runs, the file says where; failing both, its process is looked up by its command
line). One state folder has at most one cloud: a second ``serve`` on it refuses to start.

Who uses the cloud is counted in leases (:mod:`.leases`). A command that only reads calls
:func:`status` (None: none is running) and never starts one.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import KfsmError
from ..state import file_lock, read_model, state_dir, write_json
from . import leases
from .constants import (
    ACCOUNT_ID,
    ADMIN_PREFIX,
    ADMIN_TOKEN_HEADER,
    ALIVE_FILE_NAME,
    DEFAULT_REGION,
    HOST,
    KFP_DIR_NAME,
    LOCK_FILE_NAME,
    LOG_FILE_NAME,
    PERSIST_DIR_NAME,
    SERVICE_NAME,
    STATE_FILE_NAME,
)

START_TIMEOUT = 30.0
PREWARM_WAIT_SECONDS = 10.0  # the load-ahead's longest wait; it goes on behind if slower (it cannot fail)
_children: dict[int, subprocess.Popen] = {}  # started here; kept so they can be reaped


class NotRunningError(KfsmError):
    """No local cloud is running, and the caller only reads: it does not start one."""

    def __init__(self, what: str = "") -> None:
        super().__init__(f"no local cloud is running{f', so there is no {what} to show' if what else ''}",
                         "start one with `kfsm-lab local start` (its state is kept, so nothing made before is lost)")


class CloudState(BaseModel):
    """Local cloud state file."""

    model_config = ConfigDict(extra="ignore")

    pid: int = Field(ge=1)
    host: str
    port: int = Field(ge=1, le=65535)
    endpoint_url: str = Field(pattern=r"^http://[^/]+:\d+$")
    region: str = DEFAULT_REGION
    pace: float = 0.0
    started_at: float = 0.0
    log_file: str = ""
    python: str = ""
    kfp_endpoint: str = ""


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
    state_id: str = ""  # kept across restarts of the cloud; new after a reset or a lost state folder
    kfp_endpoint: str = ""  # the local Kubeflow Pipelines API, served by the same process
    access_key_id: str = field(default="", repr=False)
    secret_access_key: str = field(default="", repr=False)
    admin_token: str = field(default="", repr=False)

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
        for secret in ("secret_access_key", "access_key_id", "admin_token"):
            d.pop(secret)
        return d

    def session(self, region: str | None = None):
        """A boto3 Session with the local keys (never a profile: AWS_PROFILE is for the aws target)."""
        return local_session(self.access_key_id, self.secret_access_key, region or self.region)

    def client(self, service: str, region: str | None = None, **kwargs: Any):
        """A boto3 client for ``service`` pointed at this cloud."""
        kwargs.setdefault("endpoint_url", self.endpoint_url)
        return self.session(region).client(service, **kwargs)

    def admin(self, route: str, payload: dict | None = None, timeout: float = 5.0, method: str | None = None
              ) -> dict:
        """Call an admin route (``health``, ``stats``, ``stats/reset``, ``pace``, ``faults``, ``state``…).

        POST when a payload is given, GET otherwise, unless ``method`` says (``DELETE`` clears faults).
        The admin token goes in its header.
        """
        return _http_json(f"{self.endpoint_url}{ADMIN_PREFIX}/{route}", self.admin_token, payload, timeout, method)


_sessions: dict[tuple[str, str, str], Any] = {}
_sessions_lock = threading.Lock()


def local_session(access_key_id: str, secret_access_key: str, region: str):
    """A boto3 Session with these keys that ignores ``AWS_PROFILE`` and the user's config files.

    One per process for the same keys and region, shared by threads (:func:`kfsm_lab.aws.locked_session`):
    a setup, a run's monitoring and a prediction each made two botocore sessions (~50 ms each) before.
    """
    from ..aws import botocore_session, locked_session

    key = (access_key_id, secret_access_key, region)
    with _sessions_lock:
        found = _sessions.get(key)
        if found is None:
            # "profile" read from nowhere (not AWS_PROFILE): the user's profiles belong to the aws target
            core = botocore_session({"profile": (None, None, None, None)})
            found = _sessions[key] = locked_session(aws_access_key_id=access_key_id,
                                                    aws_secret_access_key=secret_access_key, region_name=region,
                                                    botocore_session=core)
        return found


def state_file() -> Path:
    return state_dir() / STATE_FILE_NAME


def alive_file() -> Path:
    return state_dir() / ALIVE_FILE_NAME


def log_file() -> Path:
    return state_dir() / LOG_FILE_NAME


def persist_dir() -> Path:
    return state_dir() / PERSIST_DIR_NAME


def _http_json(url: str, token: str = "", payload: dict | None = None, timeout: float = 2.0,
               method: str | None = None) -> dict:
    data = None if payload is None else json.dumps(payload).encode()
    method = method or ("POST" if data is not None else "GET")
    headers = {"Content-Type": "application/json"}
    if token:
        headers[ADMIN_TOKEN_HEADER] = token
    req = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - loopback URL we built
        return json.loads(resp.read())


def _pid_alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None and child.poll() is not None:
        return False
    return leases.pid_alive(pid)


def _health(endpoint_url: str, token: str, timeout: float = 2.0) -> dict | None:
    try:
        h = _http_json(f"{endpoint_url}{ADMIN_PREFIX}/health", token, timeout=timeout)
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return h if isinstance(h, dict) and h.get("service") == SERVICE_NAME else None


def _refuses_our_token(endpoint_url: str) -> bool:
    try:
        _http_json(f"{endpoint_url}{ADMIN_PREFIX}/health", _keys().admin_token, timeout=2.0)
    except urllib.error.HTTPError as exc:
        return exc.code == 403
    except (OSError, ValueError):
        return False
    return False


def _keys():
    from .keys import load_or_create

    return load_or_create()


def _info(data: CloudState, health: dict, keys: Any) -> LocalCloudInfo:
    return LocalCloudInfo(endpoint_url=data.endpoint_url, host=data.host, port=data.port, pid=data.pid,
                          region=str(health.get("region") or data.region), pace=float(health.get("pace", data.pace)),
                          started_at=data.started_at, state_file=str(state_file()),
                          log_file=data.log_file or str(log_file()), instance_id=str(health.get("instance_id", "")),
                          state_id=str(health.get("state_id", "")),
                          kfp_endpoint=str(health.get("kfp_endpoint") or data.kfp_endpoint),
                          access_key_id=keys.access_key_id, secret_access_key=keys.secret_access_key,
                          admin_token=keys.admin_token)


def _answering(data: CloudState | None, keys: Any) -> LocalCloudInfo | None:
    if data is None or not _pid_alive(data.pid):
        return None
    health = _health(data.endpoint_url, keys.admin_token)
    if health is None or health.get("pid") != data.pid:
        return None
    return _info(data, health, keys)


def _read_state() -> CloudState | None:
    return read_model(state_file(), CloudState, "local cloud state file",
                      "Nothing to do: the kit finds the running local cloud again (or starts one).")


def alive_lock_held(path: Path | None = None) -> bool:
    """True while a local cloud process holds the state folder's alive lock."""
    try:
        import fcntl
    except ImportError:
        return False
    path = path or alive_file()
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _from_alive_file() -> CloudState | None:
    """The address the running cloud wrote inside its alive lock (the second place it keeps it)."""
    if not alive_lock_held():
        return None
    try:
        return CloudState.model_validate_json(alive_file().read_bytes())
    except (OSError, ValueError):
        return None


def _from_process_table() -> Iterator[CloudState]:
    """Last resort: our own ``serve`` process for this state folder, and the ports it listens on (Linux)."""
    want = str(state_file())
    proc = Path("/proc")
    if not proc.is_dir():
        return
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != os.getuid():
                continue
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        args = [a.decode(errors="replace") for a in argv if a]
        if "kfsm_lab.localcloud" not in args or "serve" not in args or "--state-file" not in args:
            continue
        i = args.index("--state-file")
        if i + 1 >= len(args) or args[i + 1] != want:
            continue
        pid = int(entry.name)
        for port in _listening_ports(pid):
            yield CloudState(pid=pid, host=HOST, port=port, endpoint_url=f"http://{HOST}:{port}")


def _listening_ports(pid: int) -> list[int]:
    """The loopback ports ``pid`` listens on (the cloud's, and its KFP API's: health tells which)."""
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    ports = []
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
            cols = line.split()
            if len(cols) > 9 and cols[3] == "0A" and cols[9] in inodes and cols[1].startswith("0100007F:"):
                ports.append(int(cols[1].split(":")[1], 16))
    return sorted(ports)


_known: dict[str, tuple[tuple[int, int, int], LocalCloudInfo]] = {}


def _state_stamp() -> tuple[int, int, int] | None:
    try:
        st = state_file().stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _remember(info: LocalCloudInfo, stamp: tuple[int, int, int] | None) -> LocalCloudInfo:
    if stamp is not None and stamp == _state_stamp():
        _known[str(state_file())] = (stamp, info)
    return info


def known() -> LocalCloudInfo | None:
    """The cloud this process last found answering, without a call: while the state file is the one it
    found it by and its process lives (a restart, a reset or a stop replaces or removes that file).

    Every client the kit makes looked at the cloud's health first (~20 a run's flow, up to 80 ms each on
    a busy cloud); None when it must look again (:func:`status`). Its ``pace`` may be stale.
    """
    entry = _known.get(str(state_file()))
    if entry is None:
        return None
    stamp, info = entry
    if stamp != _state_stamp() or not _pid_alive(info.pid):
        _known.pop(str(state_file()), None)
        return None
    return info


def status() -> LocalCloudInfo | None:
    """The running local cloud, or None when there is none. Never starts one, takes no lease.

    Found through its state file; when that is lost or bad, through the address inside its alive
    lock or its process (and the state file is written again).
    """
    keys = None
    stamp = _state_stamp()
    data = _read_state()
    if data is not None or alive_lock_held():
        keys = _keys()
    info = _answering(data, keys) if data is not None else None
    if info is not None:
        return _remember(info, stamp)
    held = alive_lock_held()
    if not held and data is not None:
        return None  # a stale state file of a cloud that is gone; no need to look further
    candidates = itertools.chain([_from_alive_file()] if held else [], _from_process_table())
    keys = keys or (_keys() if held else None)
    for found in candidates:
        keys = keys or _keys()
        info = _answering(found, keys)
        if info is not None:
            with contextlib.suppress(OSError):
                healed = found.model_copy(update={"kfp_endpoint": info.kfp_endpoint, "region": info.region})
                write_json(state_file(), healed, private=True, what="the local cloud state file")
            return info
    return None


def connect(start: bool = True, pace: float | None = None, region: str | None = None) -> LocalCloudInfo:
    """The running cloud; with ``start`` it is started if needed, else :class:`NotRunningError`."""
    if pace is None and region is None:
        info = known()
        if info is not None:
            if start:
                leases.process_lease()  # as ensure_running takes it
            return replace(info, reused=True)
    if start:
        return ensure_running(pace=pace, region=region)
    info = status()
    if info is None:
        raise NotRunningError()
    return info


def _start_lock():
    return file_lock(state_dir() / LOCK_FILE_NAME)


def resolve_pace(pace: float | str | None) -> float:
    """Argument > ``KFSM_PACE`` > 0 (instant); 0 to 60 seconds, a real number."""
    from ..errors import ValidationError
    from ..validation import pace as check_pace

    if pace is None:
        raw = os.environ.get("KFSM_PACE", "").strip()
        if not raw:
            return 0.0
        try:
            return check_pace(raw, "KFSM_PACE")
        except ValidationError as exc:
            raise ValidationError("KFSM_PACE", raw, exc.message.split(": ", 1)[-1], "e.g. KFSM_PACE=3") from None
    return check_pace(pace)


def ensure_running(pace: float | None = None, region: str | None = None, timeout: float = START_TIMEOUT,
                   lease: bool = True, prewarm: bool = True) -> LocalCloudInfo:
    """Reuse the running local cloud or start one; returns where it is.

    An explicit ``pace`` is applied to a running cloud too (``None`` leaves it as it is). The calling
    process takes a lease on the cloud (``lease=False``: it does not), dropped when it ends. While a
    cold cloud starts, this process loads what its own next steps need (:mod:`.prewarm`) and returns once
    that is done too; ``prewarm=False`` is for a process whose next steps run elsewhere (``kfsm-lab run``:
    the notebook's kernel).
    """
    wanted = resolve_pace(pace) if pace is not None else None
    if lease:
        leases.process_lease()
    with _start_lock():
        info = status()
        if info is not None:
            if wanted is not None and not math.isclose(wanted, info.pace):
                info.admin("pace", {"pace": wanted})
                info = replace(info, pace=wanted)
            return replace(info, reused=True)
        info = _wait_for_holder(timeout)  # one still starting (loading its state) or still dying
        if info is not None:
            return replace(info, reused=True)
        state_file().unlink(missing_ok=True)  # stale or absent
        info, loading = _spawn(wanted if wanted is not None else resolve_pace(None), _region(region), timeout,
                               prewarm)
    if loading is not None:
        # Outside the start lock (a peer may use the cloud already). The rest of the load-ahead (~0.5 s on
        # 2 cores: kfp's import, the sample) ran beside setup's calls before, on this process's one GIL:
        # each answer waited for the importing thread, and a cold setup took 1.0-1.3 s against 0.3-0.4 s
        # after it (the cold flow to the first prediction 3.67 -> 3.55 s, median of 10 alternated runs).
        loading.join(PREWARM_WAIT_SECONDS)
    return info


def _wait_for_holder(timeout: float) -> LocalCloudInfo | None:
    """While a cloud process holds the alive lock without answering: wait for it to answer or to end."""
    deadline = time.monotonic() + timeout
    while alive_lock_held():
        info = status()
        if info is not None:
            return info
        found = _from_alive_file()
        if found is not None and _refuses_our_token(found.endpoint_url):
            raise KfsmError(f"the local cloud running for this state folder (pid {found.pid}) does not accept the "
                            f"keys in {state_dir() / 'localcloud-keys.json'}: that file was replaced or lost while "
                            "it ran", "restart it with `kfsm-lab local stop --force` (its state is kept); the next "
                            "command starts it with the current keys")
        if time.monotonic() > deadline:
            raise KfsmError(f"a local cloud holds {alive_file()} but does not answer",
                            f"see its log ({log_file()}); stop it with `kfsm-lab local stop --force`")
        time.sleep(0.1)
    return None


def _region(region: str | None) -> str:
    """The region a new cloud serves: the one asked for (checked), else ``KFSM_REGION`` (checked), else ours.

    The default needs no check (a test holds it to botocore's list), and checking loads botocore's
    endpoint data (~0.2 s) on the path of a cold start, before the cloud's process is even started.
    """
    from ..validation import region as check_region

    wanted = region or os.environ.get("KFSM_REGION")
    return check_region(wanted) if wanted else DEFAULT_REGION


def _spawn(pace: float, region: str, timeout: float, prewarm: bool = True
           ) -> tuple[LocalCloudInfo, threading.Thread | None]:
    """Start the cloud and wait for its health; returns it with the load-ahead thread (None without one)."""
    keys = _keys()  # made before the cloud starts, so both sides read the same file
    log_path = log_file()
    cmd = [sys.executable, "-m", "kfsm_lab.localcloud", "serve", "--host", HOST, "--port", "0",
           "--pace", str(pace), "--region", region, "--state-file", str(state_file())]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}  # never the user's credentials
    env.pop(leases.LEASE_ENV, None)
    env["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    with open(log_path, "ab") as log:
        os.chmod(log_path, 0o600)
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                start_new_session=True, close_fds=True)
    _children[proc.pid] = proc
    loading = None
    if prewarm:
        from .prewarm import start as load_ahead

        loading = load_ahead(region, keys)  # this process only waits now: load what its next steps need meanwhile
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            from ..state import DiskFullError, free_bytes

            free = free_bytes(state_dir())
            if free is not None and free < 4 << 20:  # it could not write its files: say so, not just "exited"
                raise DiskFullError(state_dir(), 4 << 20, "the local cloud's state and log files")
            raise KfsmError(f"the local cloud exited during start (status {proc.returncode})",
                            f"see its log: {log_path}\n{_tail(log_path)}")
        stamp = _state_stamp()
        data = _read_state()
        if data is not None and data.pid == proc.pid:
            health = _health(data.endpoint_url, keys.admin_token, timeout=1.0)
            if health is not None and health.get("pid") == proc.pid:
                return _remember(_info(data, health, keys), stamp), loading
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


def _holder_pid() -> int | None:
    """The pid of the process holding the alive lock, even when it does not answer (wrong keys, hung)."""
    if not alive_lock_held():
        return None
    found = _from_alive_file() or next(iter(_from_process_table()), None)
    return found.pid if found is not None else None


def _stop_locked(timeout: float) -> bool:
    info = status()
    if info is None:
        pid = _holder_pid()
        state_file().unlink(missing_ok=True)
        if pid is None:
            return False
        _terminate(pid, timeout)  # holds the state folder but does not answer: stop it all the same
        return True
    _terminate(info.pid, timeout)
    data = _read_state()
    if data is not None and data.pid == info.pid:
        state_file().unlink(missing_ok=True)
    return True


def stop(timeout: float = 20.0) -> bool:
    """Stop the running local cloud now, whoever uses it (its state is saved first); True when one ran."""
    with _start_lock():
        stopped = _stop_locked(timeout)
        leases.release(leases.USER_LEASE_ID)
        return stopped


def stop_unless_used(timeout: float = 20.0) -> tuple[bool, list[leases.Lease]]:
    """Stop the cloud if no live lease remains (this process's own is dropped first).

    Returns ``(stopped, the leases that keep it running)``. This is what ``kfsm-lab run`` does at its
    end and ``kfsm-lab local stop`` without ``--force``.
    """
    leases.drop_process_lease()
    with _start_lock():
        others = leases.live()
        if others:
            return False, others
        return _stop_locked(timeout), []


def release(lease: leases.Lease | None, stop_if_last: bool = True, timeout: float = 20.0
            ) -> tuple[bool, list[leases.Lease]]:
    """Drop ``lease``; with ``stop_if_last``, stop the cloud when no live lease remains."""
    if lease is not None:
        leases.release(lease.id)
    if not stop_if_last:
        return False, leases.live()
    return stop_unless_used(timeout)


def reset(timeout: float = 20.0) -> dict[str, Any]:
    """Empty the local cloud on purpose: stop it, delete its saved state and the local KFP API's runs.

    Its keys stay. The local pipeline user's key in the secret store (and the local stand-in for the
    ``aws-secret`` that holds it) goes too: the user it belongs to is gone. Returns what was removed.
    """
    removed: list[str] = []
    with _start_lock():
        was_running = _stop_locked(timeout)
        for folder in (persist_dir(), state_dir() / KFP_DIR_NAME):
            if folder.exists():
                shutil.rmtree(folder)
                removed.append(str(folder))
        secrets = state_dir() / "secrets"
        stale = [*secrets.glob("pipeline-keys-local-*.json"), *secrets.glob("kubernetes/*.json")]
        for path in sorted(stale) if secrets.is_dir() else []:
            path.unlink(missing_ok=True)
            removed.append(str(path))
    return {"stopped": was_running, "removed": removed}
