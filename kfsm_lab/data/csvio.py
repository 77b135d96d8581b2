"""CSV the way SageMaker k-means reads it: one row per line, ``%g``, no header, no label.

Parsing is vectorised. A body of plain numbers under 8 MB (an endpoint request, a transform's record) is
read as one JSON array of rows by simdjson straight into a buffer of doubles: 0.9 ms for 100 × 784 values, where
orjson's list of Python numbers took 2.8 ms (1.7 of them turning 78,400 objects into an array), numpy's
split 10-17 ms and pandas 14 ms (its fixed cost is about 20 µs a column); so is a batch transform's
record of up to 6 MB (half pandas' time). Larger bodies (training channels) go through pandas' C parser,
about ten times faster than ``np.loadtxt`` on 60k × 784 values. Anything odd (a non-number, an empty
field, rows of different widths) falls back to a line-by-line check that names the first bad line.
"""

from __future__ import annotations

import io
import threading

import numpy as np

CONTENT_TYPE = "text/csv"
SMALL = 192 * 1024  # below this many bytes numpy's split beats pandas' fixed cost (about 20 µs a column)
JSON_MAX = 8 * 1024 * 1024  # the JSON reader: 2× pandas' speed at 6 MB (a transform's largest record), 8× at 250 kB
_PLAIN = b"0123456789.,eE+- \t\r\n"  # all a body of %g numbers holds; anything else takes the checked path


def to_csv(array: np.ndarray) -> str:
    """Rows as ``%g`` CSV lines (what the workshop's ``np2csv`` writes), no trailing newline.

    The same text as ``np.savetxt(fmt="%g", delimiter=",")``. Data with few distinct values (pixels: 256)
    is written from a table: each distinct value formatted once, then every cell's bytes gathered at once
    (500 × 784 pixels: 100 → 30 ms); savetxt formats every cell in Python.
    """
    arr = np.atleast_2d(np.asarray(array))
    text = _tabled(arr) if arr.ndim == 2 else None
    if text is not None:
        return text
    buf = io.StringIO()
    np.savetxt(buf, arr, delimiter=",", fmt="%g")
    return buf.getvalue().rstrip("\n")


_TABLE_ROWS = 4096  # rows gathered at once: bounds the (rows, columns, width) byte block to tens of MB


def _distinct(bits: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The sorted distinct values and each value's place among them; None when there are too many for a table.

    The distinct values of a leading sample are looked up first (a binary search per value: 8 ms for
    392,000 pixels, where a full ``np.unique`` sorts them all: 48 ms); only data with values the sample
    missed is sorted.
    """
    most = max(1024, bits.size // 16)
    distinct = np.unique(bits[:65536])
    if len(distinct) <= most:
        index = np.searchsorted(distinct, bits).clip(max=len(distinct) - 1)
        if np.array_equal(distinct[index], bits):
            return distinct, index
    distinct, index = np.unique(bits, return_inverse=True)
    return (distinct, index) if len(distinct) <= most else None


def _tabled(arr: np.ndarray) -> str | None:
    """``to_csv``'s text from a table of the distinct values, or None when a table would not pay.

    Values are told apart by their bits, not by ``==``, so ``-0`` and ``0`` (and NaNs) keep their own text.
    """
    if arr.dtype.kind not in "fiu" or arr.dtype.itemsize not in (1, 2, 4, 8) or not arr.size or not arr.shape[1]:
        return None
    bits = np.ascontiguousarray(arr).view(f"u{arr.dtype.itemsize}").ravel()
    found = _distinct(bits)
    if found is None:
        return None
    distinct, index = found
    words = [b"%g" % v for v in distinct.view(arr.dtype).tolist()]
    width = max(map(len, words)) + 1  # one byte more: the separator
    # each value twice: ending in "," (inside a row), then ending in a newline (a row's last value)
    table = np.zeros((2 * len(words), width), dtype=np.uint8)
    for i, w in enumerate(words):
        table[i, : len(w) + 1] = np.frombuffer(w + b",", dtype=np.uint8)
        table[len(words) + i, : len(w) + 1] = np.frombuffer(w + b"\n", dtype=np.uint8)
    rows, cols = arr.shape
    index = index.reshape(rows, cols)
    index[:, -1] += len(words)
    chunks = []
    for start in range(0, rows, _TABLE_ROWS):
        flat = table[index[start:start + _TABLE_ROWS]].ravel()  # each cell's bytes, then zeros to the width
        chunks.append(flat[flat != 0].tobytes())
    return b"".join(chunks)[:-1].decode("ascii")


def _explain(lines: list[str]) -> ValueError:
    """The first line that is not comma-separated numbers, or the widths that differ."""
    widths: dict[int, int] = {}
    for i, ln in enumerate(lines, 1):
        try:
            row = np.array(ln.split(","), dtype=np.float32)
        except ValueError:
            return ValueError(f"line {i} is not comma-separated numbers: {ln[:60]!r}")
        widths.setdefault(len(row), i)
    first, *others = sorted(widths.items(), key=lambda kv: kv[1])
    if others:
        return ValueError(f"rows have different widths: line {first[1]} has {first[0]} values, line "
                          f"{others[0][1]} has {others[0][0]}")
    return ValueError("the CSV could not be read")


_parsers = threading.local()  # a simdjson parser serves one document at a time: one per server thread


def _rows(body: bytes) -> np.ndarray | None:
    """The lines of ``body`` as rows of doubles, read by simdjson as ``[[row], [row], ...]`` straight into one
    buffer (no Python number is made); None when the rows differ in width."""
    import simdjson  # here, not at the top: the kit's import stays light (an endpoint's server reads CSV)

    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = simdjson.Parser()
    doc = parser.parse(b"[[" + body.replace(b"\n", b"],[") + b"]]")
    try:  # the document must be gone before this thread's parser reads the next one
        widths = {len(row) for row in doc}
        if len(widths) != 1:
            return None
        flat = np.frombuffer(doc.as_buffer(of_type="d"), dtype=np.float64)
        return flat.reshape(len(doc), widths.pop())
    finally:
        del doc


def _plain(data: bytes) -> np.ndarray | None:
    """Rows of a body that holds only numbers, read as JSON; None if it is not that.

    The byte check keeps JSON's own words (``true``, ``null``, strings, objects) and brackets out, so
    what the JSON reader accepts here is exactly rows of numbers separated by commas. Ragged rows, a bad
    number (``1.``, ``+1``, ``1e999``), an empty field or a blank line make it decline, and the checked path
    reads (or explains) the body.
    """
    body = data.strip()
    if not body or data.translate(None, _PLAIN):
        return None
    try:
        rows = _rows(body)
    except (ValueError, RuntimeError):  # simdjson's refusals: a bad number, an empty field, a 65-bit integer
        return None
    if rows is None:
        return None
    with np.errstate(over="ignore"):  # as numpy's own parse: too large a number for float32 reads as inf
        return rows.astype(np.float32)


def _small(text: str) -> np.ndarray:
    lines = [ln for ln in text.replace("\r\n", "\n").split("\n") if ln.strip()]
    if not lines:
        return np.zeros((0, 0), dtype=np.float32)
    try:
        rows = [np.array(ln.split(","), dtype=np.float32) for ln in lines]
    except ValueError:
        raise _explain(lines) from None
    if len({len(r) for r in rows}) > 1:
        raise _explain(lines)
    return np.vstack(rows)


def _large(data: bytes) -> np.ndarray:
    import pandas as pd

    try:
        frame = pd.read_csv(io.BytesIO(data), header=None, dtype=np.float32, engine="c", skip_blank_lines=True,
                            na_filter=True, keep_default_na=False, na_values=[""])
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        frame = None
    arr = None if frame is None else frame.to_numpy(dtype=np.float32, copy=False)
    if arr is None or np.isnan(arr).any():  # an empty field or a short row reads as NaN: say which line
        try:
            text = data.decode()
        except UnicodeDecodeError:
            raise ValueError("the CSV is not UTF-8 text") from None
        lines = [ln for ln in text.replace("\r\n", "\n").split("\n") if ln.strip()]
        if not lines:
            return np.zeros((0, 0), dtype=np.float32)
        if arr is not None and not any("," * 2 in ln or ln.startswith(",") or ln.endswith(",") for ln in lines):
            widths = {ln.count(",") for ln in lines}
            if len(widths) == 1:  # NaN written out in the data itself: keep it (the model decides)
                return arr
        raise _explain(lines)
    return arr


def from_csv(text: str | bytes, width: int | None = None) -> np.ndarray:
    """Parse CSV rows into float32 ``[n, d]``; ValueError names the first bad line."""
    data = text if isinstance(text, bytes) else text.encode()
    arr = _plain(data) if len(data) < JSON_MAX else None
    if arr is None and len(data) < SMALL:
        try:
            arr = _small(data.decode())
        except UnicodeDecodeError:
            raise ValueError("the CSV is not UTF-8 text") from None
    elif arr is None:
        arr = _large(data)
    if arr.size == 0 and arr.shape[0] == 0:
        return np.zeros((0, width or 0), dtype=np.float32)
    if width is not None and arr.shape[1] != width:
        raise ValueError(f"rows have {arr.shape[1]} values; expected {width}")
    return arr
