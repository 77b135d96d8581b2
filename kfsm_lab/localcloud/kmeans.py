"""The SageMaker built-in k-means algorithm, in numpy.

Like the real algorithm (web-scale mini-batch k-means): it streams the ``train`` channel in
mini-batches of ``mini_batch_size`` for ``epochs`` passes, keeping ``k × extra_center_factor``
centers updated with per-center learning rates (``half_life_time_size`` decays old counts),
then reduces those centers to ``k`` with a weighted local Lloyd's run (``local_lloyd_*``), keeping
the best of ``local_lloyd_num_trials`` trials. Hyperparameters are validated as the service does
(all strings, ``k`` and ``feature_dim`` required, unknown names rejected) and problems raise
:class:`AlgorithmClientError`, whose text becomes the job's ``FailureReason``.

``extra_center_factor=auto`` and ``local_lloyd_num_trials=auto`` resolve to 8 and 3 here: the
service does not publish its rule, and these keep training fast on one core.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

REQUIRED = ("feature_dim", "k")
DEFAULTS: dict[str, str] = {
    "epochs": "1", "eval_metrics": '["msd"]', "extra_center_factor": "auto", "half_life_time_size": "0",
    "init_method": "random", "local_lloyd_init_method": "kmeans++", "local_lloyd_max_iter": "300",
    "local_lloyd_num_trials": "auto", "local_lloyd_tol": "0.0001", "mini_batch_size": "5000",
    "force_dense": "true",
}
# What DescribeTrainingJob reports for the built-in image: the regexes CloudWatch metrics are read with,
# matched by the ``#quality_metric`` / ``#progress_metric`` / ``#throughput_metric`` lines this module logs.
METRIC_DEFINITIONS: tuple[dict[str, str], ...] = (
    {"Name": "test:msd", "Regex": "#quality_metric: host=\\S+, test msd <loss>=(\\S+)"},
    {"Name": "train:progress", "Regex": "#progress_metric: host=\\S+, completed (\\S+) %"},
    {"Name": "test:ssd", "Regex": "#quality_metric: host=\\S+, test ssd <loss>=(\\S+)"},
    {"Name": "train:msd", "Regex": "#quality_metric: host=\\S+, train msd <loss>=(\\S+)"},
    {"Name": "train:throughput", "Regex": "#throughput_metric: host=\\S+, train throughput=(\\S+) records/second"},
)
OBJECTIVE_METRICS = {"test:msd": "Minimize", "test:ssd": "Minimize"}  # what a tuning job may optimise
AUTO_EXTRA_CENTER_FACTOR = 8
AUTO_LLOYD_TRIALS = 3
DEFAULT_SEED = 1  # fixed so local results repeat; accuracy on small samples varies ±0.05 with it


class AlgorithmClientError(ValueError):
    """A problem with the customer's input (hyperparameters or data): the job fails with it."""

    def __str__(self) -> str:
        return f"ClientError: {super().__str__()}"


@dataclass(frozen=True)
class KMeansParams:
    k: int
    feature_dim: int
    mini_batch_size: int = 5000
    epochs: int = 1
    init_method: str = "random"
    extra_center_factor: int = AUTO_EXTRA_CENTER_FACTOR
    half_life_time_size: int = 0
    eval_metrics: tuple[str, ...] = ("msd",)
    local_lloyd_init_method: str = "kmeans++"
    local_lloyd_max_iter: int = 300
    local_lloyd_num_trials: int = AUTO_LLOYD_TRIALS
    local_lloyd_tol: float = 1e-4


def _int(name: str, raw: str, low: int = 1) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise AlgorithmClientError(f"Hyperparameter {name}: {raw!r} is not an integer") from None
    if value < low:
        raise AlgorithmClientError(f"Hyperparameter {name}: {value} is less than the minimum {low}")
    return value


def _choice(name: str, raw: str, allowed: tuple[str, ...]) -> str:
    if raw not in allowed:
        raise AlgorithmClientError(f"Hyperparameter {name}: {raw!r} is not one of {list(allowed)}")
    return raw


def _auto_int(name: str, raw: str, auto: int) -> int:
    return auto if str(raw).strip() == "auto" else _int(name, raw)


def parse_hyperparameters(hp: dict[str, str] | None) -> KMeansParams:
    """Validate the job's HyperParameters the way the k-means container does."""
    hp = dict(hp or {})
    missing = [n for n in REQUIRED if n not in hp]
    if missing:
        names = ", ".join(f"'{n}'" for n in missing)
        raise AlgorithmClientError(f"No value(s) were specified for {names} which are required "
                                   "hyperparameter(s) (caused by ValidationError)")
    unknown = sorted(n for n in hp if n not in DEFAULTS and n not in REQUIRED and not n.startswith("_"))
    if unknown:
        raise AlgorithmClientError(f"Additional hyperparameters are not allowed ({unknown[0]!r} was unexpected) "
                                   "(caused by ValidationError)")
    v = {**DEFAULTS, **{n: str(x) for n, x in hp.items()}}
    try:
        metrics = json.loads(v["eval_metrics"])
    except ValueError:
        raise AlgorithmClientError(f"Hyperparameter eval_metrics: {v['eval_metrics']!r} is not valid JSON; "
                                   'use e.g. ["msd"] or ["msd", "ssd"]') from None
    if (not isinstance(metrics, list) or not metrics or any(m not in ("msd", "ssd") for m in metrics)):
        raise AlgorithmClientError(f"Hyperparameter eval_metrics: {v['eval_metrics']!r} must be a JSON list "
                                   'drawn from ["msd", "ssd"]')
    try:
        tol = float(v["local_lloyd_tol"])
    except ValueError:
        raise AlgorithmClientError(f"Hyperparameter local_lloyd_tol: {v['local_lloyd_tol']!r} is not a number") \
            from None
    if not 0.0 <= tol <= 1.0:
        raise AlgorithmClientError(f"Hyperparameter local_lloyd_tol: {tol} must be between 0 and 1")
    if v["force_dense"].lower() not in ("true", "false"):
        raise AlgorithmClientError(f"Hyperparameter force_dense: {v['force_dense']!r} must be true or false")
    return KMeansParams(
        k=_int("k", v["k"]),
        feature_dim=_int("feature_dim", v["feature_dim"]),
        mini_batch_size=_int("mini_batch_size", v["mini_batch_size"]),
        epochs=_int("epochs", v["epochs"]),
        init_method=_choice("init_method", v["init_method"], ("random", "kmeans++")),
        extra_center_factor=_auto_int("extra_center_factor", v["extra_center_factor"], AUTO_EXTRA_CENTER_FACTOR),
        half_life_time_size=_int("half_life_time_size", v["half_life_time_size"], low=0),
        eval_metrics=tuple(dict.fromkeys(metrics)),
        local_lloyd_init_method=_choice("local_lloyd_init_method", v["local_lloyd_init_method"],
                                        ("random", "kmeans++")),
        local_lloyd_max_iter=_int("local_lloyd_max_iter", v["local_lloyd_max_iter"]),
        local_lloyd_num_trials=_auto_int("local_lloyd_num_trials", v["local_lloyd_num_trials"], AUTO_LLOYD_TRIALS),
        local_lloyd_tol=tol,
    )


def check_data(X: np.ndarray, params: KMeansParams, channel: str) -> None:
    """Fail like the service when the data does not fit ``feature_dim`` or is too small."""
    if X.ndim != 2 or X.shape[0] == 0:
        raise AlgorithmClientError(f"No records were found in the '{channel}' channel")
    if X.shape[1] != params.feature_dim:
        raise AlgorithmClientError(
            f"The feature_dim hyperparameter ({params.feature_dim}) does not match the data: records in the "
            f"'{channel}' channel have {X.shape[1]} features. Set feature_dim to {X.shape[1]}.")
    if channel == "train" and X.shape[0] < params.k:
        raise AlgorithmClientError(f"k ({params.k}) is larger than the number of training records ({X.shape[0]})")
    if not np.isfinite(X).all():
        raise AlgorithmClientError(f"The '{channel}' channel contains NaN or infinite values")


def squared_distances(X: np.ndarray, C: np.ndarray, x_sq: np.ndarray | None = None) -> np.ndarray:
    """``[n, k]`` squared Euclidean distances (clipped at 0 against rounding)."""
    if x_sq is None:
        x_sq = np.einsum("ij,ij->i", X, X)
    d = x_sq[:, None] - 2.0 * (X @ C.T) + np.einsum("ij,ij->i", C, C)[None, :]
    np.maximum(d, 0.0, out=d)
    return d


def assign(X: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closest center and its squared distance for each row."""
    d = squared_distances(X, C)
    idx = d.argmin(axis=1)
    return idx, d[np.arange(len(X)), idx]


def _cluster_sums(X: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
    """Per-cluster row sums, one masked sum per cluster, accumulated in float64.

    Faster than both ``np.add.at`` (~100×) and a one-hot matrix product (~10× on 2 cores: a
    k-row product is a poor fit for BLAS, and it was most of a 60k-row fit).
    """
    out = np.zeros((k, X.shape[1]))
    for c in np.unique(idx):
        out[c] = X[idx == c].sum(axis=0, dtype=np.float64)
    return out


def _kmeans_pp(X: np.ndarray, n: int, rng: np.random.Generator, weights: np.ndarray | None = None) -> np.ndarray:
    w = np.ones(len(X)) if weights is None else weights.astype(np.float64)
    first = rng.choice(len(X), p=w / w.sum())
    centers = [X[first]]
    x_sq = np.einsum("ij,ij->i", X, X)  # once, not once per center (it was most of the init's time)
    best = squared_distances(X, X[first][None, :], x_sq)[:, 0].astype(np.float64)
    for _ in range(1, n):
        p = best * w
        total = p.sum()
        nxt = rng.choice(len(X), p=p / total) if total > 0 else rng.integers(len(X))
        centers.append(X[nxt])
        np.minimum(best, squared_distances(X, X[nxt][None, :], x_sq)[:, 0], out=best)
    return np.array(centers, dtype=X.dtype)


def _init(X: np.ndarray, n: int, method: str, rng: np.random.Generator,
          weights: np.ndarray | None = None) -> np.ndarray:
    if method == "kmeans++":
        return _kmeans_pp(X, n, rng, weights)
    p = None if weights is None else weights / weights.sum()
    nonzero = len(X) if weights is None else int((weights > 0).sum())
    idx = rng.choice(len(X), size=n, replace=n > nonzero, p=p)
    return X[idx].copy()


OnStep = Callable[[str, int, float], None]
"""Called as ``on_step(stage, step, value)`` after every mini-batch, epoch and Lloyd iteration; it may
raise to interrupt the fit (a stop request, MaxRuntimeInSeconds, early stopping)."""


def _noop(stage: str, step: int, value: float) -> None:
    pass


def _weighted_lloyd(X: np.ndarray, w: np.ndarray, k: int, params: KMeansParams, rng: np.random.Generator,
                    on_step: OnStep = _noop) -> tuple[np.ndarray, float]:
    C = _init(X, k, params.local_lloyd_init_method, rng, w)
    prev = np.inf
    for it in range(params.local_lloyd_max_iter):
        idx, d = assign(X, C)
        cost = float((d * w).sum())
        on_step("lloyd", it + 1, cost)
        sums = _cluster_sums(X.astype(np.float64) * w[:, None], idx, k)
        mass = np.bincount(idx, weights=w, minlength=k)
        filled = mass > 0
        C[filled] = (sums[filled] / mass[filled, None]).astype(C.dtype)
        if prev < np.inf and prev - cost <= params.local_lloyd_tol * max(prev, 1e-12):
            break
        prev = cost
    _, d = assign(X, C)
    return C, float((d * w).sum())


@dataclass
class FitResult:
    centroids: np.ndarray  # float32 [k, feature_dim]
    log: list[str] = field(default_factory=list)
    batches: int = 0


def fit(X: np.ndarray, params: KMeansParams, seed: int = DEFAULT_SEED, on_step: OnStep = _noop,
        host: str = "algo-1") -> FitResult:
    """Mini-batch k-means over ``X`` followed by the local Lloyd reduction to ``k`` centers.

    ``on_step`` sees every step (see :data:`OnStep`); log lines name ``host`` as the service's do.
    """
    check_data(X, params, "train")
    rng = np.random.default_rng(seed)
    X = np.ascontiguousarray(X, dtype=np.float32)
    n = len(X)
    n_centers = min(params.k * params.extra_center_factor, n)
    first = X[: max(params.mini_batch_size, n_centers)]
    C = _init(first, n_centers, params.init_method, rng).astype(np.float64)
    counts = np.zeros(n_centers)
    log = [f"Number of centers: {params.k} (working with {n_centers} centers, "
           f"extra_center_factor={params.extra_center_factor}), init_method={params.init_method}"]
    batches = 0
    decay = 0.5 ** (params.mini_batch_size / params.half_life_time_size) if params.half_life_time_size else 1.0
    for epoch in range(params.epochs):
        sse = 0.0
        for start in range(0, n, params.mini_batch_size):
            B = X[start:start + params.mini_batch_size].astype(np.float64)
            idx, d = assign(B, C)
            sse += float(d.sum())
            counts *= decay
            hits = np.bincount(idx, minlength=n_centers).astype(np.float64)
            sums = _cluster_sums(B, idx, n_centers)
            counts += hits
            upd = hits > 0
            eta = hits[upd] / counts[upd]
            C[upd] = (1.0 - eta)[:, None] * C[upd] + eta[:, None] * (sums[upd] / hits[upd, None])
            batches += 1
            on_step("batch", batches, float(d.mean()))
        on_step("epoch", epoch + 1, sse / n)
        log.append(f"#progress_metric: host={host}, completed {100.0 * (epoch + 1) / params.epochs:.1f} % of "
                   f"epochs (epoch {epoch + 1}: mean squared distance {sse / n:.6f} over {batches} mini-batches)")
    live = counts > 0
    centers, weights = C[live].astype(np.float32), counts[live]
    if len(centers) < params.k:  # too few centers survived: fall back to all the data
        centers, weights = X, np.ones(n)
    best: tuple[np.ndarray, float] | None = None
    for trial in range(params.local_lloyd_num_trials):
        cand = _weighted_lloyd(centers, weights, params.k, params, rng, on_step)
        log.append(f"local Lloyd trial {trial + 1}: weighted cost {cand[1]:.4f}")
        if best is None or cand[1] < best[1]:
            best = cand
    assert best is not None
    C_final, iters, cost = _refine(X, best[0], params, on_step=on_step)
    log.append(f"Lloyd refinement over the training data: {iters} iteration(s), cost {cost:.4f}")
    return FitResult(C_final, log, batches)


def _refine(X: np.ndarray, C: np.ndarray, params: KMeansParams, chunk: int = 8192, on_step: OnStep = _noop
            ) -> tuple[np.ndarray, int, float]:
    """Full-data Lloyd passes from the reduced centers, until the cost stops improving by ``tol``.

    The service stops after the reduction; on the small local data sets this extra step removes
    most of the run-to-run noise of mini-batch updates at a cost of milliseconds.
    """
    C = C.astype(np.float64)
    x_sq = np.einsum("ij,ij->i", X, X)
    prev = np.inf
    it = 0
    for it in range(1, params.local_lloyd_max_iter + 1):
        sums = np.zeros_like(C)
        mass = np.zeros(len(C))
        cost = 0.0
        C32 = C.astype(np.float32)
        for s in range(0, len(X), chunk):
            part = X[s:s + chunk]
            d = squared_distances(part, C32, x_sq[s:s + chunk])
            idx = d.argmin(axis=1)
            cost += float(d[np.arange(len(part)), idx].sum())
            sums += _cluster_sums(part, idx, len(C))
            mass += np.bincount(idx, minlength=len(C))
            on_step("refine", it, cost)
        filled = mass > 0
        C[filled] = sums[filled] / mass[filled, None]
        if prev - cost <= params.local_lloyd_tol * max(prev, 1e-12) if prev < np.inf else False:
            break
        prev = cost
    return C.astype(np.float32), it, cost


def msd_ssd(X: np.ndarray, C: np.ndarray, chunk: int = 8192) -> tuple[float, float]:
    """Mean and sum of squared distances of rows to their closest center."""
    total = 0.0
    for s in range(0, len(X), chunk):
        total += float(assign(X[s:s + chunk], C)[1].sum())
    return total / max(len(X), 1), total


__all__ = [
    "AlgorithmClientError", "FitResult", "KMeansParams", "assign", "check_data", "fit", "msd_ssd",
    "parse_hyperparameters", "squared_distances",
]
