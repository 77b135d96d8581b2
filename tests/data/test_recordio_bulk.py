"""The bulk writer for unlabelled float rows gives the same bytes as framing each record on its own."""

import numpy as np
import pytest

from kfsm_lab.data import recordio


def _row_by_row(array: np.ndarray) -> bytes:
    kind = recordio.resolve_type(array.dtype)
    return b"".join(recordio.frame(recordio.encode_record(row, kind=kind)) for row in array)


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
