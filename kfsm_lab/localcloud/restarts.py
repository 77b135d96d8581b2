"""Knowing that the local cloud was restarted since the kit made its resources there.

The local cloud keeps everything in memory: after a stop (or a crash, or a reboot) its buckets,
users, jobs and endpoints are gone. A raw ``NoSuchBucket`` then sends users hunting, so the kit
remembers which cloud instance (``instance_id`` from ``/_kfsm/health``) its resources were made on,
in ``<state_dir>/localcloud-resources.json``, and when a call finds something missing on a
different instance it says what happened and what to do instead.

``acknowledge()`` is called by setup (the remedy: it makes everything again on the running
instance); :func:`watch_client` wires the check into every kit boto3 client for the local target.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..errors import AwsAccessError
from ..state import read_json, state_dir, write_json

MARK_FILE_NAME = "localcloud-resources.json"
# Codes with which the local cloud says "no such thing" (S3, IAM, SageMaker, Runtime, Logs).
_MISSING_CODES = {"NoSuchBucket", "NoSuchKey", "404", "NotFound", "NoSuchEntity", "ResourceNotFound",
                  "ResourceNotFoundException"}
_MISSING_WORDS = ("could not find", "not found", "does not exist")


class CloudRestartedError(AwsAccessError):
    """The local cloud the kit's resources lived on is gone (restarted); they must be made again."""

    def __init__(self, message: str, hint: str, code: str | None = None, operation: str | None = None,
                 restarted_at: float | None = None, lost_started_at: float | None = None) -> None:
        super().__init__(message, hint, code=code, operation=operation)
        self.restarted_at = restarted_at
        self.lost_started_at = lost_started_at

    def to_dict(self) -> dict:
        return {**super().to_dict(), "restarted_at": self.restarted_at, "lost_started_at": self.lost_started_at}


def mark_file() -> Path:
    return state_dir() / MARK_FILE_NAME


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "an unknown time"


def acknowledge(info: Any = None) -> None:
    """Record the running cloud as the one the kit's resources live on (setup calls this)."""
    from .lifecycle import status

    info = info if info is not None and getattr(info, "instance_id", "") else status()
    if info is None or not info.instance_id:
        return
    mark = read_json(mark_file())
    if isinstance(mark, dict) and mark.get("instance_id") == info.instance_id:
        return
    write_json(mark_file(), {"instance_id": info.instance_id, "started_at": info.started_at,
                             "endpoint_url": info.endpoint_url, "acknowledged_at": time.time()})


def check(operation: str | None = None, code: str | None = None) -> CloudRestartedError | None:
    """The restart error when the kit's resources were made on another cloud instance, else None."""
    from .lifecycle import status

    mark = read_json(mark_file())
    if not isinstance(mark, dict) or not mark.get("instance_id"):
        return None  # the kit has made nothing yet (or not since this check exists)
    info = status()
    if info is None:
        return CloudRestartedError(
            f"the local cloud is not running; the one the kit's resources were made on (started "
            f"{_when(mark.get('started_at'))}) has stopped and its buckets, jobs and endpoints are gone",
            "start it and make everything again: `kfsm-lab setup`, then run the pipeline",
            code=code, operation=operation, lost_started_at=mark.get("started_at"))
    if not info.instance_id or info.instance_id == mark["instance_id"]:
        return None
    return CloudRestartedError(
        f"the local cloud was restarted at {_when(info.started_at)}; the resources the kit made on the "
        f"previous one (started {_when(mark.get('started_at'))}) — bucket, IAM user and role, jobs, "
        "endpoints — are gone, because the local cloud keeps them in memory",
        "re-run setup (`kfsm-lab setup`, or the panel's Setup button), then run the pipeline again",
        code=code, operation=operation, restarted_at=info.started_at, lost_started_at=mark.get("started_at"))


def _missing(parsed: Any) -> str | None:
    err = parsed.get("Error") if isinstance(parsed, dict) else None
    if not isinstance(err, dict):
        return None
    code = str(err.get("Code") or "")
    text = str(err.get("Message") or "").lower()
    if code in _MISSING_CODES or (code in ("ValidationException", "ValidationError")
                                  and any(w in text for w in _MISSING_WORDS)):
        return code
    return None


def _after_call(http_response: Any = None, parsed: Any = None, model: Any = None, **_: Any) -> None:
    code = _missing(parsed)
    if code is None:
        return
    err = check(getattr(model, "name", None), code)
    if err is not None:
        raise err


def watch_client(client: Any) -> Any:
    """Make ``client`` raise :class:`CloudRestartedError` instead of a bare not-found after a restart."""
    client.meta.events.register("after-call.*.*", _after_call, unique_id="kfsm-localcloud-restart-check")
    return client
