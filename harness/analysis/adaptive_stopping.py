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
  P(p > 1/2) >= c for p ~ Beta(v1 + 1, v2 + 1). Its expectation is Monte Carlo over seeded random orders
  (`orders_for`); the standard error of a problem's accuracy is at most 0.5 / sqrt(orders).
"""
from __future__ import annotations

import functools
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from thinkbench.harness.analysis.settings import Pool, Sample, Setting
from thinkbench.harness.metrics.estimators import binomial_table

# Random orders for rules without an exact form: about ORDERS_IN_ALL over all problems, at least
# ORDERS_MIN and at most ORDERS_MAX per problem. A problem's value has a standard error of at most
# 0.5 / sqrt(orders), a mean over problems at most 0.5 / sqrt(problems * orders): 0.0035 for 20,000.
ORDERS_IN_ALL, ORDERS_MIN, ORDERS_MAX = 20000, 40, 1000
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
    """A pool as vote groups (sizes, correct counts and token sums per answer, then the abstainers), and
    each sample's group (-1: no answer) and tokens."""

    sizes: np.ndarray
    correct: np.ndarray
    tokens: np.ndarray
    none_size: int
    none_tokens: float
    sample_group: np.ndarray
    sample_tokens: np.ndarray

    @property
    def n(self) -> int:
        return len(self.sample_group)

    @property
    def weight(self) -> np.ndarray:
        """Each answer's worth as the vote: the fraction of its samples graded correct."""
        return self.correct / np.maximum(self.sizes, 1)


def _groups(samples: Sequence[Sample]) -> _Groups:
    ids: dict = {}
    gid = np.array([-1 if s.vote is None else ids.setdefault(s.vote, len(ids)) for s in samples], dtype=np.int64)
    voted = gid >= 0
    tokens = np.array([s.tokens for s in samples], dtype=np.float64)
    correct = np.array([s.correct for s in samples], dtype=np.float64)
    g = len(ids)
    return _Groups(np.bincount(gid[voted], minlength=g), np.bincount(gid[voted], correct[voted], minlength=g),
                   np.bincount(gid[voted], tokens[voted], minlength=g), int((~voted).sum()),
                   float(tokens[~voted].sum()), gid, tokens)


class StoppingRule(Protocol):
    @property
    def name(self) -> str: ...

    def stops(self, v1: int, v2: int) -> bool:
        """Whether to stop with these votes for the leading answer and the runner-up."""

    def exact(self, groups: _Groups) -> Outcome | None:
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

    def exact(self, groups: _Groups) -> Outcome | None:
        """Exact over all orders (see `_votes_expectation`); a pool whose largest answer has fewer than m
        samples never stops: it is drawn whole and its plurality is the vote."""
        if groups.n > EXACT_MAX_N:
            return None
        order = np.argsort(groups.sizes, kind="stable")
        draws, wins, none_draws = _votes_expectation(tuple(groups.sizes[order].tolist()), groups.none_size, self.m)
        weight = groups.weight[order]
        if groups.sizes.max(initial=0) < self.m:
            tied = groups.sizes[order] == groups.sizes.max(initial=0)
            accuracy = float(weight[tied].mean()) if groups.sizes.size else 0.0
        else:
            accuracy = float((np.asarray(wins) * weight).sum())
        mean_tokens = groups.tokens[order] / np.maximum(groups.sizes[order], 1)
        none_tokens = none_draws * groups.none_tokens / max(groups.none_size, 1)
        return Outcome(accuracy, float(sum(draws) + none_draws), float((np.asarray(draws) * mean_tokens).sum())
                       + none_tokens, True)


@functools.lru_cache(maxsize=65536)
def _votes_expectation(sizes: tuple[int, ...], none_size: int, m: int
                       ) -> tuple[tuple[float, ...], tuple[float, ...], float]:
    """For answers of these sizes (and `none_size` abstainers): the expected draws from each answer, the
    chance each is the first to reach m votes, and the expected draws of abstainers. It depends on the
    answer sizes alone, so pools alike share it.

    After t draws the drawn samples are a uniform t-subset, so no answer has m votes yet with probability
    [x^t] F(x) / C(n, t), F = prod_g A_g, where an answer of s samples contributes
    A(x) = sum_{i<m} C(s, i) x^i (abstainers (1+x)^s0). Draw t+1 happens then, and comes from answer g
    holding i votes with probability (s_g - i)/(n - t). So with R_g = F / A_g (the other factors),
    E[draws from g] = sum_t [x^t] (W_g R_g) / (C(n, t)(n - t)) with W_g = sum_i C(s_g, i)(s_g - i) x^i,
    and P(g first reaches m) is the same with W_g's i = m-1 term alone. Both are u^T H r for the
    coefficient vectors u, r and the matrix H[i, j] = 1 / (C(n, i+j)(n - i - j)) (zero for i + j >= n).
    Answers of one size share A, W and R, so the work goes by distinct size."""
    if max(sizes, default=0) < m:  # never stops: every sample is drawn, no answer reaches m
        return tuple(float(x) for x in sizes), (0.0,) * len(sizes), float(none_size)
    n = sum(sizes) + none_size
    binom = binomial_table(n)
    # Answers smaller than m have their whole binomial row, (1+x)^u, as do the abstainers, so together
    # they are (1+x)^free; only answers of m samples or more are multiplied out, into `held`.
    big = [u for u in sizes if u >= m]
    free = n - sum(big)
    factors = [_truncated(binom[u], m) for u in big]
    held = functools.reduce(lambda a, b: np.convolve(a, b)[: n + 1], factors)
    small = sorted({u for u in sizes if u < m} | {none_size})
    rest = np.array([*(np.convolve(other, binom[free])[: n + 1] for other in _products_without_each(factors, n)),
                     *(np.convolve(held, binom[free - u])[: n + 1] for u in small)])
    every = np.array(big + small)
    limits = np.append(np.full(len(big), m), np.array(small) + 1)
    i = np.arange(n + 1)
    h = _draw_weights(n)
    draws_w = np.where(i[None, :] < np.minimum(limits, every + 1)[:, None], binom[every] * (every[:, None] - i), 0.0)
    draws = ((draws_w @ h) * rest).sum(axis=1)
    first = np.zeros((len(big), n + 1))
    first[:, m - 1] = binom[np.array(big, dtype=np.int64), m - 1] * (np.array(big) - m + 1)
    wins = ((first @ h) * rest[: len(big)]).sum(axis=1)
    # Back to the answers in `sizes` order.
    of_small = dict(zip(small, draws[len(big):]))
    of_big = iter(zip(draws[: len(big)], wins))
    per_answer = [next(of_big) if u >= m else (of_small[u], 0.0) for u in sizes]
    return (tuple(float(d) for d, _ in per_answer), tuple(float(w) for _, w in per_answer),
            float(of_small[none_size]))


@functools.lru_cache(maxsize=16)
def _draw_weights(n: int) -> np.ndarray:
    """H[i, j] = 1 / (C(n, i+j)(n - i - j)) for i + j < n, else 0."""
    t = np.add.outer(np.arange(n + 1), np.arange(n + 1))
    with np.errstate(divide="ignore"):
        h = np.where(t < n, 1.0 / (binomial_table(n)[n][np.minimum(t, n)] * (n - t)), 0.0)
    h.setflags(write=False)
    return h


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

    def exact(self, groups: _Groups) -> Outcome | None:
        return None


@functools.lru_cache(maxsize=None)
def beta_confidence(v1: int, v2: int) -> float:
    """P(p > 1/2) for p ~ Beta(v1 + 1, v2 + 1). For whole parameters the Beta tail is a binomial one:
    P(p > 1/2) = P(Bin(v1 + v2 + 1, 1/2) <= v1), exact in integers."""
    trials = v1 + v2 + 1
    return sum(math.comb(trials, i) for i in range(v1 + 1)) / 2**trials


# The rules every pool is read under: a few vote targets, and Adaptive-Consistency at its paper's
# default threshold (0.95) and either side of it.
RULES: tuple[StoppingRule, ...] = (VotesRule(2), VotesRule(3), VotesRule(4), VotesRule(6), VotesRule(8),
                                   ConfidenceRule(0.8), ConfidenceRule(0.9), ConfidenceRule(0.95),
                                   ConfidenceRule(0.99))


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


@functools.lru_cache(maxsize=64)
def _stop_table(rule: StoppingRule, n: int) -> np.ndarray:
    """table[v1, v2]: whether the rule stops there, for counts up to n."""
    return np.array([[rule.stops(a, b) for b in range(n + 1)] for a in range(n + 1)])


def orders_for(problems: int) -> int:
    """Random orders per problem for `problems` problems (see ORDERS_IN_ALL)."""
    return min(ORDERS_MAX, max(ORDERS_MIN, math.ceil(ORDERS_IN_ALL / max(problems, 1))))


def exact(rule: StoppingRule, samples: Sequence[Sample]) -> Outcome | None:
    """The rule's expectation over every order of one pool, where it has an exact form."""
    return rule.exact(_groups(samples))


def simulate(rule: StoppingRule, pools: Sequence[Sequence[Sample]], seeds: Sequence[int], orders: int
             ) -> list[Outcome]:
    """The rule's expectation on each pool over `orders` random orders (Monte Carlo); pool i's orders come
    from its own seed."""
    return _simulate([rule], [_groups(p) for p in pools], seeds, orders)[0]


def _simulate(rules: Sequence[StoppingRule], pools: Sequence[_Groups], seeds: Sequence[int], orders: int
              ) -> list[list[Outcome]]:
    """Per rule, its outcome on each pool; every rule sees the same orders. Pools are drawn in chunks, one
    draw per step for every order of every pool in the chunk."""
    out: list[list[Outcome]] = [[] for _ in rules]
    width = max((p.n for p in pools), default=1)
    chunk = max(1, _CHUNK_ELEMENTS // (orders * width))
    for start in range(0, len(pools), chunk):
        part = _Orders(pools[start : start + chunk], seeds[start : start + chunk], orders)
        for r, rule in enumerate(rules):
            out[r] += part.outcomes(rule)
    return out


class _Orders:
    """Random orders of a chunk of pools: one row per order, its draws' answers and running tokens."""

    def __init__(self, pools: Sequence[_Groups], seeds: Sequence[int], orders: int) -> None:
        self.pools, self.orders = pools, orders
        self.width = max(p.n for p in pools)
        self.answers = max(len(p.sizes) for p in pools)
        # An abstaining sample votes in a last column that no one reads.
        gid = np.full((len(pools), self.width), self.answers, dtype=np.int32)
        tokens = np.zeros((len(pools), self.width))
        self.weight = np.zeros((len(pools), self.answers))
        keys = np.full((len(pools), orders, self.width), 2.0)  # slots past a pool's n sort last, never drawn
        for i, (pool, seed) in enumerate(zip(pools, seeds)):
            gid[i, : pool.n] = np.where(pool.sample_group >= 0, pool.sample_group, self.answers)
            tokens[i, : pool.n] = pool.sample_tokens
            self.weight[i, : len(pool.sizes)] = pool.weight
            keys[i, :, : pool.n] = np.random.default_rng(seed).random((orders, pool.n))
        self.problem = np.repeat(np.arange(len(pools)), orders)
        perm = keys.argsort(axis=2).reshape(len(self.problem), self.width)
        # One contiguous row per draw, so each step reads its draw for every order at once.
        self.drawn_gid = np.ascontiguousarray(gid[self.problem[:, None], perm].T)
        self.spent_by = np.cumsum(tokens[self.problem[:, None], perm], axis=1)  # tokens after each draw
        self.cap = np.array([p.n for p in pools])[self.problem]

    def outcomes(self, rule: StoppingRule) -> list[Outcome]:
        rows, answers = len(self.problem), self.answers
        stop_table = _stop_table(rule, self.width).ravel()
        stride = self.width + 1
        drawn = np.zeros(rows, dtype=np.int64)
        accuracy = np.zeros(rows)
        # The orders still drawing, and their state; an order is dropped when it stops.
        alive = np.arange(rows)
        counts = np.zeros((rows, answers + 1), dtype=np.int32)
        leader = np.full(rows, -1, dtype=np.int32)
        v1 = np.zeros(rows, dtype=np.int32)
        v2 = np.zeros(rows, dtype=np.int32)
        for t in range(self.width):
            g = self.drawn_gid[t, alive]
            at = np.arange(len(alive))
            vote = g < answers
            counts[at, g] += vote
            c = counts[at, g]
            # v1 is the largest count, v2 the largest among the other answers.
            is_leader = leader == g
            overtakes = vote & ~is_leader & (c > v1)
            v2 = np.where(overtakes, v1, np.where(vote & ~is_leader & (c > v2), c, v2))
            v1 = np.where(overtakes | (vote & is_leader), c, v1)
            leader = np.where(overtakes, g, leader)
            ends = stop_table[v1 * stride + v2] | (t + 1 >= self.cap[alive])
            if ends.any():
                done = alive[ends]
                drawn[done] = t + 1
                # A rule stops on a single leader; at the cap, ties share the vote.
                top = counts[ends, :answers]
                best = top.max(axis=1, keepdims=True, initial=0)  # no column when no sample answered
                tied = (top == best) & (best > 0)
                accuracy[done] = (tied * self.weight[self.problem[done]]).sum(axis=1) / np.maximum(tied.sum(axis=1), 1)
                keep = ~ends
                alive, counts, leader, v1, v2 = alive[keep], counts[keep], leader[keep], v1[keep], v2[keep]
            if not len(alive):
                break
        spent = self.spent_by[np.arange(rows), drawn - 1]
        per_pool = lambda x: x.reshape(len(self.pools), self.orders).mean(axis=1)  # noqa: E731
        return [Outcome(float(a), float(d), float(s), False)
                for a, d, s in zip(per_pool(accuracy), per_pool(drawn), per_pool(spent))]


def adaptive_settings(strategy: str, pool: Pool, rules: Sequence[StoppingRule] = RULES, seed: int = 0
                      ) -> list[Setting]:
    """Each rule read from the pool as a setting: per problem its expected accuracy and tokens, exact where
    the rule has an exact form, else Monte Carlo over `orders_for` orders seeded by the problem's id (the
    same orders for every such rule)."""
    ids = list(pool)
    groups = {pid: _groups(pool[pid]) for pid in ids}
    outcomes = {rule: {pid: rule.exact(groups[pid]) for pid in ids} for rule in rules}
    inexact = [(rule, [pid for pid in ids if outcomes[rule][pid] is None]) for rule in rules]
    rest = sorted({pid for _, pids in inexact for pid in pids}, key=ids.index)
    if rest:
        simulated = _simulate([rule for rule, pids in inexact if pids], [groups[pid] for pid in rest],
                              [_seed(pid, seed) for pid in rest], orders_for(len(ids)))
        for (rule, _), values in zip([(r, p) for r, p in inexact if p], simulated):
            outcomes[rule].update((pid, o) for pid, o in zip(rest, values) if outcomes[rule][pid] is None)
    return [Setting(strategy, rule.name, {pid: outcomes[rule][pid].accuracy for pid in ids},
                    {pid: outcomes[rule][pid].tokens for pid in ids}) for rule in rules]
