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


def _report_with_no_five():
    """A report whose clusters never name a 5 (what k = 10 does on the sample), from made-up answers."""
    from kfsm_lab.predictions import PredictionReport
    from kfsm_lab.predictions.evaluate import evaluate

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 20)
    # cluster c holds digit c, except that the 5s fall into the clusters of 3 and 8 and cluster 5 holds 4s
    clusters = labels.copy()
    clusters[labels == 5] = np.where(np.arange(20) % 2 == 0, 3, 8)
    clusters[(labels == 4) & (np.arange(200) % 2 == 0)] = 5
    ev = evaluate(clusters, labels, clusters, labels, 10)
    X = rng.random((len(labels), 784)).astype(np.float32)
    return PredictionReport("r1", "kfsm-r1-endpoint", {"predictions": []}, ev, "batch-transform output", X, labels,
                            clusters, rng.random((10, 784)).astype(np.float32))


def test_a_digit_never_predicted_is_explained_with_a_change_that_works():
    report = _report_with_no_five()
    ev = report.evaluation
    assert ev.missing_digits == [5] and ev.went_to(5) == [3, 8] and ev.suggested_k == 20
    why = report.explanation("en")
    assert why.startswith("No cluster became a 5: its test digits went to 3 and 8")
    assert "k = 10 does not promise one cluster per digit" in why and "`kfsm-lab run -p k=20`" in why
    assert why in report.text("en") and "<code>kfsm-lab run -p k=20</code>" in report.html("en")
    assert "5 になったクラスターはありません" in report.explanation("ja") and "3と8" in report.explanation("ja")
    assert report.to_dict()["missing_digits"] == [5]


def test_prediction_figures_explain_their_notation_in_both_languages():
    report = _report_with_no_five()
    figs = report.figures_with_alt(n=20, lang="en")
    assert set(figs) == {"digits", "confusion", "centroids"}
    digits, alt = figs["digits"]
    assert "cluster → digit" in digits.get_supxlabel() and "test digits" in alt
    assert "No cluster became a 5" in figs["confusion"][0].get_supxlabel()
    titles = [text.get_text() for ax in figs["centroids"][0].axes for text in ax.texts]
    assert "cluster 4\n→ 4 (#1)" in titles and "cluster 5\n→ 4 (#2)" in titles  # two clusters named 4, told apart
    assert not any("%" in text.get_text() for ax in digits.axes for text in ax.texts)  # one accuracy (the
    assert "%" not in digits.get_suptitle()  # confusion matrix's), not two
    ja = report.figures_with_alt(n=20, lang="ja")
    assert "正解率" in ja["confusion"][0].axes[0].get_title() and "クラスター" in ja["digits"][0].get_supxlabel()
