"""Coverage scaling-law fits (Brown et al. 2024, "Large Language Monkeys: Scaling Inference Compute with
Repeated Sampling"): coverage, the mean pass@k over problems, follows an exponentiated power law in the
number of samples, c(k) = exp(a * k^b) with a < 0 and b < 0, i.e. log c(k) = a * k^b.

The fit minimises the squared error of log c(k) over the points with c(k) > 0. For a fixed b the best a is
linear least squares, so only b is searched, on a fine grid. Intervals
are percentile bootstrap over problems: the problems are resampled, the coverage curve is recomputed,
and the law is fitted again. Every fit is checked on its own run: fitted on k <= n/4 only, it predicts
coverage at k = n, and the prediction error says how far the extrapolation can be trusted.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from thinkbench.harness.metrics.estimators import Interval

# The coverage whose sample count the fit extrapolates to, as Brown et al. read their curves.
TARGET_COVERAGE = 0.9
# Held-out check: fit on k <= n / HELD_OUT_SHARE, predict k = n.
HELD_OUT_SHARE = 4
# b < 0 (coverage rises with k), on a grid fine enough (0.7% apart) that it needs no refinement.
_B_GRID = -np.geomspace(1e-4, 5.0, 1500)
_BOOTSTRAP = 1000


@dataclass(frozen=True)
class PowerLaw:
    a: float
    b: float

    def coverage(self, k: float) -> float:
        return math.exp(self.a * k**self.b)

    def k_for(self, target: float) -> float:
        """Samples needed for coverage `target`: k = (log target / a)^(1/b); inf where never reached."""
        if self.coverage(1) >= target:
            return 1.0
        if self.a >= 0 or self.b >= 0:
            return math.inf
        return (math.log(target) / self.a) ** (1 / self.b)


@dataclass(frozen=True)
class HeldOut:
    fit_ks: tuple[int, ...]  # the k it was fitted on (<= n/4)
    n: int
    predicted: Interval  # coverage at n from that fit, with its bootstrap interval
    observed: float  # coverage at n, measured
    error: float  # predicted - observed


@dataclass(frozen=True)
class CoverageFit:
    ks: tuple[int, ...]  # every k the curve has; the fit uses those with coverage > 0
    observed: tuple[float, ...]
    a: Interval
    b: Interval
    target: float
    k_for_target: Interval  # inf where the fit never reaches the target
    held_out: HeldOut | None  # None with fewer than two points at k <= n/4


def fit_power_law(ks: np.ndarray, coverage: np.ndarray) -> PowerLaw | None:
    """Least squares of log c(k) = a * k^b over points with c > 0; None with fewer than two."""
    return _fit_many(ks, coverage[None, :])[0]


def _fit_many(ks: np.ndarray, curves: np.ndarray) -> list[PowerLaw | None]:
    """`fit_power_law` for each row of `curves`, all at once. With x = k^b, the best a is x.y / x.x and
    the squared error y.y - (x.y)^2 / x.x; points with no coverage drop out of every sum."""
    keep = curves > 0
    y = np.where(keep, np.log(np.where(keep, curves, 1.0)), 0.0)
    x = ks.astype(np.float64)[None, :] ** _B_GRID[:, None]  # grid x k
    out: list[PowerLaw | None] = [None] * len(curves)
    for mask in np.unique(keep, axis=0):
        if mask.sum() < 2:
            continue
        rows = np.flatnonzero((keep == mask).all(axis=1))
        xm = x * mask
        xy = y[rows] @ xm.T  # row x grid
        sse = (y[rows] ** 2).sum(axis=1)[:, None] - xy**2 / (xm**2).sum(axis=1)
        best = np.argmin(sse, axis=1)
        a = xy[np.arange(len(rows)), best] / (xm[best] ** 2).sum(axis=1)
        for r, ai, bi in zip(rows, a, _B_GRID[best]):
            out[r] = PowerLaw(float(ai), float(bi))
    return out


def _curves(matrix: np.ndarray, seed: int) -> np.ndarray:
    """Mean coverage per k of each bootstrap resample of the problems (rows of `matrix`)."""
    rng = np.random.default_rng(seed)
    rows = matrix.shape[0]
    counts = np.stack([np.bincount(rng.integers(0, rows, rows), minlength=rows) for _ in range(_BOOTSTRAP)])
    return counts @ matrix / rows


def _interval(point: float, replicates: list[float], level: float = 0.95) -> Interval:
    alpha = (1 - level) / 2
    # No interpolation: replicates may be inf (the target never reached).
    low, high = np.quantile(np.asarray(replicates), [alpha, 1 - alpha], method="inverted_cdf")
    return Interval(point, float(low), float(high))


def _fits(ks: np.ndarray, matrix: np.ndarray, seed: int) -> tuple[PowerLaw | None, list[PowerLaw]]:
    law = fit_power_law(ks, matrix.mean(axis=0))
    replicates = _fit_many(ks, _curves(matrix, seed)) if law else []
    return law, [r for r in replicates if r is not None]


def coverage_fit(curve: Mapping[int, Mapping[str, float]], *, target: float = TARGET_COVERAGE,
                 seed: int = 0) -> CoverageFit | None:
    """Fit the law to a coverage curve given as {k: {problem id: pass@k}} (every k over the same
    problems); None where fewer than two k have any coverage."""
    ks = np.array(sorted(curve))
    problems = sorted(curve[ks[0]])
    if any(sorted(curve[k]) != problems for k in ks):
        raise ValueError("every k of a coverage curve needs the same problems")
    matrix = np.array([[curve[k][p] for k in ks] for p in problems], dtype=np.float64)
    law, replicates = _fits(ks, matrix, seed)
    if law is None:
        return None
    held_out = None
    n = int(ks.max())
    early = ks <= n // HELD_OUT_SHARE
    early_law, early_replicates = _fits(ks[early], matrix[:, early], seed)
    if early_law is not None:
        predicted = _interval(early_law.coverage(n), [r.coverage(n) for r in early_replicates])
        observed = float(matrix[:, -1].mean())
        held_out = HeldOut(tuple(int(k) for k in ks[early]), n, predicted, observed, predicted.mean - observed)
    return CoverageFit(
        tuple(int(k) for k in ks), tuple(float(c) for c in matrix.mean(axis=0)),
        _interval(law.a, [r.a for r in replicates]), _interval(law.b, [r.b for r in replicates]),
        target, _interval(law.k_for(target), [r.k_for(target) for r in replicates]), held_out)
