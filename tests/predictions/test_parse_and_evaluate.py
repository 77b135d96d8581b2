"""Decoding k-means answers and scoring: pure functions, checked on known inputs."""

import io
import tarfile

import numpy as np
import pytest

from kfsm_lab.data.ndarray import save_ndarrays
from kfsm_lab.errors import KfsmError
from kfsm_lab.predictions.artifacts import centroids_from_tar
from kfsm_lab.predictions.evaluate import confusion, evaluate, map_clusters
from kfsm_lab.predictions.invoke import parse_predictions


@pytest.mark.parametrize("payload", [
    '{"predictions": [{"closest_cluster": 6.0, "distance_to_cluster": 7.4}, '
    '{"closest_cluster": 1.0, "distance_to_cluster": 2.5}]}',
    '{"closest_cluster": 6.0, "distance_to_cluster": 7.4}\n{"closest_cluster": 1.0, "distance_to_cluster": 2.5}\n',
    '{"predictions": [{"closest_cluster": 6.0, "distance_to_cluster": 7.4}]}\n'
    '{"predictions": [{"closest_cluster": 1.0, "distance_to_cluster": 2.5}]}',
    "6.0,7.4\n1.0,2.5\n",
])
def test_parse_predictions_every_format(payload):
    c, d = parse_predictions(payload)
    assert c.tolist() == [6, 1]
    np.testing.assert_allclose(d, [7.4, 2.5])


def test_parse_rejects_other_json():
    with pytest.raises(ValueError, match="not a k-means prediction"):
        parse_predictions('{"foo": 1}')


def test_mapping_and_score():
    # clusters 0,1,2 hold mostly digits 7, 3, 7; cluster 3 is empty
    map_c = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    map_y = np.array([7, 7, 1, 3, 3, 7, 7, 2])
    mapping = map_clusters(map_c, map_y, k=4)
    assert mapping.tolist() == [7, 3, 7, -1]
    ev = evaluate(map_c, map_y, np.array([0, 1, 2, 3]), np.array([7, 3, 1, 5]), k=4)
    assert ev.accuracy == pytest.approx(0.5)
    assert ev.confusion[7, 7] == 1 and ev.confusion[1, 7] == 1 and ev.confusion.sum() == 3  # unmapped dropped
    assert ev.per_digit[7] == 1.0 and ev.per_digit[1] == 0.0
    cm = confusion(np.array([0, 1]), np.array([0, -1]))
    assert cm.sum() == 1


def test_centroids_from_a_model_tar():
    centers = np.arange(10 * 784, dtype=np.float32).reshape(10, 784)
    blob = save_ndarrays([centers])
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("model_algo-1")
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))
    np.testing.assert_array_equal(centroids_from_tar(buf.getvalue()), centers)
    empty = io.BytesIO()
    with tarfile.open(fileobj=empty, mode="w:gz"):
        pass
    with pytest.raises(KfsmError, match="no model_algo-1"):
        centroids_from_tar(empty.getvalue())
