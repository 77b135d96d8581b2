"""Hyperparameter search strategies of a tuning job: Random, Grid and Bayesian.

A :class:`Space` is built from the request's ``ParameterRanges`` and encodes each point in the
unit cube (integer and continuous ranges scaled linearly or logarithmically as ``ScalingType``
asks, categoricals one-hot). Strategies propose the next hyperparameters from the trials seen so
far; values come out as the strings a training job takes.

Bayesian is a real Bayesian optimisation: a Gaussian-process surrogate (scikit-learn, Matérn
kernel plus noise) fitted to the objective of finished trials, maximising expected improvement
over random candidates; trials still running are counted at the surrogate's mean ("kriging
believer"), so parallel trials spread out instead of proposing the same point.
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

N_CANDIDATES = 2000


@dataclass(frozen=True)
class Dim:
    name: str
    kind: str  # "Integer" | "Continuous" | "Categorical"
    low: float = 0.0
    high: float = 1.0
    scale: str = "Linear"  # Linear | Logarithmic | ReverseLogarithmic
    values: tuple[str, ...] = ()

    @property
    def width(self) -> int:
        return len(self.values) if self.kind == "Categorical" else 1

    def _to_unit(self, x: float) -> float:
        lo, hi = self.low, self.high
        if hi == lo:
            return 0.0
        if self.scale == "Logarithmic":
            return (math.log(x) - math.log(lo)) / (math.log(hi) - math.log(lo))
        if self.scale == "ReverseLogarithmic":
            return 1.0 - (math.log(1 - x) - math.log(1 - hi)) / (math.log(1 - lo) - math.log(1 - hi))
        return (x - lo) / (hi - lo)

    def _from_unit(self, u: float) -> float:
        lo, hi = self.low, self.high
        u = min(max(u, 0.0), 1.0)
        if self.scale == "Logarithmic":
            return math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        if self.scale == "ReverseLogarithmic":
            return 1 - math.exp(math.log(1 - hi) + (1 - u) * (math.log(1 - lo) - math.log(1 - hi)))
        return lo + u * (hi - lo)

    def decode(self, code: np.ndarray) -> str:
        if self.kind == "Categorical":
            return self.values[int(np.argmax(code))]
        x = self._from_unit(float(code[0]))
        if self.kind == "Integer":
            return str(int(min(max(round(x), self.low), self.high)))
        return repr(float(min(max(x, self.low), self.high)))

    def encode(self, value: str) -> np.ndarray:
        if self.kind == "Categorical":
            out = np.zeros(len(self.values))
            out[self.values.index(value)] = 1.0
            return out
        return np.array([self._to_unit(float(value))])


class Space:
    """The tuned hyperparameters and their unit-cube encoding."""

    def __init__(self, dims: list[Dim]) -> None:
        self.dims = dims
        self.width = sum(d.width for d in dims)

    def decode(self, code: np.ndarray) -> dict[str, str]:
        out, i = {}, 0
        for d in self.dims:
            out[d.name] = d.decode(code[i:i + d.width])
            i += d.width
        return out

    def encode(self, point: dict[str, str]) -> np.ndarray:
        return np.concatenate([d.encode(point[d.name]) for d in self.dims]) if self.dims else np.zeros(0)

    def random_codes(self, rng: np.random.Generator, n: int) -> np.ndarray:
        parts = []
        for d in self.dims:
            if d.kind == "Categorical":
                parts.append(np.eye(d.width)[rng.integers(d.width, size=n)])
            else:
                parts.append(rng.random((n, 1)))
        return np.hstack(parts) if parts else np.zeros((n, 0))

    def grid(self) -> list[dict[str, str]]:
        return [dict(zip([d.name for d in self.dims], combo, strict=True))
                for combo in itertools.product(*[d.values for d in self.dims])]

    def size(self) -> float:
        """How many distinct points there are (inf with a continuous range)."""
        n = 1.0
        for d in self.dims:
            if d.kind == "Categorical":
                n *= len(d.values)
            elif d.kind == "Integer":
                n *= d.high - d.low + 1
            else:
                return math.inf
        return n


@dataclass
class Observation:
    point: dict[str, str]
    value: float | None  # the objective, None while running or when it failed


class Strategy:
    """Proposes hyperparameters; ``sign`` is +1 to minimise, -1 to maximise."""

    def __init__(self, space: Space, seed: int, sign: float) -> None:
        self.space = space
        self.rng = np.random.default_rng(seed)
        self.sign = sign

    def _fresh(self, codes: np.ndarray, seen: list[dict[str, str]]) -> dict[str, str]:
        """The first decoded candidate not tried yet (any one if the space is used up)."""
        taken = {tuple(sorted(p.items())) for p in seen}
        for code in codes:
            point = self.space.decode(code)
            if tuple(sorted(point.items())) not in taken:
                return point
        return self.space.decode(codes[0])

    def propose(self, history: list[Observation]) -> dict[str, str] | None:
        raise NotImplementedError


class RandomSearch(Strategy):
    def propose(self, history: list[Observation]) -> dict[str, str]:
        return self._fresh(self.space.random_codes(self.rng, 64), [o.point for o in history])


class GridSearch(Strategy):
    def __init__(self, space: Space, seed: int, sign: float) -> None:
        super().__init__(space, seed, sign)
        self.points = space.grid()

    def propose(self, history: list[Observation]) -> dict[str, str] | None:
        return self.points[len(history)] if len(history) < len(self.points) else None


class BayesianSearch(Strategy):
    """GP surrogate + expected improvement; the first ``n_init`` points are random."""

    def __init__(self, space: Space, seed: int, sign: float, n_init: int = 3) -> None:
        super().__init__(space, seed, sign)
        self.n_init = n_init

    def propose(self, history: list[Observation]) -> dict[str, str]:
        done = [o for o in history if o.value is not None and math.isfinite(o.value)]
        seen = [o.point for o in history]
        if len(done) < self.n_init or not self.space.dims:
            return self._fresh(self.space.random_codes(self.rng, 64), seen)
        from scipy.stats import norm
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        X = np.array([self.space.encode(o.point) for o in done])
        y = self.sign * np.array([o.value for o in done], dtype=float)
        kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(length_scale=np.full(X.shape[1], 0.5),
                                                           length_scale_bounds=(1e-2, 1e2), nu=2.5) \
            + WhiteKernel(1e-3, (1e-8, 1e0))
        seed = int(self.rng.integers(2**31))
        gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True, n_restarts_optimizer=1, random_state=seed)
        pending = [o.point for o in history if o.value is None]
        best, best_code = float(np.min(y)), X[int(np.argmin(y))]  # the best observed, not a believed value
        with warnings.catch_warnings():  # length scales at their bounds are expected with few trials
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp.fit(X, y)
            if pending:  # kriging believer: running trials count at the surrogate's mean (same kernel, no refit)
                P = np.array([self.space.encode(p) for p in pending])
                X, y = np.vstack([X, P]), np.concatenate([y, gp.predict(P)])
                gp = GaussianProcessRegressor(kernel=gp.kernel_, normalize_y=True, optimizer=None).fit(X, y)
        cand = self.space.random_codes(self.rng, N_CANDIDATES)
        local = np.clip(best_code + self.rng.normal(0, 0.08, size=(N_CANDIDATES // 4, X.shape[1])), 0, 1)
        cand = np.vstack([cand, local])
        mu, sd = gp.predict(cand, return_std=True)
        sd = np.maximum(sd, 1e-12)
        z = (best - mu) / sd
        ei = (best - mu) * norm.cdf(z) + sd * norm.pdf(z)
        order = np.argsort(-ei)
        return self._fresh(cand[order], seen)


def _warm_up() -> None:
    """Import the surrogate's libraries and fit one tiny surrogate (about 2-3 s cold: the first fit
    still loads scipy's optimiser and sklearn's validation) while the first, random trials run, so the
    first Bayesian proposal does not hold the next trial back."""
    try:
        BayesianSearch(Space([Dim("x", "Continuous"), Dim("y", "Continuous")]), 0, 1.0, n_init=1).propose(
            [Observation({"x": "0.1", "y": "0.2"}, 1.0), Observation({"x": "0.7", "y": "0.4"}, 0.5),
             Observation({"x": "0.4", "y": "0.9"}, None)])
    except Exception:  # noqa: BLE001, S110 - only a head start
        pass


@functools.cache
def _warm_up_once() -> None:
    import threading

    threading.Thread(target=_warm_up, daemon=True, name="kfsm-bayes-import").start()


def make_strategy(name: str, space: Space, seed: int, sign: float) -> Strategy:
    if name == "Bayesian":
        _warm_up_once()
    return {"Random": RandomSearch, "Grid": GridSearch, "Bayesian": BayesianSearch}[name](space, seed, sign)


def space_from_ranges(ranges: dict[str, Any]) -> Space:
    dims: list[Dim] = []
    for r in ranges.get("IntegerParameterRanges") or []:
        dims.append(Dim(r["Name"], "Integer", float(int(r["MinValue"])), float(int(r["MaxValue"])),
                        _scale(r, "Integer", float(r["MinValue"]), float(r["MaxValue"]))))
    for r in ranges.get("ContinuousParameterRanges") or []:
        dims.append(Dim(r["Name"], "Continuous", float(r["MinValue"]), float(r["MaxValue"]),
                        _scale(r, "Continuous", float(r["MinValue"]), float(r["MaxValue"]))))
    for r in ranges.get("CategoricalParameterRanges") or []:
        dims.append(Dim(r["Name"], "Categorical", values=tuple(dict.fromkeys(r["Values"]))))
    return Space(dims)


def _scale(r: dict[str, Any], kind: str, lo: float, hi: float) -> str:
    scale = r.get("ScalingType") or "Auto"
    if scale == "Auto":  # the service picks log scaling for wide positive ranges; linear otherwise
        return "Logarithmic" if lo > 0 and hi / lo >= 100 else "Linear"
    return scale
