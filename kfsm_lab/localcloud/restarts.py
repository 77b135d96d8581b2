"""Knowing that the local cloud's state was emptied since the kit made its resources there.

The local cloud keeps its state in the state folder (:mod:`.persistence`): a stop, a crash or a
reboot loses nothing. What does lose everything is ``kfsm-lab local reset`` or a state folder that was
deleted or damaged. The saved state carries a **state id** (``/_kfsm/health``), made when the state
is new; the kit remembers the one its resources were made on, in ``<state_dir>/localcloud-resources.json``,
and when a call finds something missing on a cloud with another state id it says what happened and
what to do instead — not a bare ``NoSuchBucket`` that sends users hunting.

``acknowledge()`` is called by setup (the remedy: it makes everything again on the running state);
:func:`watch_client` wires the check into every kit boto3 client for the local target.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..errors import AwsAccessError
from ..state import read_model, state_dir, write_json

MARK_FILE_NAME = "localcloud-resources.json"
# Codes with which the local cloud says "no such thing" (S3, IAM, SageMaker, Runtime, Logs).
_MISSING_CODES = {"NoSuchBucket", "NoSuchKey", "404", "NotFound", "NoSuchEntity", "ResourceNotFound",
                  "ResourceNotFoundException"}
_MISSING_WORDS = ("could not find", "not found", "does not exist")


class RestartMark(BaseModel):
    """Local cloud resources mark."""

    model_config = ConfigDict(extra="ignore")

    state_id: str
    started_at: float = 0.0
    endpoint_url: str = ""
    acknowledged_at: float = 0.0


class CloudRestartedError(AwsAccessError):
    """The local cloud state the kit's resources lived in is gone (reset or lost); they must be made again."""

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


def _mark() -> RestartMark | None:
    return read_model(mark_file(), RestartMark, "local cloud resources mark",
                      "Nothing to do: setup writes it again (`kfsm-lab setup`).")


def acknowledge(info: Any = None) -> None:
    """Record the running cloud's state as the one the kit's resources live in (setup calls this)."""
    from .lifecycle import status

    info = info if info is not None and getattr(info, "state_id", "") else status()
    if info is None or not info.state_id:
        return
    mark = _mark()
    if mark is not None and mark.state_id == info.state_id:
        return
    write_json(mark_file(), RestartMark(state_id=info.state_id, started_at=info.started_at,
                                        endpoint_url=info.endpoint_url, acknowledged_at=time.time()),
               what="the local cloud resources mark")


def check(operation: str | None = None, code: str | None = None) -> CloudRestartedError | None:
    """The error when the kit's resources were made in a local cloud state that is gone, else None.

    A cloud that is merely stopped loses nothing (its state is kept): that is not an error here.
    """
    from .lifecycle import known, status

    mark = _mark()
    if mark is None:
        return None  # the kit has made nothing yet
    info = known() or status()  # a state id holds for a cloud process's life
    if info is None or not info.state_id or info.state_id == mark.state_id:
        return None
    return CloudRestartedError(
        f"the local cloud's state was reset or lost (it now runs since {_when(info.started_at)} with a new, empty "
        f"state); the resources the kit made before (on {_when(mark.acknowledged_at or mark.started_at)}) — bucket, "
        "IAM user and role, jobs, endpoints — are gone",
        "re-run setup (`kfsm-lab setup`, or the panel's Setup button), then run the pipeline again",
        code=code, operation=operation, restarted_at=info.started_at, lost_started_at=mark.started_at)


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
    """Make ``client`` raise :class:`CloudRestartedError` instead of a bare not-found after a reset."""
    client.meta.events.register("after-call.*.*", _after_call, unique_id="kfsm-localcloud-restart-check")
    return client
