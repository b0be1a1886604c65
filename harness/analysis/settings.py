"""What the analyses read: the samples of a pool, and the settings a user can deploy.

A setting is one strategy at one k, budget or stopping rule, with each problem's expected accuracy and
expected compute. Settings from a pool of samples are computed here from any subset of the samples, so
a pool can be split: half of each problem's samples to estimate its difficulty, half to score it.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from thinkbench.harness.metrics.estimators import best_of_k, ks_for, maj_at_ks, weighted_maj_at_k


@dataclass(frozen=True)
class Sample:
    """One sample of a pool as the analyses see it."""

    vote: Hashable | None  # gold-blind: samples with equal keys are one answer in a vote; None abstains
    correct: bool
    tokens: float  # generated tokens
    score: float | None = None  # a scorer's value, in scored pools


Pool = Mapping[str, Sequence[Sample]]  # problem id -> its samples


@dataclass(frozen=True)
class Setting:
    strategy: str
    name: str  # "maj@4", "best@8", "stop at 3 votes", ...
    values: Mapping[str, float]  # problem id -> expected accuracy
    costs: Mapping[str, float]  # problem id -> expected compute (generated tokens)

    @property
    def value(self) -> float:
        return float(np.mean([self.values[p] for p in self.values]))

    @property
    def cost(self) -> float:
        return float(np.mean([self.costs[p] for p in self.values]))


def pass_rates(pool: Pool) -> dict[str, float]:
    """Fraction of each problem's samples graded correct."""
    return {pid: sum(s.correct for s in samples) / len(samples) for pid, samples in pool.items() if samples}


def mean_tokens(samples: Sequence[Sample]) -> float:
    return sum(s.tokens for s in samples) / len(samples)


def _majority(samples: Sequence[Sample], ks: Sequence[int]) -> list[float]:
    return [e.value for e in maj_at_ks([s.vote for s in samples], [s.correct for s in samples], ks)]


def _best(samples: Sequence[Sample], ks: Sequence[int]) -> list[float]:
    return [best_of_k([s.score for s in samples], [s.correct for s in samples], k) for k in ks]


def _weighted_vote(samples: Sequence[Sample], ks: Sequence[int]) -> list[float]:
    return [weighted_maj_at_k([s.vote for s in samples], [s.score for s in samples], [s.correct for s in samples],
                              k).value for k in ks]


# Pool metric -> its expected accuracy at each k from a problem's samples (the estimators of the metrics
# layer, so a setting read from part of a pool is the same quantity as the run's own point).
POOL_METRICS: dict[str, Callable[[Sequence[Sample], Sequence[int]], list[float]]] = {
    "maj@k": _majority, "best@k": _best, "vote@k": _weighted_vote}


def pool_settings(strategy: str, pool: Pool, metrics: Sequence[str]) -> list[Setting]:
    """Each pool metric at k = 1, 2, 4, ... n (the smallest pool's n), charged k samples of the
    problem's mean length."""
    n = min(len(s) for s in pool.values())
    ks = ks_for(n)
    out = []
    for metric in metrics:
        values = {pid: POOL_METRICS[metric](samples, ks) for pid, samples in pool.items()}
        out += [Setting(strategy, metric.replace("@k", f"@{k}"), {pid: v[i] for pid, v in values.items()},
                        {pid: k * mean_tokens(s) for pid, s in pool.items()}) for i, k in enumerate(ks)]
    return out
