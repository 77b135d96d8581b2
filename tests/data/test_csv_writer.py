"""``to_csv`` writes exactly what ``np.savetxt(fmt="%g", delimiter=",")`` writes, by whichever path."""

import io

import numpy as np
import pytest

from kfsm_lab.data import csvio, load_sample, to_csv


def _savetxt(array) -> str:
    buf = io.StringIO()
    np.savetxt(buf, np.atleast_2d(np.asarray(array)), delimiter=",", fmt="%g")
    return buf.getvalue().rstrip("\n")


_rng = np.random.default_rng(5)
CASES = {
    "sample test split": lambda: load_sample().test.X,
    "pixels as float64": lambda: load_sample().valid.X[:40].astype(np.float64),
    "signed zero, nan, inf": lambda: np.array([[0.0, -0.0, np.nan, -np.nan, np.inf, -np.inf, 1e-300, 1e300]]),
    "one row": lambda: np.array([0.25, 0.5, 1.0], dtype=np.float32),
    "one column": lambda: np.arange(5, dtype=np.float32).reshape(5, 1) / 3,
    "integers": lambda: np.array([[0, -1, 10**17, 2**40], [7, 7, 7, 7]]),
    "unsigned bytes": lambda: np.arange(256, dtype=np.uint8).reshape(16, 16),
    "float16": lambda: np.float16([[0.1, 0.2], [65504, -0.0]]),
    "all distinct (savetxt's path)": lambda: _rng.standard_normal((50, 60)),
    "new values after the sample": lambda: np.concatenate([np.zeros(70000), np.arange(500) / 7]).reshape(-1, 10),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_text_as_savetxt(case):
    array = CASES[case]()
    assert to_csv(array) == _savetxt(array)


def test_rows_gathered_in_blocks_join_seamlessly(monkeypatch):
    monkeypatch.setattr(csvio, "_TABLE_ROWS", 7)
    array = load_sample().test.X[:50]
    assert csvio._tabled(np.asarray(array)) == _savetxt(array)


def test_a_table_is_used_only_where_it_pays():
    assert csvio._tabled(load_sample().test.X) is not None  # 256 distinct pixel values
    assert csvio._tabled(_rng.standard_normal((50, 60))) is None  # 3,000 distinct values in 3,000 cells
    assert csvio._tabled(np.array([[True, False]])) is None and csvio._tabled(np.array([[1 + 2j]])) is None
