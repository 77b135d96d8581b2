"""MXNet NDArray list files, the format of SageMaker k-means' ``model_algo-1``.

``mx.nd.save(path, [a, b])`` writes (all little-endian):

* ``uint64 0x112`` (kMXAPINDArrayListMagic), ``uint64 0`` (reserved);
* ``uint64 count``, then each array:
  ``uint32 0xF993FAC9`` (NDARRAY_V2_MAGIC), ``int32 storage type`` (0 = dense),
  ``uint32 ndim`` + ``int64 dims[ndim]``, ``int32 dev_type`` + ``int32 dev_id`` (context, 1/0 = cpu),
  ``int32 dtype flag`` (0 = float32), then the raw C-order data;
* ``uint64 count`` of names, each ``uint64 length`` + UTF-8 bytes (none for a list).

Reading also accepts V1 (``0xF993FAC8``: no storage type), V3 (``0xF993FACA``: numpy shape
semantics) and the legacy layout whose first word is ``ndim`` with ``uint32`` dims, so artifacts of
real SageMaker jobs of any MXNet era load. Written by hand so predictions need no MXNet install.
"""

from __future__ import annotations

import struct

import numpy as np

LIST_MAGIC = 0x112
V1_MAGIC = 0xF993FAC8
V2_MAGIC = 0xF993FAC9
V3_MAGIC = 0xF993FACA
CPU_DEV_TYPE = 1

# mshadow type flags
_DTYPES: dict[int, np.dtype] = {
    0: np.dtype("<f4"), 1: np.dtype("<f8"), 2: np.dtype("<f2"), 3: np.dtype("u1"),
    4: np.dtype("<i4"), 5: np.dtype("i1"), 6: np.dtype("<i8"), 7: np.dtype("?"),
}


def _flag(dtype: np.dtype) -> int | None:
    for flag, dt in _DTYPES.items():
        if dtype.kind == dt.kind and dtype.itemsize == dt.itemsize:
            return flag
    return None


class NDArrayFormatError(ValueError):
    """The bytes are not an MXNet NDArray list (or use a feature this reader does not cover)."""


def save_ndarrays(arrays: list[np.ndarray] | dict[str, np.ndarray]) -> bytes:
    """Serialize dense arrays as ``mx.nd.save`` does (a dict stores names, a list does not)."""
    if isinstance(arrays, dict):
        names, values = list(arrays), list(arrays.values())
    else:
        names, values = [], list(arrays)
    out = [struct.pack("<QQQ", LIST_MAGIC, 0, len(values))]
    for arr in values:
        a = np.asarray(arr)
        if a.ndim == 0:
            raise NDArrayFormatError("MXNet (non-numpy mode) cannot store 0-d arrays; reshape to (1,)")
        a = np.ascontiguousarray(a)
        flag = _flag(a.dtype)
        if flag is None:
            raise NDArrayFormatError(f"dtype {a.dtype} has no MXNet type flag")
        out.append(struct.pack("<Ii", V2_MAGIC, 0))
        out.append(struct.pack(f"<I{a.ndim}q", a.ndim, *a.shape))
        out.append(struct.pack("<iii", CPU_DEV_TYPE, 0, flag))
        out.append(a.astype(_DTYPES[flag], copy=False).tobytes())
    out.append(struct.pack("<Q", len(names)))
    for name in names:
        raw = name.encode()
        out.append(struct.pack("<Q", len(raw)) + raw)
    return b"".join(out)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise NDArrayFormatError(f"truncated NDArray file at byte {self.pos}")
        vals = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return vals

    def raw(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise NDArrayFormatError(f"truncated NDArray data at byte {self.pos}")
        out = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return out


def _shape(r: _Reader, signed: bool = False) -> tuple[int, ...] | None:
    (ndim,) = r.take("<i" if signed else "<I")
    if ndim < 0:  # numpy-shape "unknown"
        return None
    return tuple(r.take(f"<{ndim}q")) if ndim else ()


def _body(r: _Reader, shape: tuple[int, ...]) -> np.ndarray:
    dev_type, _dev_id, flag = r.take("<iii")
    if dev_type not in (1, 2, 3, 5):  # cpu, gpu, cpu_pinned, cpu_shared
        raise NDArrayFormatError(f"unknown device type {dev_type} in NDArray context")
    dtype = _DTYPES.get(flag)
    if dtype is None:
        raise NDArrayFormatError(f"unsupported NDArray dtype flag {flag}")
    count = int(np.prod(shape)) if shape else 1
    return np.frombuffer(r.raw(count * dtype.itemsize), dtype=dtype).reshape(shape).copy()


def _one(r: _Reader) -> np.ndarray:
    (magic,) = r.take("<I")
    if magic in (V2_MAGIC, V3_MAGIC):
        (stype,) = r.take("<i")
        if stype != 0:
            raise NDArrayFormatError(f"sparse NDArray (storage type {stype}) is not supported")
        shape = _shape(r, signed=magic == V3_MAGIC)
        if shape is None or (magic == V2_MAGIC and shape == ()):
            return np.zeros((0,), dtype=np.float32)  # a "none" array
        return _body(r, shape)
    if magic == V1_MAGIC:
        shape = _shape(r)
        if not shape:
            return np.zeros((0,), dtype=np.float32)
        return _body(r, shape)
    # legacy: the word read is ndim, dims are uint32
    ndim = magic
    if ndim > 32:
        raise NDArrayFormatError(f"not an NDArray: bad magic 0x{magic:08x}")
    if ndim == 0:
        return np.zeros((0,), dtype=np.float32)
    return _body(r, tuple(r.take(f"<{ndim}I")))


def load_ndarrays_named(data: bytes) -> tuple[list[np.ndarray], list[str]]:
    """Arrays and names (empty for a saved list) of an NDArray list file."""
    r = _Reader(data)
    header, _reserved = r.take("<QQ")
    if header != LIST_MAGIC:
        raise NDArrayFormatError(f"not an MXNet NDArray file: header 0x{header:x}, expected 0x112")
    (count,) = r.take("<Q")
    if count > 1_000_000:
        raise NDArrayFormatError(f"implausible array count {count}")
    arrays = [_one(r) for _ in range(count)]
    names: list[str] = []
    if r.pos < len(r.data):
        (n_names,) = r.take("<Q")
        for _ in range(n_names):
            (ln,) = r.take("<Q")
            names.append(r.raw(ln).decode())
    if names and len(names) != len(arrays):
        raise NDArrayFormatError(f"{len(names)} names for {len(arrays)} arrays")
    return arrays, names


def load_ndarrays(data: bytes) -> list[np.ndarray]:
    """The arrays of an NDArray list file (``mx.nd.load`` of a saved list), in order."""
    return load_ndarrays_named(data)[0]


__all__ = ["NDArrayFormatError", "load_ndarrays", "load_ndarrays_named", "save_ndarrays"]
