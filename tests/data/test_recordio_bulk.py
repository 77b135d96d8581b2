"""The bulk writer for float rows gives the same bytes as framing each record on its own."""

import numpy as np
import pytest

from kfsm_lab.data import recordio


def _row_by_row(array: np.ndarray, labels: np.ndarray | None = None) -> bytes:
    kind = recordio.resolve_type(array.dtype)
    label_kind = "Float32" if labels is None else recordio.resolve_type(labels.dtype)
    return b"".join(recordio.frame(recordio.encode_record(row, None if labels is None else labels[i], kind=kind,
                                                          label_kind=label_kind))
                    for i, row in enumerate(array))


@pytest.mark.parametrize("shape", [(1, 784), (37, 784), (5, 3), (4, 1), (3, 0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bulk_rows_match_row_by_row(shape, dtype):
    array = np.random.default_rng(3).random(shape).astype(dtype)
    data = recordio.write_dense_tensor(array)
    assert data == _row_by_row(array)
    back, labels = recordio.read_dense_tensor(data)  # the reader gives float32, as the algorithm reads it
    assert labels is None and back.shape == array.shape and np.array_equal(back, array.astype(np.float32))


def test_non_contiguous_rows_are_written_as_their_values():
    array = np.arange(60, dtype=np.float32).reshape(6, 10)[::2, ::3]
    assert recordio.write_dense_tensor(array) == _row_by_row(np.ascontiguousarray(array))


_LABELS = {
    "digits": lambda rng, n: rng.integers(0, 10, n),  # int64: one-byte varints (the sample's labels)
    "int-edge": lambda rng, n: np.array([0, 127] * n)[:n],
    "float32": lambda rng, n: rng.standard_normal(n).astype(np.float32),
    "float64": lambda rng, n: rng.standard_normal(n),
    "nan": lambda rng, n: np.full(n, np.nan, dtype=np.float32),
}


@pytest.mark.parametrize("labels", sorted(_LABELS))
@pytest.mark.parametrize("shape", [(1, 784), (37, 784), (5, 3), (3, 0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_labelled_bulk_rows_match_row_by_row(labels, shape, dtype):
    rng = np.random.default_rng(shape[0])
    array, y = rng.random(shape).astype(dtype), _LABELS[labels](rng, shape[0])
    data = recordio.write_dense_tensor(array, y)
    assert data == _row_by_row(array, y)
    back, got = recordio.read_dense_tensor(data)
    assert np.array_equal(back, array.astype(np.float32))
    assert np.array_equal(got, y.astype(np.float32), equal_nan=True)


@pytest.mark.parametrize("y", [np.array([3, 128, 5]), np.array([-1, 2, 3]), np.array([1, 2, 2**40])],
                         ids=["two-byte varint", "negative", "wide"])
def test_integer_labels_of_other_widths_are_written_record_by_record(y):
    """Varints of more than one byte make records of different lengths: the row-by-row writer's bytes."""
    array = np.random.default_rng(7).random((3, 4)).astype(np.float32)
    assert recordio._fixed_label_bytes(y, "Int32", 3) is None
    assert recordio.write_dense_tensor(array, y) == _row_by_row(array, y)


def test_the_sample_is_written_as_row_by_row():
    from kfsm_lab.data import load_sample

    train = load_sample().train
    assert recordio.write_dense_tensor(train.X, train.y) == _row_by_row(train.X, train.y)
