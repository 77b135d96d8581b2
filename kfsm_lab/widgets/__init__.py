"""The control panel (ipywidgets) and the widget-free controller behind it.

``Controller`` never imports ipywidgets, so ``from kfsm_lab.widgets import Controller`` works headless;
``panel`` loads ipywidgets only when called for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .controller import ACTIONS, FIELDS, ActionUnavailable, Controller, ErrorInfo, Event

if TYPE_CHECKING:
    from ..config import Settings
    from .panel import Panel

__all__ = ["ACTIONS", "FIELDS", "ActionUnavailable", "Controller", "ErrorInfo", "Event", "Panel", "panel"]


def panel(settings: Settings | None = None, lang: str = "en", controller: Controller | None = None) -> Panel:
    """The ipywidgets panel over a :class:`Controller`; see :mod:`kfsm_lab.widgets.panel`."""
    from .panel import panel as _panel

    return _panel(settings=settings, lang=lang, controller=controller)


def __getattr__(name: str) -> Any:
    if name == "Panel":
        from .panel import Panel

        return Panel
    raise AttributeError(f"module 'kfsm_lab.widgets' has no attribute {name!r}")
