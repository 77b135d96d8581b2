"""MXNet NDArray list files: hand-checked bytes, round trips, the older layouts, and bad input."""

import struct

import numpy as np
import pytest

from kfsm_lab.data.ndarray import NDArrayFormatError, load_ndarrays, load_ndarrays_named, save_ndarrays


def test_hand_checked_bytes_of_a_2x3_float32_list():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    expected = (
        bytes.fromhex("1201000000000000")        # uint64 0x112 list magic
        + bytes(8)                               # uint64 reserved
        + bytes.fromhex("0100000000000000")      # uint64 one array
        + bytes.fromhex("c9fa93f9")              # uint32 0xF993FAC9 (NDARRAY_V2_MAGIC), little-endian
        + bytes(4)                               # int32 storage type 0 (dense)
        + bytes.fromhex("02000000")              # uint32 ndim 2
        + bytes.fromhex("0200000000000000") + bytes.fromhex("0300000000000000")  # int64 dims 2, 3
        + bytes.fromhex("01000000") + bytes(4)   # context: dev_type 1 (cpu), dev_id 0
        + bytes(4)                               # dtype flag 0 (float32)
        + a.tobytes()                            # 6 little-endian float32
        + bytes(8)                               # uint64 zero names
    )
    assert save_ndarrays([a]) == expected
    (back,) = load_ndarrays(expected)
    assert back.dtype == np.float32 and np.array_equal(back, a)


def test_round_trip_of_dtypes_and_names():
    arrays = {"centroids": np.random.default_rng(0).random((10, 784), dtype=np.float32),
              "counts": np.arange(10, dtype=np.int64), "halves": np.ones(3, dtype=np.float64) / 2}
    arrays_back, names = load_ndarrays_named(save_ndarrays(arrays))
    assert names == list(arrays)
    for (name, want), got in zip(arrays.items(), arrays_back, strict=True):
        assert got.dtype == want.dtype, name
        assert np.array_equal(got, want), name


def test_reads_v1_and_legacy_layouts():
    data = np.array([[1.5, -2.0]], dtype=np.float32)
    body = struct.pack("<iii", 1, 0, 0) + data.tobytes()
    v1 = struct.pack("<QQQ", 0x112, 0, 1) + struct.pack("<II2q", 0xF993FAC8, 2, 1, 2) + body + struct.pack("<Q", 0)
    legacy = struct.pack("<QQQ", 0x112, 0, 1) + struct.pack("<I2I", 2, 1, 2) + body + struct.pack("<Q", 0)
    for blob in (v1, legacy):
        (got,) = load_ndarrays(blob)
        assert np.array_equal(got, data)


def test_reads_v3_numpy_shape_scalars():
    blob = (struct.pack("<QQQ", 0x112, 0, 1) + struct.pack("<Iii", 0xF993FACA, 0, 0)
            + struct.pack("<iii", 1, 0, 0) + np.float32(4.25).tobytes() + struct.pack("<Q", 0))
    (got,) = load_ndarrays(blob)
    assert got.shape == () and float(got) == 4.25


@pytest.mark.parametrize("blob, words", [
    (b"PK\x03\x04" + bytes(40), "header"),
    (save_ndarrays([np.zeros((2, 2), np.float32)])[:-20], "truncated"),
    (struct.pack("<QQQ", 0x112, 0, 1) + struct.pack("<Ii", 0xF993FAC9, 2), "sparse"),
])
def test_bad_input_is_a_clear_error(blob, words):
    with pytest.raises(NDArrayFormatError, match=words):
        load_ndarrays(blob)


def test_refuses_to_write_what_mxnet_cannot_read():
    with pytest.raises(NDArrayFormatError):
        save_ndarrays([np.float32(1.0).reshape(())])
    with pytest.raises(NDArrayFormatError):
        save_ndarrays([np.array(["a"])])
