"""An action's failure in the words a person reads once: what failed, why, and what to click.

Kit errors keep their message and hint; boto3 errors are translated first; anything else is a bug
and carries its traceback (folded away in the panel). ``fixes`` are actions the panel offers as
buttons in the error box ("Set up again", "Run again", "Show log").
"""

from __future__ import annotations

import logging
import re
import traceback
from dataclasses import dataclass, field
from typing import Any

from ..errors import KfsmError
from ..i18n import t

log = logging.getLogger("kfsm_lab.widgets")

_EXC_PREFIX = re.compile(r"^(?:[A-Za-z_][\w.]*(?:Error|Exception)):\s*")


@dataclass(frozen=True)
class ErrorInfo:
    """A failure as shown: ``message`` is the reason (once), ``hint`` what to do, ``fixes`` buttons."""

    action: str
    message: str
    hint: str | None = None
    kind: str = "KfsmError"  # the exception class, for tests and bug reports; never shown as is
    traceback: str | None = None  # only for unexpected errors (bugs)
    fixes: tuple[str, ...] = field(default=())
    log_path: str | None = None
    run_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "message": self.message, "hint": self.hint, "kind": self.kind,
                "traceback": self.traceback, "fixes": list(self.fixes), "log_path": self.log_path,
                "run_id": self.run_id}


def _fixes_for(action: str, exc: BaseException) -> tuple[str, ...]:
    from ..localcloud.restarts import CloudRestartedError

    if isinstance(exc, CloudRestartedError):
        return ("setup",)
    if action in ("setup", "run_pipeline", "predict"):
        return ("check",)
    return ()


def from_exception(action: str, exc: BaseException, lang: str) -> ErrorInfo:
    """The :class:`ErrorInfo` for an exception an action raised."""
    if not isinstance(exc, KfsmError) and isinstance(exc, Exception):
        from ..aws import translate

        translated = translate(exc)
        if isinstance(translated, KfsmError):
            exc = translated
    # Logged at debug only: a log line from the worker thread would print into whichever cell runs.
    log.debug("%s failed", action, exc_info=exc)
    if isinstance(exc, KfsmError):
        return ErrorInfo(action, exc.message, exc.hint, type(exc).__name__, fixes=_fixes_for(action, exc))
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return ErrorInfo(action, f"{type(exc).__name__}: {exc}", t(lang, "error.unexpected_hint"), type(exc).__name__,
                     trace)


def from_run(run: Any, lang: str) -> ErrorInfo:
    """The failure of a pipeline run (from its snapshot), with the real run id in its hint."""
    from ..i18n import state_word, step_label

    failed = next((s for s in run.get("steps") or [] if s.get("state") == "failed"), None)
    reason = (failed or {}).get("failure_reason") or run.get("error") or ""
    reason = _EXC_PREFIX.sub("", str(reason)).strip()  # "ClientError: …" → the service's own sentence
    run_id = run["run_id"]
    if failed is not None:
        message = t(lang, "error.run_step_failed", run_id=run_id, step=step_label(failed, lang), reason=reason)
    else:
        message = t(lang, "status.run_failed", run_id=run_id, state=state_word(run.get("state"), lang))
        message += f" {reason}" if reason else ""
    hint = t(lang, "error.run_hint", command=f"`kfsm-lab pipeline status {run_id}`")
    return ErrorInfo("run_pipeline", message, hint, "JobFailedError", fixes=("run_pipeline",),
                     log_path=run.get("log_path"), run_id=run_id)
