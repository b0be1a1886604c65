"""Adaptive sampling read from the pool: draw samples one at a time and stop once the answers agree.

A stopping rule looks at the vote counts after each draw: `v1`, the leading answer's votes, and `v2`,
the runner-up's. Drawing one at a time from a problem's pool of n samples in a uniformly random order
is exactly what a deployment that samples until it stops would see (the pool's samples are
exchangeable), capped at n draws. At the stop, the leading answer is the vote (ties, possible only at
the cap, broken uniformly at random), judged like every vote here: by the fraction of its samples graded
correct. Votes are gold-blind: they count the samples' `vote` keys, never their grades.

Two rules:

* `VotesRule(m)`: stop when the leading answer has m votes. Its expectation over all n! orders is exact
  (generating functions over the vote groups, below).
* `ConfidenceRule(c)`: Adaptive-Consistency's Beta rule (Aggarwal et al. 2023, "Let's Sample Step by
  Step: Adaptive-Consistency for Efficient Reasoning and Coding with LLMs"): stop when
  P(p > 1/2) >= c for p ~ Beta(v1 + 1, v2 + 1). Its expectation is Monte Carlo over `ORDERS` seeded
  random orders per problem; the standard error of a problem's accuracy is at most 0.5 / sqrt(ORDERS).
"""
from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np

from thinkbench.harness.analysis.settings import Pool, Sample, Setting
from thinkbench.harness.metrics.estimators import binomial_table

# Random orders per problem for rules without an exact form: standard error <= 0.5 / sqrt(1000) = 0.016
# per problem, and about that over sqrt(problems) for a mean.
ORDERS = 1000
# Monte Carlo works on chunks of pools holding about this many drawn samples in all.
_CHUNK_ELEMENTS = 1 << 22
# Float64 binomial coefficients stay finite well past here (C(512, 256) ~ 5e152); larger pools use orders.
EXACT_MAX_N = 512


@dataclass(frozen=True)
class Outcome:
    """A rule's expectation on one problem's pool."""

    accuracy: float
    samples: float  # expected samples drawn
    tokens: float  # expected generated tokens of the drawn samples
    exact: bool


@dataclass(frozen=True)
class _Groups:
    """A pool as vote groups: sizes, correct counts and token sums per answer, then the abstainers."""

    sizes: np.ndarray
    correct: np.ndarray
    tokens: np.ndarray
    none_size: int
    none_tokens: float

    @property
    def n(self) -> int:
        return int(self.sizes.sum()) + self.none_size


def _groups(samples: Sequence[Sample]) -> tuple[_Groups, np.ndarray]:
    """The vote groups, and each sample's group id (-1 for no answer)."""
    ids: dict = {}
    gid = np.array([-1 if s.vote is None else ids.setdefault(s.vote, len(ids)) for s in samples], dtype=np.int64)
    voted = gid >= 0
    g = len(ids)
    sizes = np.bincount(gid[voted], minlength=g)
    correct = np.bincount(gid[voted], weights=[float(s.correct) for s, v in zip(samples, voted) if v], minlength=g)
    tokens = np.bincount(gid[voted], weights=[s.tokens for s, v in zip(samples, voted) if v], minlength=g)
    none_tokens = sum(s.tokens for s, v in zip(samples, voted) if not v)
    return _Groups(sizes, correct, tokens, int((~voted).sum()), float(none_tokens)), gid


def _plurality(groups: _Groups, counts: np.ndarray) -> float:
    """Accuracy of the vote among answers with these counts: ties share, no votes is wrong."""
    if counts.size == 0 or counts.max() == 0:
        return 0.0
    tied = counts == counts.max()
    return float((groups.correct[tied] / groups.sizes[tied]).mean())


class StoppingRule(Protocol):
    @property
    def name(self) -> str: ...

    def stops(self, v1: int, v2: int) -> bool:
        """Whether to stop with these votes for the leading answer and the runner-up."""

    def exact(self, samples: Sequence[Sample]) -> Outcome | None:
        """The expectation over all orders, or None where the rule has no exact form."""


@dataclass(frozen=True)
class VotesRule:
    """Stop when the leading answer has m votes."""

    m: int

    def __post_init__(self):
        if self.m < 1:
            raise ValueError(f"m must be >= 1, got {self.m}")

    @property
    def name(self) -> str:
        return f"stop at {self.m} votes"

    def stops(self, v1: int, v2: int) -> bool:
        return v1 >= self.m

    def exact(self, samples: Sequence[Sample]) -> Outcome | None:
        """Exact over all orders. After t draws the drawn samples are a uniform t-subset; no answer has
        m votes yet with probability [x^t] F(x) / C(n, t), F = prod_g A_g, where a vote group of size s
        contributes A(x) = sum_{i<m} C(s, i) x^i (the abstainers: (1+x)^s0). Draw t+1 happens then, and
        comes from group g with the count i it has with probability (s_g - i)/(n - t): replacing A_g by
        A'_g = sum_i C(s_g, i)(s_g - i) x^i gives the expected draws from g, and its i = m-1 term alone,
        the chance that g is the first to reach m. A pool whose largest answer has fewer than m samples
        never stops: it is drawn whole and its plurality is the vote."""
        groups, _ = _groups(samples)
        n = groups.n
        if n > EXACT_MAX_N:
            return None
        m = self.m
        binom = binomial_table(n)
        factors = [_truncated(binom[s], m) for s in groups.sizes] + [binom[groups.none_size]]
        without = _products_without_each(factors, n)
        denominators = binom[n][:n] * (n - np.arange(n))  # C(n, t) (n - t) for t = 0 .. n-1
        draws = np.empty(len(factors))
        wins = np.zeros(len(groups.sizes))
        for g, rest in enumerate(without):
            s = groups.sizes[g] if g < len(groups.sizes) else groups.none_size
            limit = m if g < len(groups.sizes) else s + 1
            weights = np.zeros(n + 1)
            i = np.arange(min(limit, s + 1))
            weights[i] = binom[s][i] * (s - i)
            draws[g] = (np.convolve(weights, rest)[:n] / denominators).sum()
            if g < len(groups.sizes) and s >= m:
                first = np.zeros(n + 1)
                first[m - 1] = binom[s][m - 1] * (s - m + 1)
                wins[g] = (np.convolve(first, rest)[:n] / denominators).sum()
        accuracy = float((wins * groups.correct / np.maximum(groups.sizes, 1)).sum())
        if groups.sizes.max(initial=0) < m:
            accuracy = _plurality(groups, groups.sizes)
        mean_tokens = np.append(groups.tokens / np.maximum(groups.sizes, 1),
                                groups.none_tokens / max(groups.none_size, 1))
        return Outcome(accuracy, float(draws.sum()), float((draws * mean_tokens).sum()), True)


@dataclass(frozen=True)
class ConfidenceRule:
    """Adaptive-Consistency's Beta rule: stop when P(p > 1/2) >= threshold, p ~ Beta(v1+1, v2+1)."""

    threshold: float

    def __post_init__(self):
        if not 0.5 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0.5, 1), got {self.threshold}")

    @property
    def name(self) -> str:
        return f"Adaptive-Consistency {self.threshold:g}"

    def stops(self, v1: int, v2: int) -> bool:
        return beta_confidence(v1, v2) >= self.threshold

    def exact(self, samples: Sequence[Sample]) -> Outcome | None:
        return None


def beta_confidence(v1: int, v2: int) -> float:
    """P(p > 1/2) for p ~ Beta(v1 + 1, v2 + 1). For whole parameters the Beta tail is a binomial one:
    P(p > 1/2) = P(Bin(v1 + v2 + 1, 1/2) <= v1), exact in integers."""
    trials = v1 + v2 + 1
    return sum(math.comb(trials, i) for i in range(v1 + 1)) / 2**trials


# The rules every pool is read under: a few vote targets, and Adaptive-Consistency at its paper's
# default threshold (0.95) and either side of it.
RULES: tuple[StoppingRule, ...] = (VotesRule(2), VotesRule(3), VotesRule(4), VotesRule(6), VotesRule(8),
                           ConfidenceRule(0.8), ConfidenceRule(0.9), ConfidenceRule(0.95), ConfidenceRule(0.99))


def _truncated(row: np.ndarray, m: int) -> np.ndarray:
    out = row.copy()
    out[m:] = 0.0
    return out


def _products_without_each(factors: list[np.ndarray], n: int) -> list[np.ndarray]:
    """For each factor, the product of all the others, truncated at degree n (prefix and suffix)."""
    width = n + 1
    prefix = [np.eye(1, width)[0]]
    for f in factors[:-1]:
        prefix.append(np.convolve(prefix[-1], f)[:width])
    out = [np.zeros(width)] * len(factors)
    suffix = np.eye(1, width)[0]
    for g in range(len(factors) - 1, -1, -1):
        out[g] = np.convolve(prefix[g], suffix)[:width]
        suffix = np.convolve(suffix, factors[g])[:width]
    return out


def _seed(problem_id: str, seed: int) -> int:
    """A problem's own stream, so its orders do not depend on which other problems are read."""
    return zlib.crc32(problem_id.encode()) ^ seed


@lru_cache(maxsize=64)
def _stop_table(rule: StoppingRule, n: int) -> np.ndarray:
    """table[v1, v2]: whether the rule stops there, for counts up to n."""
    return np.array([[rule.stops(a, b) for b in range(n + 1)] for a in range(n + 1)])


def simulate(rule: StoppingRule, pools: Sequence[Sequence[Sample]], seeds: Sequence[int],
             orders: int = ORDERS) -> list[Outcome]:
    """The rule's expectation on each pool over `orders` random orders (Monte Carlo); pool i's orders come
    from its own seed. All pools are drawn at once, one draw per step for every order of every pool."""
    out: list[Outcome] = []
    width = max((len(p) for p in pools), default=1)
    chunk = max(1, _CHUNK_ELEMENTS // (orders * width))
    for start in range(0, len(pools), chunk):
        out += _simulate_chunk(rule, pools[start : start + chunk], seeds[start : start + chunk], orders)
    return out


def _simulate_chunk(rule: StoppingRule, pools: Sequence[Sequence[Sample]], seeds: Sequence[int],
                    orders: int) -> list[Outcome]:
    parsed = [_groups(p) for p in pools]
    width = max(len(p) for p in pools)
    answers = max(len(g.sizes) for g, _ in parsed)
    # Answer ids per pool; an abstaining sample votes in a last column that no one reads.
    gid = np.full((len(pools), width), answers)
    tokens = np.zeros((len(pools), width))
    weight = np.zeros((len(pools), answers + 1))
    order_keys = np.full((len(pools), orders, width), 2.0)  # slots past a pool's n sort last, never drawn
    for i, ((groups, ids), pool, seed) in enumerate(zip(parsed, pools, seeds)):
        gid[i, : len(pool)] = np.where(ids >= 0, ids, answers)
        tokens[i, : len(pool)] = [s.tokens for s in pool]
        weight[i, : len(groups.sizes)] = groups.correct / np.maximum(groups.sizes, 1)
    for i, (pool, seed) in enumerate(zip(pools, seeds)):
        order_keys[i, :, : len(pool)] = np.random.default_rng(seed).random((orders, len(pool)))
    problem = np.repeat(np.arange(len(pools)), orders)
    perm = order_keys.argsort(axis=2).reshape(len(problem), width)
    drawn_gid, drawn_tokens = gid[problem[:, None], perm], tokens[problem[:, None], perm]
    cap = np.array([len(p) for p in pools])[problem]
    stop_table = _stop_table(rule, width)
    rows = np.arange(len(problem))
    counts = np.zeros((len(problem), answers + 1), dtype=np.int64)
    leader = np.full(len(problem), -1)
    v1 = np.zeros(len(problem), dtype=np.int64)
    v2 = np.zeros(len(problem), dtype=np.int64)
    drawn = np.zeros(len(problem), dtype=np.int64)
    active = np.ones(len(problem), dtype=bool)
    for t in range(width):
        active &= t < cap
        if not active.any():
            break
        g = drawn_gid[:, t]
        drawn += active
        vote = active & (g < answers)
        counts[rows, g] += vote
        c = counts[rows, g]
        # v1 is the largest count, v2 the largest among the other answers.
        is_leader = leader == g
        overtakes = vote & ~is_leader & (c > v1)
        v2 = np.where(overtakes, v1, np.where(vote & ~is_leader & (c > v2), c, v2))
        v1 = np.where(overtakes | (vote & is_leader), c, v1)
        leader = np.where(overtakes, g, leader)
        active &= ~stop_table[v1, v2]
    spent = (drawn_tokens * (np.arange(width)[None, :] < drawn[:, None])).sum(axis=1)
    counts = counts[:, :answers]
    best = counts.max(axis=1, keepdims=True)
    tied = (counts == best) & (best > 0)
    accuracy = (tied * weight[problem, :answers]).sum(axis=1) / np.maximum(tied.sum(axis=1), 1)
    per_pool = lambda x: x.reshape(len(pools), orders).mean(axis=1)  # noqa: E731
    return [Outcome(float(a), float(d), float(s), False)
            for a, d, s in zip(per_pool(accuracy), per_pool(drawn), per_pool(spent))]


def adaptive_settings(strategy: str, pool: Pool, rules: Sequence[StoppingRule] = RULES, seed: int = 0
                      ) -> list[Setting]:
    """Each rule read from the pool as a setting: per problem its expected accuracy and tokens, exact where
    the rule has an exact form, else Monte Carlo over ORDERS orders seeded by the problem's id."""
    ids = list(pool)
    out = []
    for rule in rules:
        outcomes = {pid: rule.exact(pool[pid]) for pid in ids}
        rest = [pid for pid in ids if outcomes[pid] is None]
        outcomes.update(zip(rest, simulate(rule, [pool[pid] for pid in rest], [_seed(pid, seed) for pid in rest])))
        out.append(Setting(strategy, rule.name, {pid: outcomes[pid].accuracy for pid in ids},
                           {pid: outcomes[pid].tokens for pid in ids}))
    return out
