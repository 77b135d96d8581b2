"""The panel's brain without the panel: fields, actions, what is enabled, status, errors, events.

Nothing here imports ipywidgets, so notebooks run headless under papermill, the CLI and tests drive
exactly what the buttons drive. Each action is a plain method that returns the report of the module
that does the work (doctor, provision, pipeline, predict, cleanup). ``start(action)`` runs it on a
worker thread instead; either way a failure becomes :attr:`Controller.last_error` plus a ``failed``
event, so it can never vanish as a traceback printed into some other cell.
"""

from __future__ import annotations

import inspect
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import JobFailedError, KfsmError
from ..errors import ValidationError as KfsmValidationError
from .i18n import check_lang, t

if TYPE_CHECKING:
    from ..checks import DoctorReport
    from ..config import Settings
    from ..pipeline import RunHandle
    from ..predictions import PredictionReport
    from ..provision import SetupReport
    from ..teardown import CleanupReport

log = logging.getLogger("kfsm_lab.widgets")

FIELDS: tuple[str, ...] = ("target", "region", "role_arn", "bucket")
ACTIONS: tuple[str, ...] = ("check", "setup", "run_pipeline", "predict", "cleanup", "cancel")
#: Actions that take the controller's one busy slot (``cancel`` must work while a run is busy).
LONG_ACTIONS: tuple[str, ...] = ACTIONS[:-1]


@dataclass(frozen=True)
class Event:
    """What listeners receive: ``kind`` is field | started | progress | finished | failed."""

    kind: str
    action: str | None = None
    data: Any = None


@dataclass(frozen=True)
class ErrorInfo:
    """An action's failure in the words the user sees: message and what to do."""

    action: str
    message: str
    hint: str | None = None
    kind: str = "KfsmError"
    traceback: str | None = None  # only for unexpected errors (bugs): kept here, not printed from a thread

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "message": self.message, "hint": self.hint, "kind": self.kind,
                "traceback": self.traceback}


class ActionUnavailable(KfsmError):
    """An action was asked for while it is not enabled (busy, invalid field, missing earlier step)."""

    def __init__(self, action: str, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.action = action


Listener = Callable[[Event], None]


@dataclass
class _Status:
    key: str
    values: dict[str, Any] = field(default_factory=dict)


class Controller:
    """Holds what the user entered and runs the exercise's actions; see the module docstring."""

    def __init__(self, settings: Settings | None = None, lang: str = "en", poll_interval: float = 1.0) -> None:
        self._lang = check_lang(lang)
        self.poll_interval = poll_interval
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._busy: str | None = None
        self._thread: threading.Thread | None = None
        self._base = settings
        self.last_error: ErrorInfo | None = None
        if settings is None:
            try:
                from ..config import load_settings

                self._base = load_settings()
            except KfsmError as exc:  # a bad KFSM_* variable: show it, start from the defaults
                self.last_error = self._error_info("settings", exc)
                from ..config import Settings as _Settings

                self._base = _Settings.model_construct()
        base = self._base
        self._fields: dict[str, str] = {"target": base.target, "region": base.region,
                                        "role_arn": base.role_arn or "", "bucket": base.bucket or ""}
        self._field_errors: dict[str, str | None] = {name: None for name in FIELDS}
        self._setup_key: tuple[str, ...] | None = None
        self._run_key: tuple[str, ...] | None = None
        self._created = False
        self.handle: RunHandle | None = None
        self.results: dict[str, Any] = {}
        self._status = _Status("status.ready")

    # -- language, listeners ----------------------------------------------------------------------
    @property
    def lang(self) -> str:
        return self._lang

    @lang.setter
    def lang(self, value: str) -> None:
        self._lang = check_lang(value)
        for name in FIELDS:  # re-word the field messages
            self._field_errors[name] = self.validate_field(name, self._fields[name])

    def t(self, key: str, **values: Any) -> str:
        """A message in the controller's language."""
        return t(self._lang, key, **values)

    def label(self, action: str) -> str:
        return self.t(f"action.{action}") if action in ACTIONS else action

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(event)`` on every event; it may run on the worker thread."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _emit(self, kind: str, action: str | None = None, data: Any = None) -> None:
        event = Event(kind, action, data)
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not stop the action or the others
                log.exception("listener %r failed on %s event", listener, kind)

    # -- fields -----------------------------------------------------------------------------------
    @property
    def fields(self) -> dict[str, str]:
        """The values as entered (role ARN and bucket may be empty: setup fills them in)."""
        with self._lock:
            return dict(self._fields)

    @property
    def field_errors(self) -> dict[str, str | None]:
        with self._lock:
            return dict(self._field_errors)

    def validate_field(self, name: str, value: object) -> str | None:
        """The message for a bad ``value`` of field ``name`` in the chosen language, or None if valid."""
        from .. import validation
        from ..config import load_settings

        checks: dict[str, Callable[[object], object]] = {
            "role_arn": validation.role_arn, "bucket": validation.bucket_name, "region": validation.region,
            "target": lambda v: load_settings(target=v),
        }
        if name not in checks:
            return self.t("invalid.unknown_field", name=name)
        if name in ("role_arn", "bucket") and (value is None or (isinstance(value, str) and not value.strip())):
            return None  # empty is valid: setup creates the role and picks the bucket
        try:
            checks[name](value)
        except KfsmValidationError as exc:
            reason = exc.message.split(": ", 1)[1] if exc.message.startswith(f"{exc.field}: ") else exc.message
            text = self.t(f"invalid.{name}", reason=reason)
            return f"{text} {self.t('invalid.hint', hint=exc.hint)}" if exc.hint else text
        return None

    def set_field(self, name: str, value: str | None) -> str | None:
        """Store a value as typed and return its validation message (None when valid)."""
        if name not in FIELDS:
            raise KfsmValidationError(name, value, self.t("invalid.unknown_field", name=name),
                                      "fields: " + ", ".join(FIELDS))
        text = "" if value is None else str(value)
        error = self.validate_field(name, text)
        with self._lock:
            self._fields[name] = text.strip() if name in ("role_arn", "bucket") else text
            self._field_errors[name] = error
        self._emit("field", None, {"name": name, "value": text, "error": error})
        return error

    def settings(self) -> Settings:
        """The settings the fields describe (``ValidationError`` when one is bad)."""
        from ..config import load_settings

        base = self._base.model_dump(exclude_unset=True) if self._base is not None else {}
        with self._lock:
            values = {k: (v or None) for k, v in self._fields.items()}
        return load_settings(**{**base, **values})

    def _key(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._fields[name] for name in FIELDS)

    def _first_field_error(self) -> str | None:
        with self._lock:
            return next((e for e in self._field_errors.values() if e), None)

    # -- what is enabled --------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._busy is not None

    @property
    def busy_action(self) -> str | None:
        return self._busy

    @property
    def setup_done(self) -> bool:
        """Setup succeeded for exactly the current target, region, role and bucket."""
        return self._setup_key is not None and self._setup_key == self._key()

    @property
    def run_succeeded(self) -> bool:
        return self._run_key is not None and self._run_key == self._key()

    @property
    def run_id(self) -> str | None:
        return self.handle.run_id if self.handle is not None else None

    def why_not(self, action: str) -> str | None:
        """Why ``action`` is disabled right now (in the chosen language), or None when it is enabled."""
        if action not in ACTIONS:
            return self.t("why.unknown_action", action=action)
        if action == "cancel":
            running = self._busy == "run_pipeline" and self.handle is not None and not self.handle.done
            return None if running else self.t("why.no_active_run")
        if self._busy is not None:
            return self.t("why.busy", action=self.label(self._busy))
        bad = self._first_field_error()
        if bad:
            return self.t("why.fields_invalid", message=bad)
        if action == "run_pipeline" and not self.setup_done:
            return self.t("why.needs_setup")
        if action == "predict" and not self.run_succeeded:
            return self.t("why.needs_run")
        if action == "cleanup" and not self._created:
            return self.t("why.nothing_created")
        return None

    def can(self, action: str) -> bool:
        """Whether ``action`` is enabled (what each button's ``disabled`` mirrors)."""
        return self.why_not(action) is None

    # -- status -----------------------------------------------------------------------------------
    @property
    def status(self) -> str:
        """One line saying where things stand, in the chosen language."""
        if not self.busy and any(self.field_errors.values()):
            return self.t("status.fix_fields")  # the buttons are disabled until the field is fixed
        st = self._status
        values = dict(st.values)
        if "action" in values:
            values["action"] = self.label(values["action"])
        return self.t(st.key, **values)

    def _set_status(self, key: str, **values: Any) -> None:
        self._status = _Status(key, values)

    # -- running actions --------------------------------------------------------------------------
    def _claim(self, action: str) -> None:
        with self._lock:
            reason = self.why_not(action)
            if reason is not None:
                raise ActionUnavailable(action, f"{self.label(action)}: {reason}")
            self._busy = action
            self.last_error = None
            self._set_status("status.busy", action=action)

    def _release(self) -> None:
        with self._lock:
            self._busy = None

    def _perform(self, action: str, fn: Callable[[], Any]) -> Any:
        """Run a claimed action: result and event on success; last_error and event on failure."""
        self._emit("started", action)
        try:
            result = fn()
        except BaseException as exc:
            info = self._error_info(action, exc)
            with self._lock:
                self.last_error = info
                self._set_status("status.failed", action=action, message=info.message)
            self._release()
            self._emit("failed", action, info)
            raise
        self.results[action] = result
        self._release()
        self._emit("finished", action, result)
        return result

    def _error_info(self, action: str, exc: BaseException) -> ErrorInfo:
        if not isinstance(exc, KfsmError):
            from ..aws import translate

            translated = translate(exc) if isinstance(exc, Exception) else exc
            if isinstance(translated, KfsmError):
                exc = translated
        # Logged at debug only: a log line from the worker thread would print into whichever cell runs.
        log.debug("%s failed", action, exc_info=exc)
        if isinstance(exc, KfsmError):
            return ErrorInfo(action, exc.message, exc.hint, type(exc).__name__)
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return ErrorInfo(action, f"{type(exc).__name__}: {exc}", self.t("error.unexpected_hint"), type(exc).__name__,
                         trace)

    def _run(self, action: str, fn: Callable[[], Any]) -> Any:
        self._claim(action)
        return self._perform(action, fn)

    def start(self, action: str, **kwargs: Any) -> None:
        """Run ``action`` on a worker thread and return at once; ``wait()`` blocks until it is done.

        Raises :class:`ActionUnavailable` (nothing starts) when the action is not enabled.
        """
        if action == "cancel":
            if (reason := self.why_not("cancel")) is not None:
                raise ActionUnavailable(action, f"{self.label(action)}: {reason}")
            threading.Thread(target=self._cancel_reporting, name="kfsm-cancel", daemon=True).start()
            return
        if action not in LONG_ACTIONS:
            raise ActionUnavailable(action, self.t("why.unknown_action", action=action))
        impl = getattr(self, f"_do_{action}")
        inspect.signature(impl).bind(**kwargs)  # a wrong argument is the caller's TypeError, raised here
        self._claim(action)
        thread = threading.Thread(target=self._quiet, args=(lambda: self._perform(action, lambda: impl(**kwargs)),),
                                  name=f"kfsm-{action}", daemon=True)
        with self._lock:
            self._thread = thread
        thread.start()

    def _cancel_reporting(self) -> None:
        """Cancel on a side thread (the run action holds the busy slot); a failure is reported, not lost."""
        try:
            self.cancel()
        except Exception as exc:  # noqa: BLE001 - becomes last_error and a failed event
            info = self._error_info("cancel", exc)
            with self._lock:
                self.last_error = info
            self._emit("failed", "cancel", info)

    @staticmethod
    def _quiet(fn: Callable[[], Any]) -> None:
        try:
            fn()
        except BaseException:  # noqa: BLE001, S110 - already recorded as last_error and a failed event
            pass

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker's action is done; True when idle (for tests and headless runs)."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.busy

    # -- the actions ------------------------------------------------------------------------------
    def check(self) -> DoctorReport:
        """Run the doctor's checks for the current fields."""
        return self._run("check", self._do_check)

    def setup(self) -> SetupReport:
        """Create everything the exercise needs, then adopt the role ARN and bucket it settled on."""
        return self._run("setup", self._do_setup)

    def run_pipeline(self, wait: bool = True, timeout: float | None = None, run_id: str | None = None) -> RunHandle:
        """Start the pipeline; with ``wait`` poll it every ``poll_interval`` s (``progress`` events) to its end."""
        return self._run("run_pipeline", lambda: self._do_run_pipeline(wait, timeout, run_id))

    def predict(self, n_test: int | None = None) -> PredictionReport:
        """Evaluate the run's endpoint on held-out digits."""
        return self._run("predict", lambda: self._do_predict(n_test))

    def cleanup(self, include_bucket: bool = False, include_iam: bool = False,
                all_runs: bool = False) -> CleanupReport:
        """Delete this run's SageMaker resources (every kit run's with ``all_runs`` or when no run
        was started here), and with the flags also the bucket and the IAM user and role."""
        return self._run("cleanup", lambda: self._do_cleanup(include_bucket, include_iam, all_runs))

    def cancel(self) -> RunHandle | None:
        """Stop the running pipeline and its SageMaker jobs (the run action then ends as canceled)."""
        handle = self.handle
        if handle is None or handle.done:
            return handle
        return handle.cancel()

    # -- implementations (run with the busy slot held) --------------------------------------------
    def _do_check(self) -> DoctorReport:
        from ..checks import run_doctor

        report = run_doctor(self.settings())
        failed = sum(1 for c in report.checks if c.status == "fail")
        key = "status.check_ok" if report.ok else "status.check_failed"
        self._set_status(key, count=len(report.checks), failed=failed)
        return report

    def _do_setup(self) -> SetupReport:
        from ..provision import setup_all

        report = setup_all(self.settings())
        done = report.settings
        with self._lock:
            self._created = True
            if done is not None:
                self._fields["role_arn"] = done.role_arn or self._fields["role_arn"]
                self._fields["bucket"] = done.bucket or self._fields["bucket"]
                self._field_errors["role_arn"] = self._field_errors["bucket"] = None
            self._setup_key = self._key()
        changed = sum(1 for s in report.steps if s.status in ("created", "updated"))
        self._set_status("status.setup_done", changed=changed, role_arn=self._fields["role_arn"],
                         bucket=self._fields["bucket"])
        for name in ("role_arn", "bucket"):
            self._emit("field", "setup", {"name": name, "value": self._fields[name], "error": None})
        return report

    def _do_run_pipeline(self, wait: bool = True, timeout: float | None = None,
                         run_id: str | None = None) -> RunHandle:
        from ..pipeline import start_run

        settings = self.settings()
        key = self._key()
        handle = start_run(settings, run_id=run_id)
        with self._lock:
            self.handle = handle
            self._created = True
            self._run_key = None
        self._set_status("status.run_started", run_id=handle.run_id)
        self._emit("progress", "run_pipeline", handle)
        if not wait:
            return handle
        handle.wait(timeout=timeout, interval=self.poll_interval, on_update=self._on_run_update)
        return self._run_ended(handle, key)

    def _on_run_update(self, handle: RunHandle) -> None:
        steps = handle.steps
        done = sum(1 for s in steps if s["state"] == "succeeded")
        active = next((s for s in steps if s["state"] == "running"), None)
        if active is not None:
            detail = " / ".join(str(v) for v in (active.get("job_status"), active.get("secondary_status")) if v)
            self._set_status("status.run_progress", run_id=handle.run_id, done=done, total=len(steps),
                             step=active["name"], detail=detail or active["state"])
        else:
            self._set_status("status.run_waiting", run_id=handle.run_id, state=handle.state)
        self._emit("progress", "run_pipeline", handle)

    def _run_ended(self, handle: RunHandle, key: tuple[str, ...]) -> RunHandle:
        if handle.state != "succeeded":
            self._set_status("status.run_failed", run_id=handle.run_id, state=handle.state)
            raise JobFailedError(f"pipeline run {handle.run_id}", handle.state, handle.error,
                                 f"see `kfsm-lab pipeline status {handle.run_id}`"
                                 + (f" and the log {handle.log_path}" if handle.log_path else ""))
        with self._lock:
            self._run_key = key
        self._set_status("status.run_succeeded", run_id=handle.run_id,
                         endpoint=handle.outputs.get("endpoint_name") or "")
        return handle

    def _do_predict(self, n_test: int | None = None) -> PredictionReport:
        from ..predictions import predict

        report = predict(self.settings(), run_id=self.run_id, n_test=n_test)
        self._set_status("status.predict_done", endpoint=report.endpoint, accuracy=f"{report.accuracy:.1%}")
        return report

    def _do_cleanup(self, include_bucket: bool = False, include_iam: bool = False,
                    all_runs: bool = False) -> CleanupReport:
        from ..teardown import cleanup

        run_id = None if all_runs else self.run_id
        report = cleanup(self.settings(), run_id=run_id, all_runs=run_id is None, include_bucket=include_bucket,
                         include_iam=include_iam)
        with self._lock:
            self._run_key = None
            if include_bucket or include_iam:
                self._setup_key = None
            self._created = not (include_bucket and include_iam)
        if report.nothing_left:
            self._set_status("status.cleanup_nothing")
        else:
            self._set_status("status.cleanup_done", count=len(report.items))
        return report
