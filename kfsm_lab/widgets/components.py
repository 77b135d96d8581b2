"""Two small custom views (anywidget) where stock ipywidgets cannot be accessible enough.

:class:`Field` is a label, an input or select, its validation message and help, with ``aria-invalid``
and ``aria-describedby`` on the input. :class:`Notice` is the status line (a polite live region) and
the error box (an alert whose fixes are buttons; a click arrives as :attr:`Notice.on_fix`). Their
JavaScript and the panel's stylesheet are in ``static/``; everything else stays stock ipywidgets.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import traitlets

STATIC = Path(__file__).with_name("static")


class Field(anywidget.AnyWidget):
    _esm = STATIC / "field.js"
    name = traitlets.Unicode().tag(sync=True)
    kind = traitlets.Unicode("text").tag(sync=True)  # text | select
    label = traitlets.Unicode().tag(sync=True)
    value = traitlets.Unicode().tag(sync=True)
    options = traitlets.List().tag(sync=True)  # [[text, value], …] for a select
    placeholder = traitlets.Unicode().tag(sync=True)
    help = traitlets.Unicode().tag(sync=True)
    message = traitlets.Unicode().tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)


class Notice(anywidget.AnyWidget):
    _esm = STATIC / "notice.js"
    _css = STATIC / "panel.css"  # the whole panel's stylesheet travels with this one view
    status = traitlets.Unicode().tag(sync=True)
    busy = traitlets.Bool(False).tag(sync=True)
    error = traitlets.Dict().tag(sync=True)  # {} or {title, message, hint, fixes: [[fix, label]], log, traceback}
    labels = traitlets.Dict().tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fix_handlers: list[Callable[[str], None]] = []
        self.on_msg(self._on_message)

    def on_fix(self, handler: Callable[[str], None]) -> None:
        self._fix_handlers.append(handler)

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and isinstance(content.get("fix"), str):
            self.click(content["fix"])

    def click(self, fix: str) -> None:
        """What a click on a fix button does (tests call it directly)."""
        for handler in list(self._fix_handlers):
            handler(fix)
