"""The algorithm and the inference formats on their own (no server): validation and edge cases."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kfsm_lab.localcloud import kmeans, runtime


def test_hyperparameters_are_validated_like_the_service():
    p = kmeans.parse_hyperparameters({"k": "10", "feature_dim": "784", "mini_batch_size": "500",
                                      "eval_metrics": '["msd", "ssd"]', "extra_center_factor": "auto",
                                      "_tuning_objective_metric": "test:msd"})
    assert (p.k, p.feature_dim, p.mini_batch_size, p.eval_metrics) == (10, 784, 500, ("msd", "ssd"))
    bad = [
        ({"feature_dim": "784"}, "No value(s) were specified for 'k'"),
        ({}, "'feature_dim', 'k'"),
        ({"k": "ten", "feature_dim": "784"}, "k: 'ten' is not an integer"),
        ({"k": "0", "feature_dim": "784"}, "less than the minimum"),
        ({"k": "2", "feature_dim": "784", "eval_metrics": "msd"}, "not valid JSON"),
        ({"k": "2", "feature_dim": "784", "eval_metrics": '["mse"]'}, "drawn from"),
        ({"k": "2", "feature_dim": "784", "local_lloyd_tol": "2"}, "between 0 and 1"),
    ]
    for hp, words in bad:
        with pytest.raises(kmeans.AlgorithmClientError) as info:
            kmeans.parse_hyperparameters(hp)
        assert words in str(info.value) and str(info.value).startswith("ClientError: ")


def test_fit_finds_well_separated_clusters_whatever_the_options():
    rng = np.random.default_rng(3)
    centers = np.array([[0, 0], [10, 10], [-10, 10]], dtype=np.float32)
    X = np.vstack([c + rng.normal(0, 0.5, (200, 2)) for c in centers]).astype(np.float32)
    rng.shuffle(X)
    for extra in ({}, {"init_method": "kmeans++"}, {"mini_batch_size": "50", "epochs": "3"},
                  {"half_life_time_size": "100", "extra_center_factor": "1", "local_lloyd_init_method": "random"}):
        p = kmeans.parse_hyperparameters({"k": "3", "feature_dim": "2", **extra})
        found = kmeans.fit(X, p).centroids
        nearest = np.sqrt(kmeans.squared_distances(centers, found)).min(axis=1)
        assert nearest.max() < 0.5, extra


def test_data_checks():
    p = kmeans.parse_hyperparameters({"k": "5", "feature_dim": "3"})
    with pytest.raises(kmeans.AlgorithmClientError, match="feature_dim"):
        kmeans.fit(np.zeros((10, 4), np.float32), p)
    with pytest.raises(kmeans.AlgorithmClientError, match="larger than the number"):
        kmeans.fit(np.zeros((3, 3), np.float32), p)
    with pytest.raises(kmeans.AlgorithmClientError, match="NaN"):
        kmeans.fit(np.full((10, 3), np.nan, np.float32), p)


def test_request_parsing_and_rendering():
    C = np.array([[0, 0], [3, 4]], dtype=np.float32)
    X = runtime.parse_request(b"3,4\n0,1\n", "text/csv", 2)
    idx, dist = runtime.predict(X, C)
    assert idx.tolist() == [1, 0] and np.allclose(dist, [0, 1])
    assert json.loads(runtime.render(idx, dist, runtime.JSON)) == {"predictions": [
        {"closest_cluster": 1.0, "distance_to_cluster": 0.0}, {"closest_cluster": 0.0, "distance_to_cluster": 1.0}]}
    assert runtime.render(idx, dist, runtime.CSV) == b"1.0,0.0\n0.0,1.0\n"
    assert runtime.parse_request(b"9,3,4", "text/csv; label_size=1", 2).tolist() == [[3, 4]]
    assert runtime.choose_accept(None) == runtime.choose_accept("*/*") == runtime.JSON
    assert runtime.choose_accept("text/csv, application/json") == runtime.CSV
    for body, ctype, status, words in [
        (b"1,2,3", "text/csv", 400, "2 features"),
        (b"1,2\n1", "text/csv", 400, "different numbers"),
        (b"{}", "application/json", 400, "instances"),
        (b'{"instances": [{"x": 1}]}', "application/json", 400, "features"),
        (b"", "text/csv", 400, "empty"),
        (b"1,2", "application/octet-stream", 415, "not supported"),
        (b"junk", "application/x-recordio-protobuf", 400, "RecordIO"),
    ]:
        with pytest.raises(runtime.InferenceError, match=words) as info:
            runtime.parse_request(body, ctype, 2)
        assert info.value.status == status
    with pytest.raises(runtime.InferenceError) as info:
        runtime.choose_accept("image/png")
    assert info.value.status == 406


@pytest.mark.parametrize(("name", "a", "b"), [
    ("mini_batch_size", "50", "400"), ("extra_center_factor", "1", "6"), ("init_method", "random", "kmeans++"),
    ("epochs", "1", "3"), ("half_life_time_size", "0", "20"), ("local_lloyd_init_method", "random", "kmeans++"),
    ("local_lloyd_max_iter", "1", "50"), ("local_lloyd_num_trials", "1", "4"), ("local_lloyd_tol", "0.5", "0.00001"),
])
def test_every_tunable_hyperparameter_changes_the_fit(name, a, b):
    """Each hyperparameter SageMaker documents for k-means (and a tuning job may search) is honoured."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 1.0, size=(150, 4)) for c in (0, 4, 8, 12)]).astype(np.float32)
    rng.shuffle(X)

    def fit(value: str) -> tuple[bytes, list[tuple[str, float]]]:
        """The centroids and every step the fit took with its cost."""
        seen: list[tuple[str, float]] = []
        hp = {"k": "4", "feature_dim": "4", "mini_batch_size": "100", "local_lloyd_max_iter": "3", name: value}
        result = kmeans.fit(X, kmeans.parse_hyperparameters(hp), on_step=lambda stage, i, v: seen.append((stage, v)))
        return result.centroids.tobytes(), seen

    assert fit(a) != fit(b), f"{name}={a} and {name}={b} fit the same way"


def test_on_step_can_interrupt_a_fit():
    X = np.random.default_rng(1).random((2000, 8), dtype=np.float32)
    params = kmeans.parse_hyperparameters({"k": "5", "feature_dim": "8", "mini_batch_size": "50", "epochs": "50"})

    class Stop(Exception):
        pass

    calls = []

    def stop_after_ten(stage: str, step: int, value: float) -> None:
        calls.append(stage)
        if len(calls) == 10:
            raise Stop

    with pytest.raises(Stop):
        kmeans.fit(X, params, on_step=stop_after_ten)
    assert calls.count("batch") == 10
