"""Where the kit keeps its small files, and how they are written and read back.

``KFSM_STATE_DIR`` overrides the per-user state folder (tests and CI point it at a temp dir).
Files holding secrets are created 0600 inside a 0700 folder.

Every state file is written atomically (a temp file in the same folder, then a rename), so a
reader never sees half a file and a full disk leaves no temp file behind (:class:`DiskFullError`
names the folder and the space needed). Every state file is read back through a pydantic model
(:func:`read_model`): a file that does not fit is set aside as ``<name>.bad-<time>``, reported once
with its path and what to do, and the caller carries on as if it were missing — one bad file never
takes down a listing of the good ones.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import KfsmError

log = logging.getLogger("kfsm_lab.state")
M = TypeVar("M", bound=BaseModel)
#: errno values that mean "the disk (or the quota, or the file size limit) is full".
FULL_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class DiskFullError(KfsmError, OSError):
    """A state file could not be written because its folder has no room; nothing was half-written."""

    def __init__(self, folder: Path, needed: int, what: str = "", cause: int = errno.ENOSPC) -> None:
        if cause == errno.EFBIG:
            super().__init__(
                f"no room to write {what or 'a state file'} in {folder}: the file size limit (ulimit -f) is below "
                f"the {_size(needed)} it needs; nothing was changed",
                "raise the limit (`ulimit -f unlimited`), or point KFSM_STATE_DIR at another folder, then run the "
                "command again")
        else:
            free = free_bytes(folder)
            free_text = f"; {_size(free)} free" if free is not None else ""
            super().__init__(
                f"no space left in {folder} to write {what or 'a state file'} (needs about {_size(needed)}"
                f"{free_text}); nothing was changed",
                f"free at least {_size(needed)} in {folder}, or point KFSM_STATE_DIR at a folder with room, "
                "then run the command again")
        self.folder = folder
        self.needed = needed
        self.errno = errno.ENOSPC


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def state_dir() -> Path:
    """The kit's state folder, created 0700 on first use."""
    override = os.environ.get("KFSM_STATE_DIR")
    if override:
        path = Path(override)
    else:
        from platformdirs import user_state_dir

        path = Path(user_state_dir("kfsm-lab", appauthor=False))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def is_full_disk(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in FULL_DISK_ERRNOS


def write_bytes(path: Path, data: bytes, private: bool = False, durable: bool = False, what: str = "") -> None:
    """Write ``data`` atomically (temp file + rename); ``private`` makes it 0600 from the start.

    ``durable`` also fsyncs file and folder (for state that must survive a power cut). On a full
    disk the temp file is removed and :class:`DiskFullError` raised; ``path`` is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o600 if private else 0o644)
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
        if durable:
            _fsync_dir(path.parent)
    except OSError as exc:
        if is_full_disk(exc):
            raise DiskFullError(path.parent, len(data) + 4096, what or path.name, exc.errno) from exc
        raise
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_json(path: Path, data: Any, private: bool = False, durable: bool = False, what: str = "") -> None:
    """Write JSON atomically (see :func:`write_bytes`); pydantic models are written by their JSON form."""
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    write_bytes(path, json.dumps(data, indent=2, default=str).encode(), private=private, durable=durable,
                what=what)


def read_json(path: Path) -> Any | None:
    """The JSON in ``path``, or None when it is missing or unreadable (no validation: prefer :func:`read_model`)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


# --- validated reads --------------------------------------------------------------------------------

@dataclass(frozen=True)
class SetAside:
    """A state file that did not fit its schema and was renamed out of the way."""

    path: str
    moved_to: str | None
    what: str
    reason: str
    fix: str
    at: float

    def message(self) -> str:
        where = f"; it was set aside as {self.moved_to}" if self.moved_to else ""
        return f"kfsm-lab: {self.path} is not a valid {self.what} ({self.reason}){where}. {self.fix}"


_set_aside: list[SetAside] = []
_set_aside_lock = threading.Lock()


def set_aside_files() -> list[SetAside]:
    """The bad state files this process has set aside so far (for a UI to show)."""
    with _set_aside_lock:
        return list(_set_aside)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors()[:3]:
            loc = ".".join(str(p) for p in err.get("loc", ())) or "the whole file"
            parts.append(f"{loc}: {err.get('msg')}")
        more = f" (+{exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
        return "; ".join(parts) + more
    if isinstance(exc, UnicodeDecodeError):
        return "it is not text"
    if isinstance(exc, json.JSONDecodeError):
        return f"it is not JSON: {exc.msg} at line {exc.lineno}"
    return str(exc)


def set_aside(path: Path, what: str, reason: str, fix: str) -> SetAside:
    """Rename ``path`` to ``<name>.bad-<time>`` (kept for a look, never read again) and report it once."""
    moved: Path | None = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
    try:
        os.replace(path, moved)
    except FileNotFoundError:  # another process set it aside first
        moved = None
    except OSError:
        moved = None
    report = SetAside(str(path), str(moved) if moved else None, what, reason, fix, time.time())
    with _set_aside_lock:
        _set_aside.append(report)
    log.warning(report.message())
    return report


def read_model(path: Path, model: type[M], what: str | None = None, fix: str = "") -> M | None:
    """``path`` parsed and validated as ``model``; None when it is missing or bad.

    A bad file (not JSON, wrong shape, wrong types) is set aside and reported with ``fix`` — what the
    user can do, or what the kit does instead. A file that cannot be read at all (permissions) is
    reported and left where it is.
    """
    what = what or (model.__doc__ or model.__name__).strip().splitlines()[0].rstrip(".").lower()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        report = SetAside(str(path), None, what, f"it cannot be read: {exc.strerror}", fix, time.time())
        log.warning(report.message())
        return None
    try:
        return model.model_validate_json(raw)
    except (ValidationError, ValueError) as exc:
        set_aside(path, what, _reason(exc), fix)
        return None


# --- cross-process locks ----------------------------------------------------------------------------

@contextlib.contextmanager
def file_lock(path: Path, timeout: float | None = None) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created 0600) for the ``with`` block; serializes processes.

    ``timeout`` None waits as long as it takes; otherwise a :class:`TimeoutError` after that many seconds.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no cross-process lock
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if timeout is None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        else:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{path} is held by another process") from None
                    time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
