"""CSV the way SageMaker k-means reads it: one row per line, ``%g``, no header, no label."""

from __future__ import annotations

import io

import numpy as np

CONTENT_TYPE = "text/csv"


def to_csv(array: np.ndarray) -> str:
    """Rows as ``%g`` CSV lines (what the workshop's ``np2csv`` writes), no trailing newline."""
    arr = np.atleast_2d(np.asarray(array))
    buf = io.StringIO()
    np.savetxt(buf, arr, delimiter=",", fmt="%g")
    return buf.getvalue().rstrip("\n")


def from_csv(text: str | bytes, width: int | None = None) -> np.ndarray:
    """Parse CSV rows into float32 ``[n, d]``; ValueError names the first bad line."""
    if isinstance(text, bytes):
        text = text.decode()
    lines = [ln for ln in text.replace("\r\n", "\n").split("\n") if ln.strip()]
    if not lines:
        return np.zeros((0, width or 0), dtype=np.float32)
    try:
        arr = np.loadtxt(lines, delimiter=",", dtype=np.float32, ndmin=2)
    except ValueError as exc:
        for i, ln in enumerate(lines, 1):
            try:
                np.array(ln.split(","), dtype=np.float32)
            except ValueError:
                raise ValueError(f"line {i} is not comma-separated numbers: {ln[:60]!r}") from None
        raise ValueError(f"rows have different widths: {exc}") from None
    if width is not None and arr.shape[1] != width:
        raise ValueError(f"rows have {arr.shape[1]} values; expected {width}")
    return arr
