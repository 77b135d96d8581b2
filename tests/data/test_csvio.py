"""The CSV reader's three paths (simdjson's flat read, numpy's split, pandas) read the same bodies the same way."""

import threading

import numpy as np
import pytest

from kfsm_lab.data import csvio, from_csv, load_sample, to_csv


@pytest.mark.parametrize("rows", [1, 100, 2000, 4000])
def test_every_path_reads_the_sample_exactly(rows):
    X = np.vstack([load_sample().test.X] * 8)[:rows]
    body = to_csv(X).encode()
    assert (len(body) < csvio.JSON_MAX) == (rows < 4000)  # 4,000 rows (10 MB) take pandas' path
    checked = csvio._small(body.decode())
    np.testing.assert_allclose(checked, X, rtol=1e-5)  # %g keeps six digits
    for read in (from_csv(body), from_csv(body.decode()), csvio._large(body)):
        np.testing.assert_array_equal(read, checked)


def test_plain_numbers_take_the_json_path():
    assert csvio._plain(b"1,2.5,-3e-2\r\n4, 5 ,6\n").tolist() == [[1, 2.5, np.float32(-0.03)], [4, 5, 6]]
    assert csvio._plain(b"7").tolist() == [[7]]
    with np.errstate(over="raise"):
        assert csvio._plain(b"1e40,1").tolist() == [[np.inf, 1]]  # as numpy reads it, without a warning


@pytest.mark.parametrize("body", [b"1,true", b"1,null", b'1,"2"', b"[1],2", b"{}", b"nan,1", b".5,1", b"1.,2",
                                  b"1,,2", b"1,2\n\n3,4", b"1,2\n3", b"", b"  \n", b"01,2", "1,\u00e9".encode(),
                                  b"1,2\n3\n4,5,6",  # ragged rows whose count of values is rows x width
                                  b"1,2,", b",1", b"+1,2", b"1e999,1", b"18446744073709551616,1",
                                  b"-9223372036854775809,1"])
def test_anything_else_is_left_to_the_checked_path(body):
    assert csvio._plain(body) is None


def test_what_the_checked_path_accepts_or_explains():
    assert from_csv(b".5,1.\n2,3").tolist() == [[0.5, 1], [2, 3]]  # numbers JSON would refuse
    assert from_csv(b"1,2\n\n3,4\n").tolist() == [[1, 2], [3, 4]]  # blank lines are skipped
    assert np.isnan(from_csv(b"nan,1")[0, 0])
    with pytest.raises(ValueError, match="line 1 is not comma-separated numbers"):
        from_csv(b"1,true")
    with pytest.raises(ValueError, match="line 2 has 1"):
        from_csv(b"1,2\n3")
    with pytest.raises(ValueError, match="line 1 is not"):
        from_csv(b"1,,2")
    with pytest.raises(ValueError, match="not UTF-8"):
        from_csv(b"1,\xff")
    assert from_csv(b"").shape == (0, 0)


def test_the_json_path_reads_what_the_checked_path_reads():
    """Random %g bodies (zeros, negatives, exponents, integers beyond 2**53) read alike on both paths."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        rows, cols = rng.integers(1, 40), rng.integers(1, 60)
        X = rng.standard_normal((rows, cols)) * 10.0 ** rng.integers(-30, 30, (rows, cols))
        X[rng.random((rows, cols)) < 0.5] = 0
        body = to_csv(X.astype(np.float32)).encode()
        body = body.replace(b"\n", b"\r\n") if rng.random() < 0.3 else body
        fast = csvio._plain(body)
        assert fast is not None
        np.testing.assert_array_equal(fast, csvio._small(body.decode()))
    assert csvio._plain(b"9007199254740993,-0").tolist() == [[np.float32(9007199254740993), 0]]


def test_server_threads_read_bodies_at_once():
    """Each thread has its own simdjson parser: bodies read at the same time never mix."""
    bodies = [to_csv(np.full((50, 784), i, dtype=np.float32)).encode() for i in range(4)]
    wrong: list[int] = []

    def read(i: int) -> None:
        for _ in range(30):
            arr = from_csv(bodies[i])
            if arr.shape != (50, 784) or not (arr == i).all():
                wrong.append(i)

    threads = [threading.Thread(target=read, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert wrong == []
