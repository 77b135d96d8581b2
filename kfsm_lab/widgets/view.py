"""The panel: stock ipywidgets (buttons, checkboxes, Outputs) plus two accessible views, over a Controller.

The panel owns no logic. It forwards typing and clicks to the controller and draws every part —
fields, buttons, status line, error box, step bar, figures — from the controller's one picture
(:class:`~.snapshot.Progress`) on each event, whichever thread it arrives on, so the parts always
agree with each other and with what the notebook cells did.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..errors import KfsmError
from . import render, rules
from .components import Field, Notice
from .controller import ACTIONS, Controller, ErrorInfo, Event
from .fields import FIELDS
from .snapshot import GONE, Progress

if TYPE_CHECKING:
    from ..config import Settings

log = logging.getLogger("kfsm_lab.widgets")

LOG_LINES = 40
FIGURE_EVERY = 1.0  # s between redraws of a running run's figure (a redraw costs ~0.1 s of CPU)


def _region_options(current: str) -> list[list[str]]:
    from ..validation import sagemaker_regions

    regions = sorted(sagemaker_regions())
    return [[r, r] for r in (regions if current in regions else [current, *regions])]


def _tail(path: str | None, n: int = LOG_LINES) -> str:
    if not path:
        return ""
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


class Panel:
    """The widget tree (``.widget``) bound to a controller (``.controller``)."""

    def __init__(self, controller: Controller) -> None:
        self.controller = c = controller
        self._lock = threading.RLock()
        values = c.fields
        self.title = w.HTML(f'<h3 class="kfsm-title">{render.esc(c.t("title"))}</h3>')
        self.target = Field(name="target", kind="select", label=c.t("field.target"), value=values["target"],
                            options=[[c.t("target.local"), "local"], [c.t("target.aws"), "aws"]])
        self.region = Field(name="region", kind="select", label=c.t("field.region"), value=values["region"],
                            options=_region_options(values["region"]))
        self.role_arn = Field(name="role_arn", label=c.t("field.role_arn"), value=values["role_arn"],
                              placeholder=c.t("placeholder.role_arn"), help=c.t("help.role_arn"))
        self.bucket = Field(name="bucket", label=c.t("field.bucket"), value=values["bucket"],
                            placeholder=c.t("placeholder.bucket"), help=c.t("help.bucket"))
        self.inputs: dict[str, Field] = {"target": self.target, "region": self.region, "role_arn": self.role_arn,
                                         "bucket": self.bucket}
        self.buttons: dict[str, w.Button] = {
            a: w.Button(description=c.label(a), tooltip=c.t(f"tooltip.{a}"), layout=w.Layout(width="auto"))
            for a in ACTIONS}
        for b in self.buttons.values():
            b.add_class("kfsm-button")
        self.include_bucket = w.Checkbox(value=False, description=c.t("cleanup.include_bucket"), indent=False,
                                         layout=w.Layout(width="auto"))
        self.include_iam = w.Checkbox(value=False, description=c.t("cleanup.include_iam"), indent=False,
                                      layout=w.Layout(width="auto"))
        cleanup_group = w.HBox([self.buttons["cleanup"], self.include_bucket, self.include_iam])
        cleanup_group.add_class("kfsm-cleanup")
        actions_row = w.HBox([self.buttons[a] for a in ("check", "setup", "run_pipeline", "cancel", "predict")]
                             + [cleanup_group])
        actions_row.add_class("kfsm-actions")
        self.confirm_text = w.HTML()
        self.confirm_yes = w.Button(description=c.t("action.confirm_cleanup"), button_style="danger")
        self.confirm_no = w.Button(description=c.t("action.keep"))
        for b in (self.confirm_yes, self.confirm_no):
            b.add_class("kfsm-button")
        self.confirm = w.HBox([self.confirm_text, self.confirm_yes, self.confirm_no],
                              layout=w.Layout(display="none"))
        self.confirm.add_class("kfsm-confirm")
        self.steps = w.HTML()
        self.steps.add_class("kfsm-steps-box")
        self.notice = Notice(labels=self._labels())
        self.report = w.HTML()
        self.report.add_class("kfsm-report")
        self.progress_out = w.Output()
        self.training_log = w.HTML()
        self.training_log.add_class("kfsm-training-log")
        self.results_out = w.Output()
        self._click_error: ErrorInfo | None = None
        self._syncing = False
        self._fig: Any = None
        self._drawn: tuple[Any, ...] | None = None
        self._drawn_at = 0.0
        self._shown_prediction: float | None = None

        fields_box = w.VBox(list(self.inputs.values()))
        fields_box.add_class("kfsm-fields")
        self.widget = w.VBox([self.title, fields_box, actions_row, self.confirm, self.notice, self.steps,
                              self.report, self.progress_out, self.training_log, self.results_out],
                             layout=w.Layout(width="100%"))
        self.widget.add_class("kfsm-panel")

        for name, widget in self.inputs.items():
            widget.observe(self._field_observer(name), names="value")
        for action, button in self.buttons.items():
            button.on_click(self._click_handler(action))
        self.confirm_yes.on_click(lambda _b: self._confirmed(True))
        self.confirm_no.on_click(lambda _b: self._confirmed(False))
        self.notice.on_fix(self._on_fix)
        c.add_listener(self._on_event)
        self.refresh()

    def _labels(self) -> dict[str, str]:
        c = self.controller
        return {"hint": c.t("error.hint"), "traceback": c.t("error.traceback"), "show_log": c.t("action.open_log"),
                "hide_log": c.t("action.hide_log"), "dismiss": c.t("action.dismiss"),
                "log_empty": c.t("error.log_empty"), "log_title": c.t("action.open_log")}

    # -- user input -------------------------------------------------------------------------------
    def _field_observer(self, name: str) -> Any:
        def on_change(change: dict[str, Any]) -> None:
            if self._syncing:
                return
            self._click_error = None
            self.controller.set_field(name, change["new"])

        return on_change

    def _click_handler(self, action: str) -> Any:
        def on_click(_button: w.Button) -> None:
            self._click_error = None
            if action == "cleanup":
                reason = self.controller.why_not("cleanup")
                if reason is None:
                    self._ask_cleanup()
                    return
            self._start(action)

        return on_click

    def _start(self, action: str, **kwargs: Any) -> None:
        try:
            self.controller.start(action, **kwargs)
        except KfsmError as exc:
            self._click_error = ErrorInfo(action, exc.message, exc.hint, type(exc).__name__)
            self.refresh()

    def _ask_cleanup(self) -> None:
        c = self.controller
        extra = ""
        if self.include_bucket.value:
            extra += c.t("cleanup.confirm_bucket", bucket=c.fields["bucket"] or "?")
        if self.include_iam.value:
            extra += c.t("cleanup.confirm_iam")
        self.confirm_text.value = render.esc(c.t("cleanup.confirm", extra=extra))
        self.confirm.layout.display = "flex"
        self.confirm_no.focus()  # Enter keeps everything: deleting takes a deliberate move

    def _confirmed(self, yes: bool) -> None:
        self.confirm.layout.display = "none"
        if yes:
            self._start("cleanup", include_bucket=self.include_bucket.value, include_iam=self.include_iam.value)
        else:
            self.buttons["cleanup"].focus()

    def _on_fix(self, fix: str) -> None:
        if fix == "dismiss":
            self._click_error = None
            self.controller.dismiss_error()
        elif fix in ACTIONS:
            self._click_error = None
            self._start(fix)
        self.refresh()

    # -- controller events (any thread) -----------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if event.kind == "field":
            self._sync_field(event.data)
        elif event.kind == "finished":
            self._show_result(event.action, event.data)
        self.refresh()

    def _sync_field(self, data: dict[str, Any]) -> None:
        widget = self.inputs.get(data["name"])
        if widget is not None and widget.value != data["value"]:
            self._syncing = True  # the controller changed it (a setup adopted a role or bucket)
            try:
                widget.value = data["value"]
            finally:
                self._syncing = False

    def _show_result(self, action: str | None, result: Any) -> None:
        if action in ("check", "setup", "cleanup"):
            self.report.value = render.report_html(result)
        elif action == "run_pipeline":
            self.report.value = ""

    # -- mirror the controller --------------------------------------------------------------------
    def refresh(self) -> None:
        """Draw every part from the controller's latest picture."""
        with self._lock:
            c = self.controller
            p = c._live_progress()
            lang = c.lang
            # The slow parts (figures) first, then every small trait in a burst: the views change together.
            try:
                self._draw_run(p)
                self._draw_prediction(p)
            except Exception:  # a figure that cannot be drawn must never leave the buttons stale
                log.exception("drawing the run or the predictions failed")
            for name, widget in self.inputs.items():
                widget.message = p.field_errors.get(name) or ""
                widget.disabled = p.busy is not None or p.run_active or p.cell_running
            nxt = rules.next_step(p)
            for action, button in self.buttons.items():
                reason = rules.why_not(action, p, lang)
                button.disabled = reason is not None
                button.tooltip = reason or c.t(f"tooltip.{action}")
                style = "primary" if action == nxt and reason is None else ""
                if action == "cancel" and reason is None:
                    style = "danger"
                if button.button_style != style:
                    button.button_style = style
            off = rules.why_not("cleanup", p, lang) is not None
            for box in (self.include_bucket, self.include_iam):
                box.disabled = off
            err = self._click_error or c.error
            self.notice.status = c.status
            self.notice.busy = p.busy is not None or p.run_active
            self.notice.error = self._error_dict(err) if err else {}

    def _error_dict(self, err: ErrorInfo) -> dict[str, Any]:
        c = self.controller
        title = c.t("error.settings") if err.action == "settings" else c.t("error.title", action=c.label(err.action))
        out: dict[str, Any] = {"title": title, "message": err.message, "hint": err.hint,
                               "fixes": [[f, c.t(f"fix.{f}")] for f in err.fixes], "traceback": err.traceback}
        if err.log_path:
            out["log"] = _tail(err.log_path)
        return out

    def _draw_run(self, p: Progress) -> None:
        c = self.controller
        if p.run is None:
            self.steps.value = ""
            return
        steps = p.steps
        cur = p.current_step()
        gone = p.endpoint_status == GONE
        states = [rules.state_word(s.get("state"), c.lang)
                  + (f" · {s['job_status']}" if s.get("job_status") else "") for s in steps]
        bar = render.step_bar(steps, [rules.step_label(s, c.lang) for s in steps], states,
                              cur[0] if cur else None, c.t("progress.label"))
        try:
            self._draw_figure(p, gone)
        finally:
            self.steps.value = bar  # after the figure, so the bar and the figure change together

    def _draw_figure(self, p: Progress, gone: bool) -> None:
        import time

        c = self.controller
        steps = p.steps
        key = (p.run_id, p.run_state, gone, tuple((s.get("state"), s.get("job_status"), s.get("secondary_status"),
                                                   len(s.get("logs") or [])) for s in steps), c.lang)
        now = time.monotonic()
        changed = key != self._drawn
        if not changed and not (p.run_active and now - self._drawn_at >= 5 * FIGURE_EVERY):
            return  # nothing new (a running run still gets its "now" line moved every few seconds)
        if p.run_active and now - self._drawn_at < FIGURE_EVERY and self._drawn and self._drawn[0] == p.run_id:
            return  # at most one redraw a second while it runs; the next read draws the change
        self._drawn, self._drawn_at = key, now
        from ..monitor.figure import metric_line, progress_alt, progress_figure, training_log

        run = dict(p.run)
        self._fig = progress_figure(run, fig=self._fig, lang=c.lang, endpoint_gone=gone)
        render.show(self.progress_out, [render.figure_output(self._fig, "progress",
                                                              progress_alt(run, c.lang, endpoint_gone=gone))])
        lines = training_log(run)
        metric = metric_line(run, c.lang)
        self.training_log.value = ((f'<p class="kfsm-metric">{render.esc(metric)}</p>' if metric else "")
                                   + (f'<details><summary>{render.esc(c.t("training_log.title"))}</summary>'
                                      f'<pre tabindex="0">{render.esc(chr(10).join(lines))}</pre></details>'
                                      if lines else ""))

    def _draw_prediction(self, p: Progress) -> None:
        from .. import journal

        entry = p.prediction
        if entry is None or entry.get("at") == self._shown_prediction:
            return
        report = journal.report_for(dict(entry))
        if report is None:
            return
        self._shown_prediction = entry.get("at")
        lang = self.controller.lang
        outputs = [render.html_output(report.html(lang))]
        figures = report.figures_with_alt(lang=lang)
        outputs += [render.figure_output(fig, name, alt) for name, (fig, alt) in figures.items()]
        render.show(self.results_out, outputs)

    def close(self) -> None:
        """Detach from the controller, stop its polling, and close the widgets."""
        self.controller.remove_listener(self._on_event)
        self.controller.close()

        def close_tree(widget: w.Widget) -> None:
            for child in getattr(widget, "children", ()):
                close_tree(child)
            widget.close()

        close_tree(self.widget)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def panel(settings: Settings | None = None, lang: str | None = None, controller: Controller | None = None,
          watch: bool = True, pipeline: Any = None) -> Panel:
    """Build the panel for ``settings`` (default: resolved from ``KFSM_*``) in ``lang`` ("en" or "ja").

    ``watch`` keeps it current by re-reading the shared state every ``poll_interval`` seconds.
    """
    ctl = controller or Controller(settings, lang=lang, pipeline=pipeline)
    p = Panel(ctl)
    if watch:
        ctl.watch()
    return p


__all__ = ["FIELDS", "Panel", "panel"]
