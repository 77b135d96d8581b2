"""The ipywidgets panel: stock widgets over a :class:`Controller`, nothing else.

The panel owns no logic: it forwards typing and clicks to the controller and mirrors the controller's
state (enabled buttons, status, errors, reports) on every controller event. Events can arrive on the
controller's worker thread, so everything here only sets widget traits or replaces an Output's
``outputs`` (see :mod:`.render`) and never uses ``with out:``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..errors import KfsmError
from . import render
from .controller import ACTIONS, Controller, ErrorInfo, Event

if TYPE_CHECKING:
    from ..config import Settings

log = logging.getLogger("kfsm_lab.widgets")

_STYLE = {"description_width": "initial"}
_ICONS = {"check": "stethoscope", "setup": "wrench", "run_pipeline": "play", "predict": "eye",
          "cleanup": "trash", "cancel": "stop"}
_BUTTON_STYLE = {"setup": "primary", "run_pipeline": "primary", "predict": "success", "cleanup": "warning",
                 "cancel": "danger"}


def _region_options(current: str) -> list[str]:
    from ..validation import sagemaker_regions

    regions = sorted(sagemaker_regions())
    return regions if current in regions else [current, *regions]


class Panel:
    """The widget tree (``.widget``) bound to a controller (``.controller``)."""

    def __init__(self, controller: Controller) -> None:
        self.controller = c = controller
        fields = c.fields
        full = w.Layout(width="100%")
        self.title = w.HTML(f"<h3 style='margin:4px 0'>{c.t('title')}</h3>")
        self.target = w.Dropdown(options=[(c.t("target.local"), "local"), (c.t("target.aws"), "aws")],
                                 value=fields["target"] if fields["target"] in ("local", "aws") else "local",
                                 description=c.t("field.target"), style=_STYLE)
        self.region = w.Dropdown(options=_region_options(fields["region"]), value=fields["region"],
                                 description=c.t("field.region"), style=_STYLE)
        self.role_arn = w.Text(value=fields["role_arn"], placeholder=c.t("placeholder.role_arn"),
                               description=c.t("field.role_arn"), layout=full, style=_STYLE)
        self.role_help = w.HTML(f"<small style='color:#555'>{c.t('help.role_arn')}</small>")
        self.bucket = w.Text(value=fields["bucket"], placeholder=c.t("placeholder.bucket"),
                             description=c.t("field.bucket"), layout=full, style=_STYLE)
        self.inputs: dict[str, w.ValueWidget] = {"target": self.target, "region": self.region,
                                                 "role_arn": self.role_arn, "bucket": self.bucket}
        self.messages: dict[str, w.HTML] = {name: w.HTML() for name in self.inputs}
        self.buttons: dict[str, w.Button] = {
            a: w.Button(description=c.label(a), tooltip=c.t(f"tooltip.{a}"), icon=_ICONS[a],
                        button_style=_BUTTON_STYLE.get(a, ""), layout=w.Layout(width="auto"))
            for a in ACTIONS}
        self.include_bucket = w.Checkbox(value=False, description=c.t("cleanup.include_bucket"), indent=False,
                                         layout=w.Layout(width="auto"))
        self.include_iam = w.Checkbox(value=False, description=c.t("cleanup.include_iam"), indent=False,
                                      layout=w.Layout(width="auto"))
        self.progress = w.IntProgress(value=0, min=0, max=4, description=c.t("progress.description"),
                                      style=_STYLE, layout=w.Layout(visibility="hidden"))
        self.status = w.HTML()
        self.error = w.HTML()
        self.report = w.HTML()
        self.progress_out = w.Output()
        self.results_out = w.Output()
        self._click_error: ErrorInfo | None = None
        self._syncing = False
        self._progress_fig: Any = None

        self.widget = w.VBox([
            self.title,
            w.HBox([self.target, self.region]), self.messages["target"], self.messages["region"],
            self.role_arn, self.role_help, self.messages["role_arn"],
            self.bucket, self.messages["bucket"],
            w.HBox([self.buttons[a] for a in ACTIONS], layout=w.Layout(flex_flow="row wrap")),
            w.HBox([self.include_bucket, self.include_iam]),
            self.progress, self.status, self.error, self.report, self.progress_out, self.results_out,
        ], layout=full)

        for name, widget in self.inputs.items():
            widget.observe(self._field_observer(name), names="value")
        for action, button in self.buttons.items():
            button.on_click(self._click_handler(action))
        c.add_listener(self._on_event)
        for name in self.inputs:  # show messages for values that came in bad (e.g. from KFSM_* variables)
            self.messages[name].value = render.field_message(c.validate_field(name, fields[name]))
        self.refresh()

    # -- user input -------------------------------------------------------------------------------
    def _field_observer(self, name: str) -> Any:
        def on_change(change: dict[str, Any]) -> None:
            if self._syncing:
                return
            message = self.controller.set_field(name, change["new"])
            self.messages[name].value = render.field_message(message)
            self.refresh()

        return on_change

    def _click_handler(self, action: str) -> Any:
        def on_click(_button: w.Button) -> None:
            self._click_error = None
            kwargs: dict[str, Any] = {}
            if action == "cleanup":
                kwargs = {"include_bucket": self.include_bucket.value, "include_iam": self.include_iam.value}
            try:
                self.controller.start(action, **kwargs)
            except KfsmError as exc:
                self._click_error = ErrorInfo(action, exc.message, exc.hint, type(exc).__name__)
            self.refresh()

        return on_click

    # -- controller events (any thread) -----------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        handler = getattr(self, f"_on_{event.kind}", None)
        if handler is not None:
            handler(event)
        self.refresh()

    def _on_field(self, event: Event) -> None:
        name, value = event.data["name"], event.data["value"]
        widget = self.inputs.get(name)
        if widget is not None and widget.value != value:
            self._syncing = True  # the controller changed it (setup adopted a role/bucket)
            try:
                widget.value = value
            finally:
                self._syncing = False
        if name in self.messages:
            self.messages[name].value = render.field_message(event.data.get("error"))

    def _on_started(self, event: Event) -> None:
        self._click_error = None
        self.report.value = ""
        if event.action == "run_pipeline":
            self.progress.value = 0
            self.progress.bar_style = ""
            self.progress.layout.visibility = "visible"
            render.clear(self.progress_out)
            render.clear(self.results_out)
        elif event.action == "predict":
            render.clear(self.results_out)

    def _on_progress(self, event: Event) -> None:
        handle = event.data
        steps = handle.steps
        self.progress.max = len(steps)
        self.progress.value = sum(1 for s in steps if s["state"] == "succeeded")
        self.progress.description = self.controller.t("result.run_steps", done=self.progress.value,
                                                      total=len(steps))
        self.report.value = handle._repr_html_()
        self._draw_progress(handle)

    def _draw_progress(self, handle: Any) -> None:
        """Redraw the monitor's progress figure (one Figure, reused) into the progress Output."""
        from ..monitor import progress_figure

        self._progress_fig = progress_figure(handle.to_dict(), fig=self._progress_fig)
        render.show_figures(self.progress_out, [("progress", self._progress_fig)])

    def _on_finished(self, event: Event) -> None:
        result = event.data
        if event.action == "run_pipeline":
            self._on_progress(event)
            self.progress.bar_style = "success"
            return
        self.report.value = render.report_html(result)
        if event.action == "predict":
            render.show_figures(self.results_out, list(result.figures().items()))

    def _on_failed(self, event: Event) -> None:
        if event.action == "run_pipeline":
            self.progress.bar_style = "danger"
            handle = self.controller.handle
            if handle is not None:
                self.report.value = handle._repr_html_()
                self._draw_progress(handle)

    # -- mirror the controller --------------------------------------------------------------------
    def refresh(self) -> None:
        """Set every button's ``disabled``, the status line and the error box from the controller."""
        c = self.controller
        for action, button in self.buttons.items():
            reason = c.why_not(action)
            button.disabled = reason is not None
            button.tooltip = reason or c.t(f"tooltip.{action}")
        for widget in (*self.inputs.values(), self.include_bucket, self.include_iam):
            widget.disabled = c.busy
        self.status.value = render.status_line(c.status, c.busy)
        err = self._click_error or c.last_error
        self.error.value = render.error_box(err, c.t("error.title", action=c.label(err.action)), c.t("error.hint"),
                                            c.t("error.traceback")) if err else ""

    def close(self) -> None:
        """Detach from the controller and close the widgets."""
        self.controller.remove_listener(self._on_event)

        def close_tree(widget: w.Widget) -> None:
            for child in getattr(widget, "children", ()):
                close_tree(child)
            widget.close()

        close_tree(self.widget)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def panel(settings: Settings | None = None, lang: str = "en", controller: Controller | None = None) -> Panel:
    """Build the panel for ``settings`` (default: resolved from ``KFSM_*``) in ``lang`` ("en" or "ja")."""
    return Panel(controller or Controller(settings, lang=lang))
