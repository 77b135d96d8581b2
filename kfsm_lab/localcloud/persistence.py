"""The local cloud keeps its state in the state folder: stop + start (or a crash, or a reboot) loses nothing.

What is kept, under ``<state_dir>/localcloud/``:

- **S3, IAM, STS, CloudWatch Logs**: moto's own backend objects, pickled per service
  (``moto-<service>.pickle``) — moto's models are picklable by design (its S3 keys carry
  ``__getstate__``/``__setstate__`` for this), so there is no second copy of its state to keep in step.
- **SageMaker**: what :meth:`SageMakerService.dump_state` returns, as JSON (``sagemaker.json``), given
  back to :meth:`SageMakerService.load_state` at the next start.
- ``manifest.json``: the **state id** — made when the state is new and kept across restarts, so
  ``restarts`` can tell a restarted cloud (nothing lost) from a reset or lost state (everything gone).

When: a moto service is saved shortly after a request changed it (debounced, at most every
``MAX_DELAY`` seconds under constant change), SageMaker whenever its dump differs from the last one
written (checked every ``INTERVAL``), and everything on a clean shutdown (SIGTERM). Every file is
written atomically and fsynced; a SIGKILL loses at most the last second or two. Pickling happens
under :class:`Gate` — moto requests share it, a snapshot takes it alone — so no dict changes size
under the pickler. A file that does not load (other moto version, damage) is set aside with a
message in the log and that service starts empty, under a new state id.

The pickles are only ever read from the user's own 0700 state folder, written by the user's own cloud.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import logging
import pickle
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..state import DiskFullError, read_model, set_aside, write_bytes, write_json

log = logging.getLogger("kfsm_lab.localcloud.persistence")

#: service → (module, BackendDict attribute) of the moto services the local cloud serves.
MOTO_BACKENDS = {"s3": ("moto.s3.models", "s3_backends"), "iam": ("moto.iam.models", "iam_backends"),
                 "sts": ("moto.sts.models", "sts_backends"), "logs": ("moto.logs.models", "logs_backends")}
INTERVAL = 0.5
DEBOUNCE = 0.3
MAX_DELAY = 2.0
_READ_PREFIXES = ("Get", "List", "Describe", "Head", "Filter", "Lookup", "Test")


class Manifest(BaseModel):
    """Local cloud state manifest."""

    model_config = ConfigDict(extra="ignore")

    state_id: str
    created_at: float
    saved_at: float = 0.0
    moto_version: str = ""


class Gate:
    """Many requests at once, or one snapshot alone (writer-preferring readers-writer lock)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._exclusive = False
        self._waiting = 0

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._exclusive or self._waiting:
                self._cond.wait()
            self._shared += 1
        try:
            yield
        finally:
            with self._cond:
                self._shared -= 1
                if not self._shared:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            try:
                while self._exclusive or self._shared:
                    self._cond.wait()
            finally:
                self._waiting -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


def changes_state(service: str, operation: str, method: str) -> bool:
    """Whether a request may have changed a moto service's state (when unsure: yes)."""
    if service == "s3":
        return method not in ("GET", "HEAD", "OPTIONS")
    return not operation.startswith(_READ_PREFIXES)


def _backends(service: str) -> Any:
    module, attr = MOTO_BACKENDS[service]
    return getattr(importlib.import_module(module), attr)


def _worth_keeping(service: str, backend: Any) -> bool:
    """IAM has one backend per partition, each ~4 MB of AWS managed policies: keep only those in use."""
    if service != "iam":
        return True
    used = (getattr(backend, name, None) for name in ("users", "roles", "groups", "instance_profiles",
                                                       "open_id_providers", "saml_providers"))
    if any(used):
        return True
    return any(":iam::aws:policy/" not in str(getattr(p, "arn", ""))
               for p in list(getattr(backend, "managed_policies", {}).values()))


class Persistence:
    """Save and load one local cloud's state in ``folder``."""

    def __init__(self, folder: Path, sagemaker: Any = None) -> None:
        self.folder = folder
        self.sagemaker = sagemaker
        self.gate = Gate()
        self._lock = threading.Lock()
        self._dirty: dict[str, float] = {}  # service → when it first changed since the last save
        self._last_change = 0.0
        self._sagemaker_digest: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.manifest: Manifest | None = None
        self.loaded: dict[str, str] = {}
        self.saves = 0
        self.last_error: str | None = None

    @property
    def state_id(self) -> str:
        return self.manifest.state_id if self.manifest else ""

    def _file(self, service: str) -> Path:
        return self.folder / (f"moto-{service}.pickle" if service in MOTO_BACKENDS else f"{service}.json")

    # -- load ----------------------------------------------------------------------------------------------
    def load_moto(self) -> dict[str, str]:
        """Put the saved moto backends in place (before the server answers anything)."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.manifest = read_model(self.folder / "manifest.json", Manifest, "local cloud state manifest",
                                   "The local cloud starts with a new state id; the kit's resources may have to be "
                                   "made again (`kfsm-lab setup`).")
        lost = self.manifest is None and any(self._file(s).exists() for s in MOTO_BACKENDS)
        for service in MOTO_BACKENDS:
            self.loaded[service] = status = self._load_one(service)
            lost = lost or status == "set aside"
        if self.manifest is None or lost:
            self.manifest = Manifest(state_id=uuid.uuid4().hex, created_at=time.time(), moto_version=_moto_version())
            self._write_manifest()
        return dict(self.loaded)

    def _load_one(self, service: str) -> str:
        path = self._file(service)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return "new"
        try:
            saved = pickle.loads(raw)  # noqa: S301 - our own file, in the user's own 0700 state folder
            if not isinstance(saved, dict):
                raise TypeError(f"expected a dict of backends, got {type(saved).__name__}")
            bd = _backends(service)
            for (account, region), backend in saved.items():
                dict.__setitem__(bd[account], region, backend)
        except Exception as exc:  # noqa: BLE001 - any damage: set it aside, start that service empty
            set_aside(path, f"saved {service} state", f"{type(exc).__name__}: {exc}"[:300],
                      f"The local cloud starts with an empty {service}; make the kit's resources again with "
                      "`kfsm-lab setup`.")
            return "set aside"
        return "loaded"

    def load_sagemaker(self) -> str:
        """Give the saved SageMaker state back to the service (once the server answers: it may read S3)."""
        if self.sagemaker is None or not hasattr(self.sagemaker, "load_state"):
            self.loaded["sagemaker"] = "not supported"
            return "not supported"
        path = self._file("sagemaker")
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            self.loaded["sagemaker"] = "new"
            return "new"
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise TypeError(f"expected a JSON object, got {type(data).__name__}")
            self.sagemaker.load_state(data)
            self._sagemaker_digest = hashlib.sha256(raw).hexdigest()
        except Exception as exc:  # noqa: BLE001
            set_aside(path, "saved SageMaker state", f"{type(exc).__name__}: {exc}"[:300],
                      "The local cloud starts with no SageMaker resources; run the pipeline again.")
            self.loaded["sagemaker"] = "set aside"
            return "set aside"
        self.loaded["sagemaker"] = "loaded"
        return "loaded"

    # -- save ------------------------------------------------------------------------------------------------
    def touched(self, service: str) -> None:
        """A request may have changed ``service``: save it soon."""
        if service not in MOTO_BACKENDS:
            return
        now = time.monotonic()
        with self._lock:
            self._dirty.setdefault(service, now)
            self._last_change = now

    def pending(self) -> list[str]:
        with self._lock:
            return sorted(self._dirty)

    def _due(self, force: bool) -> list[str]:
        now = time.monotonic()
        with self._lock:
            if force:
                return sorted(self._dirty)
            if not self._dirty:
                return []
            oldest = min(self._dirty.values())
            if now - self._last_change >= DEBOUNCE or now - oldest >= MAX_DELAY:
                return sorted(self._dirty)
            return []

    def save(self, force: bool = False) -> list[str]:
        """Write what changed; returns the services written. A full disk is logged and retried later."""
        written: list[str] = []
        for service in self._due(force):
            with self._lock:
                since = self._dirty.pop(service, None)
            try:
                self._save_moto(service)
                written.append(service)
            except Exception as exc:  # noqa: BLE001 - a full disk or anything else: log, keep it dirty, retry
                with self._lock:
                    self._dirty.setdefault(service, since or time.monotonic())
                self._failed(service, exc)
        try:
            if self._save_sagemaker():
                written.append("sagemaker")
        except Exception as exc:  # noqa: BLE001 - the service's dump failing must not stop the saver
            self._failed("sagemaker", exc)
        if written:
            self.saves += 1
            self.last_error = None
            self._write_manifest()
        return written

    def _failed(self, service: str, exc: BaseException) -> None:
        text = str(exc) if isinstance(exc, DiskFullError) else f"{type(exc).__name__}: {exc}"
        if text != self.last_error:
            log.error("local cloud: could not save %s: %s", service, text)
        self.last_error = text

    def _save_moto(self, service: str) -> None:
        bd = _backends(service)
        with self.gate.exclusive():
            snapshot = {(account, region): backend for account, region, backend in bd.iter_backends()
                        if _worth_keeping(service, backend)}
            data = pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL)
        write_bytes(self._file(service), data, private=True, durable=True, what=f"the local cloud's {service} state")

    def _save_sagemaker(self) -> bool:
        if self.sagemaker is None or not hasattr(self.sagemaker, "dump_state"):
            return False
        raw = json.dumps(self.sagemaker.dump_state(), sort_keys=True, default=str).encode()
        digest = hashlib.sha256(raw).hexdigest()
        if digest == self._sagemaker_digest:
            return False
        write_bytes(self._file("sagemaker"), raw, private=True, durable=True,
                    what="the local cloud's SageMaker state")
        self._sagemaker_digest = digest
        return True

    def _write_manifest(self) -> None:
        if self.manifest is None:
            return
        self.manifest = self.manifest.model_copy(update={"saved_at": time.time(), "moto_version": _moto_version()})
        try:
            write_json(self.folder / "manifest.json", self.manifest, private=True, durable=True,
                       what="the local cloud's state manifest")
        except Exception as exc:  # noqa: BLE001
            self._failed("manifest", exc)

    # -- the saver thread -------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True, name="kfsm-localcloud-saver")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL):
            try:
                self.save()
            except Exception:
                log.exception("local cloud: saving state failed")

    def close(self) -> None:
        """Stop the saver and write everything that changed (clean shutdown)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self.save(force=True)

    def snapshot(self) -> dict[str, Any]:
        files = {}
        for service in (*MOTO_BACKENDS, "sagemaker"):
            path = self._file(service)
            with contextlib.suppress(OSError):
                files[service] = path.stat().st_size
        return {"folder": str(self.folder), "state_id": self.state_id, "loaded": dict(self.loaded),
                "pending": self.pending(), "saves": self.saves, "last_error": self.last_error, "files": files,
                "sagemaker_supported": bool(self.sagemaker is not None and hasattr(self.sagemaker, "dump_state"))}


def _moto_version() -> str:
    try:
        from moto import __version__

        return str(__version__)
    except ImportError:
        return ""


__all__ = ["Gate", "Manifest", "Persistence", "changes_state"]
