"""The control panel (ipywidgets) and the widget-free controller behind it.

``Controller`` never imports ipywidgets, so ``from kfsm_lab.widgets import Controller`` works headless;
``panel`` loads ipywidgets only when called for. :func:`show` is what a notebook calls: it displays
the panel in an interactive kernel and does nothing under papermill.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .controller import ACTIONS, FIELDS, ActionUnavailable, Controller, ErrorInfo, Event

if TYPE_CHECKING:
    from ..config import Settings
    from .view import Panel

__all__ = ["ACTIONS", "FIELDS", "ActionUnavailable", "Controller", "ErrorInfo", "Event", "Panel", "Shown",
           "interactive_kernel", "panel", "show"]


def panel(settings: Settings | None = None, lang: str | None = None, controller: Controller | None = None,
          watch: bool = True, pipeline: Any = None) -> Panel:
    """The ipywidgets panel over a :class:`Controller`; see :mod:`kfsm_lab.widgets.view`."""
    from .view import panel as _panel

    return _panel(settings=settings, lang=lang, controller=controller, watch=watch, pipeline=pipeline)


def interactive_kernel() -> bool:
    """True inside a kernel whose current cell came from a person's frontend (JupyterLab, VS Code).

    Headless executors (papermill, nbclient, ``kfsm-lab run``) send their cells with ``allow_stdin``
    off, as there is nobody to type an answer — nor to click a button.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    return kernel is not None and bool(getattr(kernel, "_allow_stdin", False))


class Shown:
    """What :func:`show` returns in an interactive kernel: the panel, already on screen.

    Displaying it again shows nothing, so ``display(kl.panel(...))`` and a bare ``kl.panel(...)`` as a
    cell's last line both show the panel exactly once.
    """

    def __init__(self, panel: Panel) -> None:
        self.panel = panel

    def _ipython_display_(self) -> None:
        return None

    def __repr__(self) -> str:
        return "<kfsm_lab panel (shown above)>"


def show(settings: Settings | None = None, lang: str | None = None, pipeline: Any = None) -> Shown | None:
    """Display the panel when a person is at the notebook; under papermill do nothing and return None."""
    if not interactive_kernel():
        return None
    from IPython import get_ipython
    from IPython.display import display

    p = panel(settings, lang=lang, pipeline=pipeline)
    p.controller.follow_cells(get_ipython())
    display(p)
    return Shown(p)


def __getattr__(name: str) -> Any:
    if name == "Panel":
        from .view import Panel

        return Panel
    raise AttributeError(f"module 'kfsm_lab.widgets' has no attribute {name!r}")
