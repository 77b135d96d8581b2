"""Small HTML tables for notebooks: reports render as tables instead of reprs."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

COLOURS = {"pass": "#2e7d32", "created": "#2e7d32", "deleted": "#2e7d32", "stopped": "#2e7d32",
           "already there": "#555", "skip": "#777", "warn": "#ef6c00", "updated": "#1565c0",
           "fail": "#c62828", "Failed": "#c62828", "SUCCEEDED": "#2e7d32", "FAILED": "#c62828"}


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], title: str | None = None,
          status_col: int | None = None) -> str:
    """An HTML table; the ``status_col`` cell is coloured by its value."""
    out = []
    if title:
        out.append(f"<b>{html.escape(title)}</b>")
    out.append('<table style="border-collapse:collapse;font-size:90%">')
    out.append("<tr>" + "".join(f'<th style="text-align:left;padding:2px 8px">{html.escape(h)}</th>'
                                  for h in headers) + "</tr>")
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            text = html.escape("" if v is None else str(v))
            style = "padding:2px 8px;text-align:left"
            if i == status_col:
                colour = COLOURS.get(str(v), COLOURS.get(str(v).split()[0] if str(v) else "", "#000"))
                style += f";color:{colour};font-weight:bold"
            cells.append(f'<td style="{style}">{text}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)
