"""RecordIO-wrapped protobuf dense tensors, as SageMaker's built-in algorithms read them.

Byte-compatible with ``sagemaker.amazon.common.write_numpy_to_dense_tensor``: each row becomes
a ``aialgs.data.Record`` with ``features['values']`` (and ``label['values']``) holding a dense
tensor whose type follows the array's dtype (float32 → Float32Tensor, float64 → Float64Tensor,
int → Int32Tensor), framed as MXNet RecordIO (magic ``0xced7230a``, little-endian length, padding
to 4 bytes). The protobuf wire format is written by hand: it is four small messages, and it keeps
the dependency list short; the tests check it against an independent protobuf reader.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import numpy as np

MAGIC = 0xCED7230A
CONTENT_TYPE = "application/x-recordio-protobuf"

# Value.oneof field numbers (record.proto): float32_tensor=2, float64_tensor=3, int32_tensor=7.
_VALUE_FIELD = {"Float32": 2, "Float64": 3, "Int32": 7}
_FIELD_DTYPE = {2: np.dtype("<f4"), 3: np.dtype("<f8"), 7: None}


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _read_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _ld(field: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def resolve_type(dtype: np.dtype) -> str:
    """The tensor type SageMaker's writer picks for a numpy dtype."""
    if dtype == np.dtype(int):
        return "Int32"
    if dtype == np.dtype(float):
        return "Float64"
    if dtype == np.dtype("float32"):
        return "Float32"
    raise ValueError(f"Unsupported dtype {dtype} on array")


def _tensor(kind: str, values: np.ndarray) -> bytes:
    if kind == "Int32":
        packed = b"".join(_varint(int(v) & 0xFFFFFFFFFFFFFFFF) for v in values)
    else:
        packed = values.astype("<f4" if kind == "Float32" else "<f8", copy=False).tobytes()
    tensor = _ld(1, packed) if len(values) else b""
    return _ld(_VALUE_FIELD[kind], tensor)


def _map_entry(field: int, key: str, value: bytes) -> bytes:
    return _ld(field, _ld(1, key.encode()) + _ld(2, value))


def encode_record(features: np.ndarray, label: object | None = None, *, kind: str = "Float32",
                  label_kind: str = "Float32") -> bytes:
    """One ``Record`` message (no RecordIO framing)."""
    out = _map_entry(1, "values", _tensor(kind, np.asarray(features).ravel()))
    if label is not None:
        out += _map_entry(2, "values", _tensor(label_kind, np.asarray([label]).ravel()))
    return out


def frame(payload: bytes) -> bytes:
    """Wrap one payload in RecordIO framing with zero padding to a 4-byte boundary."""
    pad = (-len(payload)) % 4
    return struct.pack("<II", MAGIC, len(payload)) + payload + b"\x00" * pad


def write_dense_tensor(array: np.ndarray, labels: np.ndarray | None = None) -> bytes:
    """Encode a matrix (and optional label vector) the way ``write_numpy_to_dense_tensor`` does."""
    if array.ndim != 2:
        raise ValueError("Array must be a Matrix")
    kind = resolve_type(array.dtype)
    label_kind = "Float32"  # what a record without labels is encoded with (its label part is left out)
    if labels is not None:
        if labels.ndim != 1:
            raise ValueError("Labels must be a Vector")
        if labels.shape[0] not in array.shape:
            raise ValueError(f"Label shape {labels.shape} not compatible with array shape {array.shape}")
        label_kind = resolve_type(labels.dtype)
    if kind in ("Float32", "Float64") and len(array):
        label_bytes = _fixed_label_bytes(labels, label_kind, len(array))
        if labels is None or label_bytes is not None:
            return _frame_float_rows(array, kind, labels, label_kind, label_bytes)
    parts = []
    for i, row in enumerate(array):
        lab = None if labels is None else labels[i]
        parts.append(frame(encode_record(row, lab, kind=kind, label_kind=label_kind)))
    return b"".join(parts)


def _fixed_label_bytes(labels: np.ndarray | None, kind: str, rows: int) -> np.ndarray | None:
    """Each row's label as the bytes its tensor packs, ``(rows, width)``, when every label packs to one width.

    Float labels always do (4 or 8 bytes). Integer labels are varints: one byte each when all are in
    0..127 (digits, classes); otherwise, or when the labels are not one per row, None (written record
    by record).
    """
    if labels is None or labels.shape[0] != rows:
        return None
    if kind in ("Float32", "Float64"):
        values = np.ascontiguousarray(labels, dtype="<f4" if kind == "Float32" else "<f8")
        return values.view(np.uint8).reshape(rows, values.dtype.itemsize)
    if kind == "Int32" and ((labels >= 0) & (labels < 0x80)).all():
        return labels.astype(np.uint8).reshape(rows, 1)
    return None


def _frame_float_rows(array: np.ndarray, kind: str, labels: np.ndarray | None = None, label_kind: str = "Float32",
                      label_bytes: np.ndarray | None = None) -> bytes:
    """All rows at once: float records whose labels (if any) pack to one width differ only in their value bytes.

    Every such record has the same length, so the same frame header, protobuf prefixes and padding:
    the features' values end the features' entry, the label's bytes end the record. One numpy copy
    replaces a Python loop per row (the sample's 3,500 labelled rows: 135 → 5 ms; 60,000 unlabelled:
    3 s → 0.1 s).
    """
    values = np.ascontiguousarray(array, dtype="<f4" if kind == "Float32" else "<f8")
    n, width = len(values), values.shape[1] * values.dtype.itemsize
    first = encode_record(values[0], None if labels is None else labels[0], kind=kind, label_kind=label_kind)
    template = np.frombuffer(frame(first), dtype=np.uint8)
    features_end = 8 + len(_map_entry(1, "values", _tensor(kind, values[0])))  # past the frame header
    out = np.empty((n, len(template)), dtype=np.uint8)
    out[:] = template
    out[:, features_end - width: features_end] = values.view(np.uint8).reshape(n, width)
    if label_bytes is not None:
        record_end = 8 + len(first)
        out[:, record_end - label_bytes.shape[1]: record_end] = label_bytes
    return out.tobytes()


def iter_frames(data: bytes | memoryview) -> Iterator[memoryview]:
    """Yield each RecordIO payload; raise ValueError on a bad magic or a truncated record."""
    view = memoryview(data)
    pos, n = 0, len(view)
    while pos < n:
        if n - pos < 8:
            raise ValueError(f"truncated RecordIO header at byte {pos}")
        magic, lrec = struct.unpack_from("<II", view, pos)
        if magic != MAGIC:
            raise ValueError(f"not RecordIO: bad magic 0x{magic:08x} at byte {pos}")
        if lrec >> 29:
            raise ValueError("multi-part RecordIO records are not supported")
        start = pos + 8
        end = start + lrec
        if end > n:
            raise ValueError(f"truncated RecordIO record at byte {pos}")
        yield view[start:end]
        pos = end + ((-lrec) % 4)


def _spans(buf: memoryview, pos: int = 0, end: int | None = None) -> Iterator[tuple[int, int, int, int, int]]:
    """``(field, wire, start, stop, varint)`` of each field in ``buf[pos:end]``, offsets into ``buf``."""
    end = len(buf) if end is None else end
    while pos < end:
        key, pos = _read_varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 2:
            length, pos = _read_varint(buf, pos)
            yield field, wire, pos, pos + length, 0
            pos += length
        elif wire == 0:
            val, stop = _read_varint(buf, pos)
            yield field, wire, pos, stop, val
            pos = stop
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            yield field, wire, pos, pos + size, 0
            pos += size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def _parse_fields(buf: memoryview) -> Iterator[tuple[int, int, object]]:
    for field, wire, start, stop, val in _spans(buf):
        yield field, wire, (val if wire == 0 else buf[start:stop])


def _decode_value(buf: memoryview) -> np.ndarray:
    for field, _, tensor in _parse_fields(buf):
        if field not in _FIELD_DTYPE:
            raise ValueError(f"unsupported tensor type (Value field {field})")
        values: list[np.ndarray] = []
        for tfield, twire, payload in _parse_fields(tensor):  # type: ignore[arg-type]
            if tfield != 1:
                if tfield == 2:
                    raise ValueError("sparse tensors (keys) are not supported; write dense rows")
                continue
            dt = _FIELD_DTYPE[field]
            if dt is None:  # Int32: packed varints (or one unpacked varint)
                if twire == 0:
                    values.append(np.array([payload], dtype=np.int64))
                    continue
                ints, p = [], 0
                while p < len(payload):  # type: ignore[arg-type]
                    v, p = _read_varint(payload, p)  # type: ignore[arg-type]
                    ints.append(v - (1 << 64) if v >> 63 else v)
                values.append(np.array(ints, dtype=np.int64))
            elif twire == 2:
                values.append(np.frombuffer(payload, dtype=dt))  # type: ignore[arg-type]
            else:
                values.append(np.frombuffer(payload, dtype=dt))  # type: ignore[arg-type]
        return np.concatenate(values) if values else np.zeros(0, dtype=np.float32)
    return np.zeros(0, dtype=np.float32)


def decode_record(payload: memoryview | bytes) -> tuple[np.ndarray, np.ndarray | None]:
    """``(features, label)`` of one Record message."""
    features: np.ndarray | None = None
    label: np.ndarray | None = None
    for field, _, entry in _parse_fields(memoryview(payload)):
        if field not in (1, 2):
            continue
        key, value = "", None
        for efield, _, ev in _parse_fields(entry):  # type: ignore[arg-type]
            if efield == 1:
                key = bytes(ev).decode()  # type: ignore[arg-type]
            elif efield == 2:
                value = ev
        if key != "values" or value is None:
            continue
        if field == 1:
            features = _decode_value(value)  # type: ignore[arg-type]
        else:
            label = _decode_value(value)  # type: ignore[arg-type]
    if features is None:
        raise ValueError("record has no features['values'] tensor")
    return features, label


def _value_span(rec: memoryview, start: int, stop: int) -> tuple[int, int, np.dtype | None] | None:
    """Where a Value message's dense values are, and their type; None for anything else (sparse, empty…)."""
    fields = list(_spans(rec, start, stop))
    if len(fields) != 1 or fields[0][0] not in _FIELD_DTYPE or fields[0][1] != 2:
        return None
    dtype = _FIELD_DTYPE[fields[0][0]]
    values = [(tw, ts, te) for tf, tw, ts, te, _ in _spans(rec, fields[0][2], fields[0][3]) if tf != 3]  # 3: shape
    if len(values) != 1 or values[0][0] != 2 or values[0][2] <= values[0][1]:
        return None  # keys (sparse), unpacked or no values
    _, ts, te = values[0]
    if dtype is None:  # Int32: packed varints, read here only as one value of one byte
        return (ts, te, None) if te - ts == 1 and rec[ts] < 0x80 else None
    return (ts, te, dtype) if (te - ts) % dtype.itemsize == 0 else None


def _layout(rec: memoryview) -> dict[int, tuple[int, int, np.dtype | None]] | None:
    """Record field (1 features, 2 label) → its values' span and type, when the record is plain dense rows."""
    found: dict[int, tuple[int, int, np.dtype | None]] = {}
    for field, wire, start, stop, _ in _spans(rec):
        entry = {ef: (ew, es, ee) for ef, ew, es, ee, _ in _spans(rec, start, stop)}
        if field not in (1, 2) or wire != 2 or field in found or set(entry) != {1, 2}:
            return None
        (kw, ks, ke), (vw, vs, ve) = entry[1], entry[2]
        span = _value_span(rec, vs, ve) if kw == vw == 2 and bytes(rec[ks:ke]) == b"values" else None
        if span is None:
            return None
        found[field] = span
    return found if 1 in found else None


def _read_uniform(data: bytes | memoryview) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Every record at once, when all share the first one's bytes but for their values.

    ``write_numpy_to_dense_tensor`` (and this module) write rows of one width as records of one length
    whose framing, keys and lengths are the same bytes; only the values differ. Those bytes are checked
    for every record (one numpy comparison), then the values are one strided view: the sample's 3,500
    training rows read in ~2 ms against ~80 ms record by record. Anything else returns None (read record
    by record, which also names what is wrong).
    """
    view = memoryview(data).cast("B")
    if len(view) < 8:
        return None
    magic, lrec = struct.unpack_from("<II", view, 0)
    step = 8 + lrec + (-lrec) % 4
    if magic != MAGIC or lrec >> 29 or 8 + lrec > len(view) or len(view) % step:
        return None
    try:
        layout = _layout(view[8:8 + lrec])
    except (ValueError, IndexError):
        return None
    if layout is None or layout[1][2] is None:
        return None  # not plain dense rows, or integer features: record by record
    rows = np.frombuffer(view, dtype=np.uint8).reshape(len(view) // step, step)
    same = np.ones(step, dtype=bool)
    for start, stop, _ in layout.values():
        same[8 + start:8 + stop] = False
    if not (rows[:, same] == rows[0, same]).all():
        return None

    def values(field: int) -> np.ndarray:
        start, stop, dtype = layout[field]
        raw = np.ascontiguousarray(rows[:, 8 + start:8 + stop])
        return raw[:, 0] if dtype is None else raw.view(dtype)

    y = None
    if 2 in layout:
        label = values(2)  # one byte per row for Int32, each row's values for floats: the first is the label
        if layout[2][2] is None and (label >= 0x80).any():
            return None  # a label that needs more than one byte
        y = (label if label.ndim == 1 else label[:, 0]).astype(np.float32)
    return values(1).astype(np.float32, copy=False), y


def read_dense_tensor(data: bytes | memoryview) -> tuple[np.ndarray, np.ndarray | None]:
    """Decode a RecordIO-protobuf stream into ``(X float32 [n, d], labels float32 [n] or None)``."""
    uniform = _read_uniform(data)
    if uniform is not None:
        return uniform
    rows, labels = [], []
    for payload in iter_frames(data):
        x, y = decode_record(payload)
        rows.append(x.astype(np.float32, copy=False))
        labels.append(None if y is None or not len(y) else float(y[0]))
    if not rows:
        return np.zeros((0, 0), dtype=np.float32), None
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise ValueError(f"records have different widths {sorted(widths)}")
    X = np.vstack(rows)
    y = None if any(v is None for v in labels) else np.asarray(labels, dtype=np.float32)
    return X, y
