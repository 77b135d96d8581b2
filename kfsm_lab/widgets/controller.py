"""The panel's brain without the panel: fields, the shared picture, the actions, events.

Nothing here imports ipywidgets. The parts live in their own modules — :mod:`.fields` (validation
sentences), :mod:`.snapshot` (the picture read from the state the cells share), :mod:`.rules` (what is
enabled, the status line), :mod:`.worker` (threads), :mod:`.actions` (the work), :mod:`.failures`
(errors as shown) — and the controller ties them together: it keeps what was typed, re-reads the
picture (every ``poll_interval`` seconds once :meth:`watch` is on, and after every action), and tells
listeners. A failure becomes :attr:`last_error` plus a ``failed`` event, never a stray traceback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import JobFailedError, KfsmError
from ..errors import ValidationError as KfsmValidationError
from ..i18n import check_lang, resolve, t
from . import actions, fields, rules
from .failures import ErrorInfo, from_exception, from_run
from .fields import FIELDS
from .rules import ACTIONS, LONG_ACTIONS
from .snapshot import Progress, SnapshotReader
from .worker import Busy, Poller, Worker

if TYPE_CHECKING:
    from ..config import Settings
    from ..pipeline import RunHandle

log = logging.getLogger("kfsm_lab.widgets")

__all__ = ["ACTIONS", "FIELDS", "LONG_ACTIONS", "ActionUnavailable", "Controller", "ErrorInfo", "Event"]

#: The keyword arguments each action takes from the panel or a caller.
_OPTIONS: dict[str, set[str]] = {"predict": {"n_test"}, "cleanup": {"include_bucket", "include_iam"},
                                 "run_pipeline": {"run_id"}}
CELL_SETTLE = 0.4  # s after a cell ends before the panel counts the kernel idle (Run All's next cell)


@dataclass(frozen=True)
class Event:
    """What listeners receive: ``kind`` is field | started | finished | failed | snapshot."""

    kind: str
    action: str | None = None
    data: Any = None


class ActionUnavailable(KfsmError):
    """An action was asked for while it is not enabled (busy, invalid field, missing earlier step)."""

    def __init__(self, action: str, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.action = action


Listener = Callable[[Event], None]


class Controller:
    """Holds what the user entered and runs the exercise's actions; see the module docstring."""

    def __init__(self, settings: Settings | None = None, lang: str | None = None,
                 poll_interval: float | None = None, pipeline: Any = None) -> None:
        self._lang = resolve(lang, lab=True)
        self.pipeline = pipeline  # the notebook's @dsl.pipeline function, which Run pipeline submits
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self.last_error: ErrorInfo | None = None
        self.results: dict[str, Any] = {}
        self.handle: RunHandle | None = None
        self._last_action: tuple[str, dict[str, Any], float] | None = None
        self._dismissed_run: str | None = None  # a failed run whose error box the user closed
        self._cell_running = False
        self._cell_ended = 0.0
        self._base = settings
        if settings is None:
            from ..config import Settings as _Settings
            from ..config import load_settings

            try:
                self._base = load_settings()
            except KfsmError as exc:  # a bad KFSM_* variable: show it, start from the defaults
                self.last_error = from_exception("settings", exc, self._lang)
                self._base = _Settings.model_construct()
        base = self._base
        self._fields: dict[str, str] = {"target": base.target, "region": base.region,
                                        "role_arn": base.role_arn or "", "bucket": base.bucket or ""}
        self._field_errors: dict[str, str | None] = {n: fields.message(n, v, self._lang)
                                                     for n, v in self._fields.items()}
        local = base.target == "local"
        self.poll_interval = poll_interval if poll_interval is not None else (0.5 if local else 5.0)
        self._worker = Worker(self._done)
        self._reader = SnapshotReader()
        self._poller = Poller(self._poll, self.poll_interval)
        self._progress: Progress | None = None
        self.refresh()

    # -- language, listeners ----------------------------------------------------------------------
    @property
    def lang(self) -> str:
        return self._lang

    @lang.setter
    def lang(self, value: str) -> None:
        self._lang = check_lang(value)
        with self._lock:
            for name in FIELDS:  # re-word the field messages
                self._field_errors[name] = fields.message(name, self._fields[name], self._lang)

    def t(self, key: str, **values: Any) -> str:
        return t(self._lang, key, **values)

    def label(self, action: str) -> str:
        return rules.label(action, self._lang)

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(event)`` on every event; it may run on the worker or poller thread."""
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
        """The sentence for a bad ``value`` of field ``name`` in the panel's language, or None if valid."""
        return fields.message(name, value, self._lang)

    def set_field(self, name: str, value: str | None, *, source: str | None = None) -> str | None:
        """Store a value as typed and return its validation message (None when valid)."""
        if name not in FIELDS:
            raise KfsmValidationError(name, value, self.t("invalid.unknown_field", name=name),
                                      "fields: " + ", ".join(FIELDS))
        text = "" if value is None else str(value)
        error = self.validate_field(name, text)
        with self._lock:
            self._fields[name] = text.strip() if name in fields.OPTIONAL else text
            self._field_errors[name] = error
        self._emit("field", source, {"name": name, "value": text, "error": error})
        self.refresh()
        return error

    def settings(self) -> Settings:
        """The settings the fields describe (``ValidationError`` when one is bad)."""
        from ..config import load_settings

        base = self._base.model_dump(exclude_unset=True) if self._base is not None else {}
        with self._lock:
            values = {k: (v or None) for k, v in self._fields.items()}
        return load_settings(**{**base, **values})

    def _reading_settings(self) -> Any:
        """Settings good enough to read the picture with, even while a field is being fixed."""
        try:
            return self.settings()
        except KfsmError:
            from ..config import load_settings

            with self._lock:
                target, region = self._fields["target"], self._fields["region"]
            try:
                return load_settings(target=target, region=region)
            except KfsmError:
                return self._base

    # -- the shared picture -----------------------------------------------------------------------
    @property
    def cell_running(self) -> bool:
        return self._cell_running or time.monotonic() - self._cell_ended < CELL_SETTLE

    def refresh(self) -> Progress:
        """Re-read the picture now (the poller does this every ``poll_interval`` s) and tell listeners."""
        with self._lock:
            current, errors = dict(self._fields), dict(self._field_errors)
        p = self._reader.read(self._reading_settings(), current, errors, busy=self._worker.busy,
                              cell_running=self.cell_running)
        adopted = self._adopt(p)
        with self._lock:
            self._progress = p
        self._emit("snapshot", None, p)
        if adopted:  # the picture changed the fields (a cell's setup): read once more with them
            return self.refresh()
        return p

    def _adopt(self, p: Progress) -> bool:
        """Fill empty role/bucket fields from a setup a cell (or another panel) made."""
        if p.setup is None:
            return False
        changed = False
        for name in ("role_arn", "bucket"):
            value = p.setup.get(name)
            with self._lock:
                empty = not self._fields[name]
            if value and empty:
                self.set_field(name, value, source="setup")
                changed = True
        return changed

    @property
    def progress(self) -> Progress:
        """The latest picture (see :mod:`.snapshot`)."""
        with self._lock:
            assert self._progress is not None
            return self._progress

    def _poll(self) -> None:
        self.refresh()

    def watch(self, on: bool = True) -> None:
        """Start (or stop) re-reading the picture every ``poll_interval`` s; the panel turns this on."""
        self._poller.interval = self.poll_interval
        if on:
            self._poller.start()
        else:
            self._poller.stop()

    def follow_cells(self, shell: Any) -> None:
        """Know when notebook cells run (IPython's pre/post_run_cell), so buttons say why they wait."""

        def pre(*_: Any) -> None:
            self._cell_running = True
            self._poller.poke()

        def post(*_: Any) -> None:
            self._cell_running = False
            self._cell_ended = time.monotonic()
            threading.Timer(CELL_SETTLE + 0.05, self._poller.poke).start()

        shell.events.register("pre_run_cell", pre)
        shell.events.register("post_run_cell", post)
        self._unfollow = lambda: (shell.events.unregister("pre_run_cell", pre),
                                  shell.events.unregister("post_run_cell", post))

    def close(self) -> None:
        """Stop polling and stop following cells."""
        self._poller.stop()
        unfollow = getattr(self, "_unfollow", None)
        self._unfollow = None
        if unfollow is not None:
            try:
                unfollow()
            except ValueError:
                pass

    # -- what is enabled, what it says ------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._worker.busy is not None

    @property
    def busy_action(self) -> str | None:
        return self._worker.busy

    @property
    def run_id(self) -> str | None:
        return self.progress.run_id

    def why_not(self, action: str) -> str | None:
        """Why ``action`` is disabled right now (in the panel's language), or None when it is enabled."""
        return rules.why_not(action, self._live_progress(), self._lang)

    def can(self, action: str) -> bool:
        return self.why_not(action) is None

    def _live_progress(self) -> Progress:
        """The latest picture with the busy slot and field errors as they are this instant."""
        from dataclasses import replace
        from types import MappingProxyType

        with self._lock:
            p = self._progress
            errors = MappingProxyType(dict(self._field_errors))
            current = MappingProxyType(dict(self._fields))
        assert p is not None
        return replace(p, busy=self._worker.busy, field_errors=errors, fields=current,
                       cell_running=self.cell_running)

    @property
    def error(self) -> ErrorInfo | None:
        """What the error box shows: the last action's failure, else the followed run's failure."""
        if self.last_error is not None:
            return self.last_error
        p = self.progress
        if p.run is not None and p.run_state in ("failed", "canceled") and p.run_id != self._dismissed_run:
            since = self._last_action[2] if self._last_action else 0.0
            if (p.run.get("finished_at") or p.run.get("created_at") or 0) >= since:  # not older than what we did
                return from_run(p.run, self._lang)
        return None

    def dismiss_error(self) -> None:
        self.last_error = None
        p = self.progress
        if p.run_state in ("failed", "canceled"):
            self._dismissed_run = p.run_id
        self.refresh()

    @property
    def status(self) -> str:
        """One line saying where things stand, in the panel's language."""
        err = self.error
        return rules.status(self._live_progress(), self._lang, self._last_action,
                            failed=err.action if err is not None and err.action != "settings" else None)

    # -- running actions --------------------------------------------------------------------------
    def _claim(self, action: str) -> None:
        with self._lock:
            reason = self.why_not(action)
            if reason is not None:
                raise ActionUnavailable(action, f"{self.label(action)}: {reason}")
            try:
                self._worker.claim(action)
            except Busy as exc:
                raise ActionUnavailable(action, self.t("why.busy", action=self.label(exc.action))) from None
            self.last_error = None
            self._dismissed_run = None
        self._emit("started", action)
        self.refresh()

    def _done(self, action: str, outcome: Any, exc: BaseException | None) -> None:
        if exc is not None:
            self.last_error = from_exception(action, exc, self._lang)
            self.refresh()
            self._emit("failed", action, self.last_error)
            return
        result, key, values = outcome
        self.results[action] = result
        if action == "run_pipeline":
            self.handle = result
            self._reader.own = result.run_id
            self._reader._handles[result.run_id] = result
        else:
            self._last_action = (key, values, time.time())
        self.refresh()
        self._emit("finished", action, result)

    def _impl(self, action: str, kwargs: dict[str, Any]) -> Callable[[], Any]:
        settings = self.settings()
        if action == "predict":
            return lambda: actions.predict(settings, self.progress.run_id, **kwargs)
        if action == "run_pipeline":
            return lambda: actions.run_pipeline(settings, pipeline=self.pipeline, **kwargs)
        return lambda: getattr(actions, action)(settings, **kwargs)

    def start(self, action: str, **kwargs: Any) -> None:
        """Run ``action`` on the worker thread and return at once; ``wait()`` blocks until it is done.

        Raises :class:`ActionUnavailable` (nothing starts) when the action is not enabled.
        """
        if action == "cancel":
            self._start_cancel()
            return
        if action not in LONG_ACTIONS:
            raise ActionUnavailable(action, self.t("why.unknown_action", action=action))
        unknown = set(kwargs) - _OPTIONS.get(action, set())
        if unknown:  # a wrong argument is the caller's TypeError, raised before anything starts
            raise TypeError(f"{action}() got unexpected arguments {sorted(unknown)}")
        self._claim(action)
        try:
            fn = self._impl(action, kwargs)
        except BaseException:
            self._worker.release()
            raise
        self._worker.run(action, fn)

    def _start_cancel(self) -> None:
        if (reason := self.why_not("cancel")) is not None:
            raise ActionUnavailable("cancel", f"{self.label('cancel')}: {reason}")
        run_id = self.progress.run_id
        assert run_id is not None

        def body() -> None:
            try:
                actions.cancel(run_id, self.handle)
            except Exception as exc:  # noqa: BLE001 - becomes last_error and a failed event
                self.last_error = from_exception("cancel", exc, self._lang)
                self._emit("failed", "cancel", self.last_error)
            self.refresh()

        threading.Thread(target=body, name="kfsm-cancel", daemon=True).start()

    def _run_here(self, action: str, **kwargs: Any) -> Any:
        """Run an action in this thread (headless use); its exception propagates after being recorded."""
        self._claim(action)
        try:
            fn = self._impl(action, kwargs)
        except BaseException:
            self._worker.release()
            raise
        return self._worker.run(action, fn, background=False)[0]

    def _run(self, action: str, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` as ``action`` here (for tests of the error paths)."""
        self._claim(action)
        return self._worker.run(action, lambda: (fn(), "status.ready", {}), background=False)[0]

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker's action is done; True when idle (for tests and headless runs)."""
        return self._worker.join(timeout)

    def wait_run(self, timeout: float | None = None) -> Progress:
        """Block until the followed run has ended (re-reading the picture); returns the last picture."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            p = self.refresh()
            if not p.run_active:
                return p
            if deadline is not None and time.monotonic() > deadline:
                return p
            time.sleep(min(self.poll_interval, 0.5))

    # -- the actions, called directly (headless) --------------------------------------------------
    def check(self) -> Any:
        """Run the doctor's checks for the current fields."""
        return self._run_here("check")

    def setup(self) -> Any:
        """Create everything the exercise needs; the fields adopt the role ARN and bucket it settled on."""
        report = self._run_here("setup")
        done = report.settings
        if done is not None:
            for name in ("role_arn", "bucket"):
                if getattr(done, name) and self.fields[name] != getattr(done, name):
                    self.set_field(name, getattr(done, name), source="setup")
        return report

    def run_pipeline(self, wait: bool = True, timeout: float | None = None, run_id: str | None = None) -> Any:
        """Start the pipeline; with ``wait`` follow it to its end (``JobFailedError`` if it did not succeed)."""
        handle = self._run_here("run_pipeline", run_id=run_id)
        if not wait:
            return handle
        p = self.wait_run(timeout)
        if p.run_state != "succeeded":
            err = from_run(p.run, self._lang) if p.run else None
            raise JobFailedError(f"pipeline run {handle.run_id}", p.run_state or "?", err.message if err else None,
                                 err.hint if err else None)
        return handle

    def predict(self, n_test: int | None = None) -> Any:
        return self._run_here("predict", n_test=n_test)

    def cleanup(self, include_bucket: bool = False, include_iam: bool = False) -> Any:
        """Delete every kit run's SageMaker resources here, and with the flags the bucket and IAM too."""
        return self._run_here("cleanup", include_bucket=include_bucket, include_iam=include_iam)

    def cancel(self) -> Any:
        run_id = self.progress.run_id
        return actions.cancel(run_id, self.handle) if run_id and self.progress.run_active else None
