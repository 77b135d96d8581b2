"""What the kit's actions did on this machine, kept in the state folder so every view agrees.

Run records (``runs/<id>.json``) say what each pipeline run did; the journal adds the rest: the last
setup, prediction and clean-up per target and region, written by the call that did it — a notebook
cell, a panel button or the CLI all go through the same functions. The panel reads it to show what
the cells did, and the cells' next calls see what the panel did. Names and counts only, no secret.

The newest report object of each kind is also kept in memory, so a panel in the same kernel can draw
a prediction a cell made without asking the endpoint again.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from .state import read_json, state_dir, write_json

KINDS: tuple[str, ...] = ("setup", "predict", "cleanup")
FILE_NAME = "journal.json"

_lock = threading.Lock()
_objects: dict[tuple[str, str, str], tuple[float, Any]] = {}


def path() -> Path:
    return state_dir() / FILE_NAME


def _scope(target: str, region: str) -> str:
    return f"{target}/{region}"


def record(kind: str, settings: Any, report: Any = None, **data: Any) -> dict[str, Any]:
    """Write what a ``kind`` action just did for the settings' target and region; returns the entry."""
    if kind not in KINDS:
        raise ValueError(f"unknown journal kind {kind!r}")
    entry = {"kind": kind, "at": time.time(), "target": settings.target, "region": settings.region, **data}
    with _lock:
        book = read_json(path())
        book = book if isinstance(book, dict) else {}
        book.setdefault(_scope(settings.target, settings.region), {})[kind] = entry
        write_json(path(), book)
        if report is not None:
            _objects[(kind, settings.target, settings.region)] = (entry["at"], report)
    return entry


def entries(target: str, region: str) -> dict[str, dict[str, Any]]:
    """The newest entry of each kind for a target and region (kinds never recorded are absent)."""
    book = read_json(path())
    scope = book.get(_scope(target, region)) if isinstance(book, dict) else None
    return {k: v for k, v in (scope or {}).items() if k in KINDS and isinstance(v, dict)}


def report_for(entry: dict[str, Any] | None) -> Any:
    """The in-memory report behind ``entry`` when this process made it, else None."""
    if not entry:
        return None
    found = _objects.get((entry["kind"], entry["target"], entry["region"]))
    return found[1] if found is not None and found[0] == entry.get("at") else None


def forget(target: str | None = None) -> None:
    """Drop the entries (of one target, or all): for tests and for a fresh start."""
    with _lock:
        if target is None:
            path().unlink(missing_ok=True)
            _objects.clear()
            return
        book = read_json(path())
        if isinstance(book, dict):
            write_json(path(), {k: v for k, v in book.items() if not k.startswith(f"{target}/")})
