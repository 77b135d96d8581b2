"""HTML snippets and Output contents for the panel, safe to build and set from a worker thread.

Figures become ``display_data`` dicts: an ``<img>`` with alt text that scales to the width it is
given (``text/html``), and the PNG itself for headless runs that save figures. An Output's content
is replaced by assigning its ``outputs`` trait once: a plain trait change that ipywidgets syncs from
any thread — unlike ``with out:`` or ``clear_output`` whose messages are routed by the kernel's
*current cell* and land in the wrong place from a background thread (ipywidgets#2358, #4020).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Pixels per inch as the figure is shown, and the density it is rendered at (crisp on HiDPI screens).
CSS_DPI = 100
RENDER_DPI = 150


def esc(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def figure_output(fig: Figure, name: str | None = None, alt: str = "") -> dict[str, Any]:
    """A ``display_data`` output holding ``fig``: a responsive ``<img>`` with ``alt``, and the PNG."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=RENDER_DPI)
    png = base64.b64encode(buf.getvalue()).decode("ascii")
    w, h = fig.get_size_inches()
    width, height = round(w * CSS_DPI), round(h * CSS_DPI)
    meta: dict[str, Any] = {"kfsm-lab": {"figure": name}} if name else {}
    meta["image/png"] = {"width": width, "height": height}
    img = (f'<figure class="kfsm-figure" style="margin:0"><img src="data:image/png;base64,{png}" alt="{esc(alt)}" '
           f'width="{width}" height="{height}" style="max-width:100%;height:auto"></figure>')
    return {"output_type": "display_data",
            "data": {"text/html": img, "image/png": png, "text/plain": alt or f"<Figure {width}x{height}>"},
            "metadata": meta}


def html_output(markup: str) -> dict[str, Any]:
    return {"output_type": "display_data", "data": {"text/html": markup, "text/plain": ""}, "metadata": {}}


def show(out: Any, outputs: Iterable[dict[str, Any]]) -> None:
    """Replace everything in the Output ``out`` in one trait change."""
    out.outputs = tuple(outputs)


def clear(out: Any) -> None:
    out.outputs = ()


def step_bar(steps: Sequence[Any], labels: Sequence[str], states: Sequence[str], current: int | None,
             title: str) -> str:
    """One segment per step (any number), coloured by state; the current step is marked."""
    items = []
    for i, (st, name, state_text) in enumerate(zip(steps, labels, states, strict=True), start=1):
        cur = "true" if current == i else "false"
        aria = ' aria-current="step"' if current == i else ""
        items.append(f'<li data-step="{esc(st.get("name"))}" data-state="{esc(st.get("state"))}" data-current="{cur}"'
                     f'{aria}>'
                     f'<span class="kfsm-step-bar" aria-hidden="true"></span>'
                     f'<span class="kfsm-step-name">{i}. {esc(name)}</span>'
                     f'<span class="kfsm-step-state">{esc(state_text)}</span></li>')
    return f'<ol class="kfsm-steps" aria-label="{esc(title)}">{"".join(items)}</ol>'


def report_html(result: Any) -> str:
    """A report's own HTML table when it has one, else its text as preformatted lines."""
    if result is None:
        return ""
    rich = getattr(result, "_repr_html_", None)
    if callable(rich):
        return str(rich())
    text = result.text() if hasattr(result, "text") else str(result)
    return f'<pre class="kfsm-log">{esc(text)}</pre>'
