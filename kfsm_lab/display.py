"""Small HTML tables for notebooks: reports render as tables instead of reprs.

Headers, titles and status words are the kit's own words, so they are shown in the kit's language
(:func:`kfsm_lab.i18n.resolve`); the details (names, ARNs, messages) are shown as they are. Colours
come from JupyterLab's theme variables (with light-theme fallbacks outside JupyterLab): the status
text keeps the theme's text colour, and a coloured bar beside it carries the state, so the table
reads in light and dark themes alike.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from .i18n import has, resolve, t

_GOOD = "var(--jp-success-color1, #2e7d32)"
_BAD = "var(--jp-error-color1, #c62828)"
_WARN = "var(--jp-warn-color1, #ef6c00)"
_INFO = "var(--jp-brand-color1, #1565c0)"
_QUIET = "var(--jp-border-color1, #bdbdbd)"
COLOURS = {"pass": _GOOD, "created": _GOOD, "deleted": _GOOD, "stopped": _GOOD, "succeeded": _GOOD,
           "already there": _QUIET, "skip": _QUIET, "skipped": _QUIET, "warn": _WARN, "updated": _INFO,
           "fail": _BAD, "failed": _BAD, "Failed": _BAD, "SUCCEEDED": _GOOD, "FAILED": _BAD, "canceled": _WARN}


def word(value: object, lang: str | None = None) -> str:
    """A status word in the kit's language (other values unchanged)."""
    text = "" if value is None else str(value)
    for key in (f"word.{text}", f"state.{text}"):
        if has(key):
            return t(lang, key)
    return text


def what(name: str, lang: str | None = None) -> str:
    """A setup or clean-up step's name in the kit's language ("data: train" keeps the part after the colon)."""
    head, sep, rest = name.partition(": ")
    key = f"what.{head}"
    return (t(lang, key) if has(key) else head) + sep + rest


def columns(text: str) -> int:
    """How many terminal columns ``text`` takes (CJK characters take two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (at least one space after it)."""
    return text + " " * max(1, width - columns(text))


def header(name: str, lang: str | None = None) -> str:
    key = "col." + name.lower().replace(" ", "_")
    return t(lang, key) if has(key) else name


def title_of(name: str, lang: str | None = None) -> str:
    key = f"title.{name.lower()}"
    return t(lang, key) if has(key) else name


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], title: str | None = None,
          status_col: int | None = None, lang: str | None = None) -> str:
    """An HTML table; the ``status_col`` cell is a status word, marked by a coloured bar."""
    lang = resolve(lang, lab=True)
    out = []
    if title:
        out.append(f"<b>{html.escape(title_of(title, lang))}</b>")
    out.append('<table class="kfsm-table" style="border-collapse:collapse;font-size:90%">')
    out.append("<tr>" + "".join(f'<th style="text-align:left;padding:2px 8px">{html.escape(header(h, lang))}</th>'
                                  for h in headers) + "</tr>")
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            style = "padding:2px 8px;text-align:left;vertical-align:top"
            text = "" if v is None else str(v)
            if i == status_col:
                colour = COLOURS.get(text, COLOURS.get(text.split()[0] if text else "", _QUIET))
                style += f";font-weight:bold;border-left:4px solid {colour}"
                text = word(text, lang)
            cells.append(f'<td style="{style}">{html.escape(text)}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)
