"""RecordIO read all at once when every record has one layout: the same answer as record by record."""

import numpy as np
import pytest

from kfsm_lab.data import recordio
from kfsm_lab.data.recordio import _read_uniform, decode_record, frame, iter_frames, write_dense_tensor


def _record_by_record(data):
    """read_dense_tensor's own slow path, without the uniform one."""
    rows, labels = [], []
    for payload in iter_frames(data):
        x, y = decode_record(payload)
        rows.append(x.astype(np.float32))
        labels.append(None if y is None or not len(y) else float(y[0]))
    X = np.vstack(rows)
    return X, (None if any(v is None for v in labels) else np.asarray(labels, dtype=np.float32))


def _same(a, b):
    assert a[0].dtype == b[0].dtype == np.float32 and np.array_equal(a[0], b[0])
    assert (a[1] is None) == (b[1] is None)
    if a[1] is not None:
        assert a[1].dtype == b[1].dtype and np.array_equal(a[1], b[1])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("labels", [None, "float32", "float64", "int-small"])
@pytest.mark.parametrize("rows", [1, 7, 300])
def test_uniform_records_read_at_once_as_record_by_record(dtype, labels, rows):
    rng = np.random.default_rng(rows)
    X = (rng.standard_normal((rows, 13)) * 1e3).astype(dtype)
    y = None if labels is None else (rng.integers(0, 10, rows) if labels == "int-small"
                                      else rng.standard_normal(rows).astype(labels))
    data = write_dense_tensor(X, y)
    fast = _read_uniform(data)
    assert fast is not None
    _same(fast, _record_by_record(data))
    _same(recordio.read_dense_tensor(data), fast)


def test_anything_else_is_read_record_by_record():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20, 5)).astype("float32")
    big = write_dense_tensor(X, rng.integers(100, 1000, 20))  # labels of two varint bytes: lengths vary
    assert _read_uniform(big) is None
    _same(recordio.read_dense_tensor(big), _record_by_record(big))
    ints = write_dense_tensor(rng.integers(0, 5, (20, 5)))  # integer features
    assert _read_uniform(ints) is None
    _same(recordio.read_dense_tensor(ints), _record_by_record(ints))
    mixed = write_dense_tensor(X[:3]) + frame(recordio.encode_record(X[0, :4]))  # another width
    assert _read_uniform(mixed) is None
    with pytest.raises(ValueError, match="different widths"):
        recordio.read_dense_tensor(mixed)
    with pytest.raises(ValueError, match="truncated"):
        recordio.read_dense_tensor(write_dense_tensor(X)[:-3])
    assert _read_uniform(b"") is None and _read_uniform(b"\x0a\x23") is None


def test_one_changed_framing_byte_in_any_record_is_noticed():
    X = np.arange(60, dtype="float32").reshape(12, 5)
    data = bytearray(write_dense_tensor(X, np.arange(12) % 3))
    step = len(data) // 12
    data[7 * step + 12] ^= 0x01  # record 8: a key or length byte, not a value
    assert _read_uniform(bytes(data)) is None
    with pytest.raises((ValueError, IndexError)):
        _record_by_record(bytes(data))
    data = bytearray(write_dense_tensor(X))
    data[5 * (len(data) // 12)] ^= 0xFF  # record 6's magic
    assert _read_uniform(bytes(data)) is None
    with pytest.raises(ValueError, match="bad magic"):
        recordio.read_dense_tensor(bytes(data))
