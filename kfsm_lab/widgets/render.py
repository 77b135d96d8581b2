"""HTML snippets and Output contents for the panel, safe to build and set from a worker thread.

Figures become ``display_data`` dicts with their PNG rendered here (``Figure.savefig``), and an
Output's content is replaced by assigning its ``outputs`` trait once. That is a plain trait change,
which ipywidgets syncs from any thread — unlike ``with out:`` or ``Output.clear_output`` (which enters
``with self:`` internally) whose messages are routed by the kernel's *current cell* and land in the
wrong place from a background thread (ipywidgets#2358, #4020). One assignment also means no flicker.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .controller import ErrorInfo

def _esc(text: str) -> str:
    """Escape for element content (quotes stay readable: nothing here goes into an attribute)."""
    return html.escape(text, quote=False)


_BOX = "border:1px solid {border};background:{bg};border-radius:4px;padding:6px 10px;margin:4px 0"


def figure_output(fig: Figure, name: str | None = None, dpi: int = 80) -> dict[str, Any]:
    """A ``display_data`` output holding ``fig`` as PNG (and a text fallback); closes nothing."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    w, h = fig.get_size_inches()
    meta: dict[str, Any] = {"kfsm-lab": {"figure": name}} if name else {}
    return {"output_type": "display_data",
            "data": {"image/png": base64.b64encode(buf.getvalue()).decode("ascii"),
                     "text/plain": f"<Figure size {w * dpi:.0f}x{h * dpi:.0f}{' ' + name if name else ''}>"},
            "metadata": meta}


def show_figures(out: Any, figures: Iterable[tuple[str | None, Figure]]) -> None:
    """Replace everything in the Output ``out`` with ``figures`` in one trait change."""
    out.outputs = tuple(figure_output(fig, name) for name, fig in figures)


def clear(out: Any) -> None:
    out.outputs = ()


def error_box(err: ErrorInfo, title: str, hint_label: str, traceback_label: str = "Traceback") -> str:
    """The red box an action's failure is shown in: what failed, the message, what to do (and, for a
    bug, the traceback folded away)."""
    hint = (f'<div style="margin-top:4px"><b>{_esc(hint_label)}:</b> {_esc(err.hint)}</div>'
            if err.hint else "")
    if err.traceback:
        hint += (f"<details><summary>{_esc(traceback_label)}</summary>"
                 f'<pre style="font-size:80%">{_esc(err.traceback)}</pre></details>')
    return (f'<div class="kfsm-error" style="{_BOX.format(border="#c62828", bg="#fdecea")}">'
            f'<b style="color:#c62828">{_esc(title)}</b> '
            f'<span style="color:#777">({_esc(err.kind)})</span>'
            f'<div style="white-space:pre-wrap">{_esc(err.message)}</div>{hint}</div>')


def field_message(message: str | None) -> str:
    """The line under a field: empty when valid, the message in red otherwise."""
    if not message:
        return ""
    return f'<div class="kfsm-invalid" style="color:#c62828;font-size:90%">{_esc(message)}</div>'


def status_line(text: str, busy: bool = False) -> str:
    mark = "⏳ " if busy else ""
    return f'<div class="kfsm-status" style="margin:4px 0">{mark}{_esc(text)}</div>'


def report_html(result: Any) -> str:
    """A report's own HTML table when it has one, else its text as preformatted lines."""
    if result is None:
        return ""
    rich = getattr(result, "_repr_html_", None)
    if callable(rich):
        return str(rich())
    text = result.text() if hasattr(result, "text") else str(result)
    return f'<pre style="font-size:85%;margin:4px 0">{_esc(text)}</pre>'
