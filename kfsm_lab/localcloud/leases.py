"""Who uses the local cloud: one lease file per user of it, under ``<state_dir>/leases/``.

- A **process lease** belongs to one kit process (a notebook kernel, ``kfsm-lab run``, a pipeline
  runner): it is live while that process lives. A SIGKILLed holder leaves a file whose pid is dead
  (or reused by another program: the process start time is recorded too); it is dropped the next
  time anyone looks. ``ensure_running()`` takes one for the calling process; a child started with
  ``KFSM_LOCALCLOUD_LEASE`` set (as ``kfsm-lab run`` does for its notebook kernel) shares its
  parent's instead.
- The **user lease** (``kfsm-lab local start`` / ``local env``) is live until ``kfsm-lab local stop``.

The rule, documented for users in the README: ``kfsm-lab run`` stops the cloud at its end only when
no other lease is live; and a cloud with no live lease that has had no request for
``KFSM_LOCALCLOUD_IDLE_SECONDS`` (15 minutes by default) stops itself, its state saved. So a killed
run leaves no cloud running forever, and nothing is lost when one stops.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..state import read_model, state_dir, write_json
from .constants import LEASES_DIR_NAME

LEASE_ENV = "KFSM_LOCALCLOUD_LEASE"
USER_LEASE_ID = "user"


class Lease(BaseModel):
    """Local cloud lease file."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=r"^[A-Za-z0-9-]{1,64}$")
    kind: Literal["process", "user"]
    pid: int | None = Field(default=None, ge=1)
    pid_start: int | None = None
    command: str = ""
    created_at: float = 0.0

    def describe(self) -> str:
        if self.kind == "user":
            return "`kfsm-lab local start` (until `kfsm-lab local stop`)"
        return f"pid {self.pid} ({self.command or 'a kit process'})"


def leases_dir(folder: Path | None = None) -> Path:
    path = (folder or state_dir()) / LEASES_DIR_NAME
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def process_start(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot, Linux), to tell a reused pid from the holder."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read().decode("latin-1")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().decode("latin-1").rsplit(")", 1)[-1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return True


def is_live(lease: Lease) -> bool:
    if lease.kind == "user":
        return True
    if lease.pid is None or not pid_alive(lease.pid):
        return False
    started = process_start(lease.pid)
    return lease.pid_start is None or started is None or started == lease.pid_start


def _path(lease_id: str, folder: Path | None = None) -> Path:
    return leases_dir(folder) / f"{lease_id}.json"


def _command() -> str:
    argv = [os.path.basename(sys.argv[0] if sys.argv else "python")] + (sys.argv[1:3] if len(sys.argv) > 1 else [])
    return " ".join(argv)[:120]


def acquire(kind: Literal["process", "user"] = "process", pid: int | None = None, folder: Path | None = None
            ) -> Lease:
    """Take a lease (the user lease is one for the whole state folder; taking it twice is harmless)."""
    if kind == "user":
        lease = Lease(id=USER_LEASE_ID, kind="user", command="kfsm-lab local start", created_at=time.time())
    else:
        pid = pid or os.getpid()
        lease = Lease(id=f"p{pid}-{uuid.uuid4().hex[:8]}", kind="process", pid=pid, pid_start=process_start(pid),
                      command=_command() if pid == os.getpid() else "", created_at=time.time())
    write_json(_path(lease.id, folder), lease, private=True, what="a local cloud lease")
    return lease


def release(lease_id: str, folder: Path | None = None) -> bool:
    """Drop a lease; True when it was there."""
    try:
        _path(lease_id, folder).unlink()
        return True
    except FileNotFoundError:
        return False


def live(folder: Path | None = None, prune: bool = True) -> list[Lease]:
    """The live leases; files of dead holders are removed (``prune``), bad files set aside."""
    out = []
    for path in sorted(leases_dir(folder).glob("*.json")):
        lease = read_model(path, Lease, "local cloud lease file",
                           "Nothing to do: a lease is taken again by the next kit process that uses the cloud.")
        if lease is None:
            continue
        if is_live(lease):
            out.append(lease)
        elif prune:
            with contextlib.suppress(OSError):
                path.unlink()
    return out


_held: dict[str, Lease] = {}  # this process's own lease per state folder


def process_lease(folder: Path | None = None) -> Lease | None:
    """This process's lease on the state folder's cloud (taken once; None when a parent's is shared)."""
    folder = folder or state_dir()
    inherited = os.environ.get(LEASE_ENV, "")
    if inherited and inherited != _held.get(str(folder), Lease(id="x", kind="user")).id:
        parent = read_model(_path(inherited, folder), Lease, "local cloud lease file",
                            "Nothing to do: this process takes a lease of its own.")
        if parent is not None and is_live(parent):
            return None
    held = _held.get(str(folder))
    if held is not None and held.pid == os.getpid() and _path(held.id, folder).exists():
        return held
    lease = acquire("process", folder=folder)
    _held[str(folder)] = lease
    return lease


def drop_process_lease(folder: Path | None = None) -> None:
    folder = folder or state_dir()
    held = _held.pop(str(folder), None)
    if held is not None:
        release(held.id, folder)


@contextlib.contextmanager
def shared_with_children(lease: Lease) -> Iterator[None]:
    """Children started in this block (a papermill kernel) use ``lease`` rather than taking their own."""
    from ..environ import variable

    with variable(LEASE_ENV, lease.id):
        yield


__all__ = ["LEASE_ENV", "Lease", "acquire", "drop_process_lease", "is_live", "live", "process_lease", "release",
           "shared_with_children"]
