import gzip
import pickle
import struct

import numpy as np
import pytest

from kfsm_lab.data import S3Layout, from_csv, load, load_idx, load_pkl, load_sample, mnist, split_s3_uri, to_csv


def test_sample_is_real_balanced_and_deterministic():
    s = load_sample()
    assert (len(s.train), len(s.valid), len(s.test)) == (3500, 1000, 500)
    for split, per_class in ((s.train, 350), (s.valid, 100), (s.test, 50)):
        assert split.X.dtype == np.float32 and split.X.shape[1] == 784
        assert 0.0 <= split.X.min() and split.X.max() <= 1.0
        assert np.bincount(split.y, minlength=10).tolist() == [per_class] * 10
    # disjoint splits
    rows = {r.tobytes() for r in s.train.X}
    assert not any(r.tobytes() in rows for r in s.test.X)
    mnist._read_sample.cache_clear()
    assert load_sample().fingerprint() == s.fingerprint()


def test_csv_format():
    text = to_csv(np.array([[0.0, 0.5, 1.0], [0.25, 0.0, 0.125]], dtype=np.float32))
    assert text == "0,0.5,1\n0.25,0,0.125"
    np.testing.assert_array_equal(from_csv(text), [[0, 0.5, 1], [0.25, 0, 0.125]])
    with pytest.raises(ValueError, match="expected 784"):
        from_csv("1,2,3", width=784)
    with pytest.raises(ValueError, match="line 2"):
        from_csv("1,2\nx,y")


def test_pkl_source(tmp_path):
    rng = np.random.default_rng(0)

    def split(n):
        return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)

    path = tmp_path / "mnist.pkl.gz"
    with gzip.open(path, "wb") as f:
        pickle.dump((split(30), split(10), split(10)), f)
    s = load(path)
    assert (len(s.train), len(s.valid), len(s.test)) == (30, 10, 10)
    assert load_pkl(path).train.X.dtype == np.float32


def test_idx_source(tmp_path):
    rng = np.random.default_rng(0)

    def write(name, arr):
        header = struct.pack(">HBB", 0, 8, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
        with gzip.open(tmp_path / (name + ".gz"), "wb") as f:
            f.write(header + arr.astype(np.uint8).tobytes())

    write("train-images-idx3-ubyte", rng.integers(0, 256, (20, 28, 28)))
    write("train-labels-idx1-ubyte", rng.integers(0, 10, 20))
    write("t10k-images-idx3-ubyte", rng.integers(0, 256, (5, 28, 28)))
    write("t10k-labels-idx1-ubyte", rng.integers(0, 10, 5))
    s = load_idx(tmp_path, n_valid=4)
    assert (len(s.train), len(s.valid), len(s.test)) == (16, 4, 5)
    assert s.train.X.max() <= 1.0


def test_unknown_source(tmp_path):
    with pytest.raises(ValueError, match="unknown MNIST source"):
        load(tmp_path / "x.txt")


def test_layout():
    lay = S3Layout("b", "mnist_kmeans_example")
    assert lay.train_key == "mnist_kmeans_example/data"
    assert lay.valid_key == "mnist_kmeans_example/input/valid_data.csv"
    assert lay.dataset_uri == "s3://b/mnist_kmeans_example/data"
    assert lay.batch_input_uri == "s3://b/mnist_kmeans_example/input"
    assert lay.output_uri("r1") == "s3://b/mnist_kmeans_example/output/r1"
    assert split_s3_uri("s3://b/k/x") == ("b", "k/x")


def test_callers_at_once_share_one_read_of_the_sample():
    """A starting cloud's wait reads the sample ahead; setup asking meanwhile gets that read, not a second."""
    import threading

    mnist._read_sample.cache_clear()
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(load_sample())) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(got) == 3 and got[0] is got[1] is got[2]
