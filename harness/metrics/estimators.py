"""Estimators of accuracy as a function of the number of samples k, and their uncertainty.

All functions are pure: the same inputs (and seed) give the same output. The k-sample metrics
assume the n stored samples of a problem are exchangeable, and average over a uniformly random
k-subset of them, which is the unbiased way to report "accuracy with k samples" from n >= k.

Conventions shared by the voting estimators:

* An answer of ``None`` means "no answer was extracted". It occupies a slot of the k-subset
  but never receives a vote; when every sample in the subset is ``None`` the vote is wrong.
* A winning answer is judged by its own samples: the vote counts as the fraction of the
  winning answer's samples in the subset that are marked correct. When correctness is a
  function of the answer (the usual case) this is simply that answer's correctness.
* Ties between top answers are broken uniformly at random, so a tie contributes the mean of
  the tied answers' correctness.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# Exact majority voting costs about sum_j M_j^2 * (n+1) * min(j, n/8) element operations, with
# M_j the number of answers having at least j samples (see _maj_exact_work); past this budget
# (about half a second) Monte Carlo is the cheaper choice. n = 64 never comes close (< 1e7).
MAJ_EXACT_MAX_WORK = 3e8
# Subset counts grow like 2^n; beyond this float64 coefficients risk overflow.
MAJ_EXACT_MAX_N = 512
# Weighted votes have no cheap combinatorial form (scores differ within an answer), so they
# are enumerated outright up to this many subsets.
WEIGHTED_EXACT_MAX_SUBSETS = 20000
# Summed float scores that differ only by rounding must still count as a tie.
_SCORE_TIE_RTOL = 1e-9
# Below this band width a shifted-add convolution beats building a Toeplitz matrix.
_SHIFT_CONV_MAX_J = 6
# Elements per Monte Carlo chunk, to bound memory whatever n and the sample count are.
_MC_CHUNK_ELEMENTS = 1 << 21


@dataclass(frozen=True)
class Estimate:
    """A point estimate; ``stderr`` is 0.0 when ``exact`` is True."""

    value: float
    stderr: float
    exact: bool


@dataclass(frozen=True)
class Interval:
    """A point estimate with a confidence interval [low, high]."""

    mean: float
    low: float
    high: float


# --------------------------------------------------------------------------- helpers


def _check_k(n: int, k: int) -> None:
    if n < 1:
        raise ValueError(f"need at least one sample, got n={n}")
    if not 1 <= k <= n:
        raise ValueError(f"k must be in [1, n={n}], got k={k}")


def _check_lengths(**seqs: Sequence[object]) -> int:
    lengths = {name: len(s) for name, s in seqs.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"length mismatch: {lengths}")
    return next(iter(lengths.values()))


def _subset_ratio_table(n: int, k: int) -> np.ndarray:
    """r[a] = C(a, k) / C(n, k) for a = 0..n, without forming any binomial.

    Built downward from r[n] = 1 with r[a-1] = r[a] * (a-k)/a, so values only shrink (no
    overflow) and the factor (k-k)/k = 0 zeroes every a < k exactly.
    """
    b = np.arange(n, 0, -1, dtype=np.float64)
    factors = (b - k) / b
    r = np.empty(n + 1)
    r[n] = 1.0
    r[:n] = np.cumprod(factors)[::-1]
    return np.maximum(r, 0.0)


@lru_cache(maxsize=8)
def binomial_table(n: int) -> np.ndarray:
    """Pascal's triangle in float64: table[a, b] = C(a, b), zero for b > a."""
    table = np.zeros((n + 1, n + 1))
    table[:, 0] = 1.0
    for a in range(1, n + 1):
        table[a, 1 : a + 1] = table[a - 1, : a] + table[a - 1, 1 : a + 1]
    table.setflags(write=False)
    return table


@lru_cache(maxsize=8)
def _toeplitz_index(width: int) -> np.ndarray:
    """Index matrix turning a padded coefficient vector into an upper banded Toeplitz matrix.

    Entry [a, b] is b - a when b >= a, else ``width`` (a slot that always holds zero), so
    ``padded[index]`` multiplies a row polynomial by the coefficients on the right.
    """
    diff = np.arange(width)[None, :] - np.arange(width)[:, None]
    index = np.where(diff >= 0, diff, width)
    index.setflags(write=False)
    return index


def _group(answers: Sequence[Hashable | None]) -> tuple[np.ndarray, int]:
    """Map each sample to a dense answer id (-1 for None); return the ids and the answer count."""
    ids: dict[Hashable, int] = {}
    gid = np.empty(len(answers), dtype=np.int64)
    for i, a in enumerate(answers):
        gid[i] = -1 if a is None else ids.setdefault(a, len(ids))
    return gid, len(ids)


_Signature = tuple[int, int, tuple[tuple[int, int], ...]]


def _signature(answers: Sequence[Hashable | None], correct: Sequence[bool]) -> _Signature:
    """(n, #None, sorted (size, #correct) per answer): all that majority voting depends on."""
    sizes: dict[Hashable, list[int]] = {}
    none_count = 0
    for a, c in zip(answers, correct):
        if a is None:
            none_count += 1
            continue
        entry = sizes.get(a)
        if entry is None:
            sizes[a] = [1, 1 if c else 0]
        else:
            entry[0] += 1
            entry[1] += 1 if c else 0
    return len(answers), none_count, tuple(sorted((s, c) for s, c in sizes.values()))


# --------------------------------------------------------------------------- pass@k


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k: 1 - C(n-c, k) / C(n, k), the chance a k-subset holds a correct sample.

    Uses C(n-c, k)/C(n, k) = C(n-k, c)/C(n, c) to take a product of min(k, c) factors, each in
    [0, 1], so nothing overflows and no large binomial is formed.
    """
    _check_k(n, k)
    if not 0 <= c <= n:
        raise ValueError(f"c must be in [0, n={n}], got c={c}")
    if n - c < k:
        return 1.0
    fail = 1.0
    if k <= c:
        for i in range(k):
            fail *= (n - c - i) / (n - i)
    else:
        for i in range(c):
            fail *= (n - k - i) / (n - i)
    return 1.0 - fail


# --------------------------------------------------------------------------- best-of-k


def best_of_k(scores: Sequence[float], correct: Sequence[bool], k: int) -> float:
    """Exact expected accuracy of keeping the highest-scoring candidate of a random k-subset.

    Ties: when several candidates in the subset share the top score, one of them is picked
    uniformly at random. Grouping candidates by score level v, with L candidates scoring below
    v and e scoring exactly v (c_v of them correct), the subset's top level is v with
    probability [C(L+e, k) - C(L, k)] / C(n, k), and given that, the pick is a uniform tied
    candidate of level v, correct with probability c_v / e (by symmetry within the level).
    """
    n = _check_lengths(scores=scores, correct=correct)
    _check_k(n, k)
    s = np.asarray(scores, dtype=np.float64)
    if np.isnan(s).any():
        raise ValueError("scores contain NaN")
    ok = np.asarray(correct, dtype=np.float64)
    order = np.argsort(s, kind="stable")
    s, ok = s[order], ok[order]
    _, starts, counts = np.unique(s, return_index=True, return_counts=True)
    below = starts
    upto = starts + counts
    ratio = _subset_ratio_table(n, k)
    p_top = ratio[upto] - ratio[below]
    correct_per_level = np.add.reduceat(ok, starts)
    return float(np.sum(p_top * correct_per_level / counts))


# --------------------------------------------------------------------------- majority vote


def _maj_exact_work(n: int, sizes: Sequence[int]) -> float:
    """Rough element-operation count of ``_maj_exact_table`` (about 1-2 ns each in numpy)."""
    width = n + 1
    work = 0.0
    for j in range(1, max(sizes, default=0) + 1):
        m_j = sum(1 for s in sizes if s >= j)
        state = 2 * m_j * width
        if j <= _SHIFT_CONV_MAX_J:
            per_step = state * (j + 2)  # copy, j-1 shifted adds, the u shift and the mark
        else:
            per_step = state * (3 + width // 8)  # BLAS runs a dense matmul about 8x faster
        work += m_j * per_step
    return work


@lru_cache(maxsize=4096)
def _maj_exact_table(n: int, none_count: int, groups: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Expected majority-vote accuracy for every k = 0..n (entry 0 is unused and 0).

    For a winning count j, only answers with at least j samples ("big" answers) can reach j;
    every other sample (small answers and None) is unconstrained, giving a factor (1+x)^rest.
    A big answer h contributes A_h(x) + u * B_h(x), where A_h = sum_{i<j} C(s_h, i) x^i (below
    the top) and B_h = C(s_h, j) x^j (tied at the top), so u counts the tied answers. Carrying
    alongside the product P a "marked" sum Q = sum_g w_g B_g prod_{h != g}(A_h + u B_h), the
    coefficient of x^k u^(t-1) in Q is the sum over k-subsets with t answers tied at j of the
    tied answers' total correctness w_g = c_g / s_g; dividing by t applies the uniform tie
    break. (Given how many samples of g are chosen, they are a uniform subset of g, so the
    expected fraction correct among them is exactly w_g.) Summing over j and dividing by
    C(n, k) gives the expectation.
    """
    width = n + 1
    binom = binomial_table(n)
    toeplitz_index = _toeplitz_index(width)
    sizes = np.array([s for s, _ in groups], dtype=np.int64)
    weights = np.array([c / s for s, c in groups], dtype=np.float64)
    total = np.zeros(width)
    padded = np.zeros(width + 1)
    for j in range(1, int(sizes.max(initial=0)) + 1):
        big = np.nonzero(sizes >= j)[0]
        m_j = len(big)
        rest = n - int(sizes[big].sum())
        # state[0] = P, state[1] = Q; rows are powers of u. P's top power (all tied) is never
        # needed because Q only ever takes P times one marked answer, so M rows suffice.
        state = np.zeros((2, m_j, width))
        state[0, 0] = binom[rest]
        for h in big:
            s = int(sizes[h])
            if j == 1:
                new = state.copy()
            elif j <= _SHIFT_CONV_MAX_J:
                new = state.copy()  # i = 0 term, C(s, 0) = 1
                for i in range(1, j):
                    new[:, :, i:] += binom[s, i] * state[:, :, :-i]
            else:
                padded[:j] = binom[s, :j]
                padded[j:] = 0.0
                new = state @ padded[toeplitz_index]
            b = binom[s, j]
            if m_j > 1:
                new[:, 1:, j:] += b * state[:, :-1, :-j]
            new[1, :, j:] += (weights[h] * b) * state[0, :, :-j]
            state = new
        total += (state[1] / np.arange(1, m_j + 1)[:, None]).sum(axis=0)
    table = np.zeros(width)
    table[1:] = total[1:] / binom[n, 1:]
    table.setflags(write=False)
    return table


def _vote_values(
    idx: np.ndarray,
    gid: np.ndarray,
    n_groups: int,
    votes: np.ndarray,
    ok: np.ndarray,
    group_ok: np.ndarray | None,
) -> np.ndarray:
    """Per-subset accuracy of a (weighted) vote; idx holds one subset of sample indices per row.

    ``group_ok`` (per answer) replaces the fraction of chosen samples that are correct with
    its expectation given the counts, which lowers Monte Carlo variance for plain majority.
    """
    rows = idx.shape[0]
    if n_groups == 0:
        return np.zeros(rows)
    g = gid[idx]
    valid = g >= 0
    flat = (np.arange(rows)[:, None] * n_groups + g)[valid]
    size = rows * n_groups
    count = np.bincount(flat, minlength=size).reshape(rows, n_groups)
    tally = np.bincount(flat, weights=votes[idx][valid], minlength=size).reshape(rows, n_groups)
    present = count > 0
    masked = np.where(present, tally, -np.inf)
    best = masked.max(axis=1, keepdims=True)
    tol = _SCORE_TIE_RTOL * np.abs(np.where(np.isfinite(best), best, 0.0))
    tied = present & (masked >= best - tol)
    if group_ok is None:
        hits = np.bincount(flat, weights=ok[idx][valid], minlength=size).reshape(rows, n_groups)
        frac = hits / np.maximum(count, 1)
    else:
        frac = np.broadcast_to(group_ok, (rows, n_groups))
    n_tied = tied.sum(axis=1)
    return np.where(n_tied > 0, (tied * frac).sum(axis=1) / np.maximum(n_tied, 1), 0.0)


def _monte_carlo(
    n: int,
    k: int,
    gid: np.ndarray,
    n_groups: int,
    votes: np.ndarray,
    ok: np.ndarray,
    group_ok: np.ndarray | None,
    mc_samples: int,
    seed: int,
) -> Estimate:
    if mc_samples < 2:
        raise ValueError(f"mc_samples must be >= 2, got {mc_samples}")
    rng = np.random.default_rng(seed)
    chunk = max(1, _MC_CHUNK_ELEMENTS // max(n, n_groups))
    values = []
    for start in range(0, mc_samples, chunk):
        rows = min(chunk, mc_samples - start)
        # The k smallest of n iid uniforms index a uniformly random k-subset.
        keys = rng.random((rows, n))
        idx = keys.argsort(axis=1)[:, :k] if k < n else np.broadcast_to(np.arange(n), (rows, n))
        values.append(_vote_values(idx, gid, n_groups, votes, ok, group_ok))
    v = np.concatenate(values)
    return Estimate(float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v))), False)


def maj_at_ks(
    answers: Sequence[Hashable | None],
    correct: Sequence[bool],
    ks: Sequence[int],
    *,
    mc_samples: int = 20000,
    seed: int = 0,
) -> list[Estimate]:
    """``maj_at_k`` for several k at once; the exact path computes every k in one pass."""
    n = _check_lengths(answers=answers, correct=correct)
    for k in ks:
        _check_k(n, k)
    signature = _signature(answers, correct)
    sizes = [s for s, _ in signature[2]]
    if n <= MAJ_EXACT_MAX_N and _maj_exact_work(n, sizes) <= MAJ_EXACT_MAX_WORK:
        table = _maj_exact_table(*signature)
        return [Estimate(float(table[k]), 0.0, True) for k in ks]
    gid, n_groups = _group(answers)
    ok = np.asarray(correct, dtype=np.float64)
    group_size = np.bincount(gid[gid >= 0], minlength=n_groups)
    group_hits = np.bincount(gid[gid >= 0], weights=ok[gid >= 0], minlength=n_groups)
    group_ok = group_hits / np.maximum(group_size, 1)
    votes = np.ones(n)
    return [_monte_carlo(n, k, gid, n_groups, votes, ok, group_ok, mc_samples, seed) for k in ks]


def maj_at_k(
    answers: Sequence[Hashable | None],
    correct: Sequence[bool],
    k: int,
    *,
    mc_samples: int = 20000,
    seed: int = 0,
) -> Estimate:
    """Expected accuracy of a majority vote over the answers of a uniformly random k-subset.

    ``None`` answers abstain (they use a slot but never win; an all-None subset is wrong).
    Ties among the most frequent answers are broken uniformly at random, so a tie contributes
    the fraction of the tied answers that are correct. Computed exactly by a generating-function
    recursion over answer counts (all k at once, cached by the problem's answer-count
    signature) when its estimated cost is at most ``MAJ_EXACT_MAX_WORK`` and
    n <= ``MAJ_EXACT_MAX_N``; otherwise by Monte Carlo over ``mc_samples`` seeded random
    subsets, with ``exact=False`` and the standard error of the mean.
    """
    return maj_at_ks(answers, correct, [k], mc_samples=mc_samples, seed=seed)[0]


def weighted_maj_at_k(
    answers: Sequence[Hashable | None],
    scores: Sequence[float],
    correct: Sequence[bool],
    k: int,
    *,
    mc_samples: int = 20000,
    seed: int = 0,
) -> Estimate:
    """Expected accuracy of a score-weighted vote over the answers of a random k-subset.

    Each answer present in the subset gets the sum of its samples' scores; the highest sum
    wins (even if negative). ``None`` answers abstain; an all-None subset is wrong. Sums within
    a relative 1e-9 of the top count as tied (so float summation order cannot break a tie),
    and ties are broken uniformly at random. The winner counts as the fraction of its chosen
    samples that are correct. Exact by enumerating all subsets when C(n, k) <=
    ``WEIGHTED_EXACT_MAX_SUBSETS``, otherwise Monte Carlo (seeded; ``exact=False``).
    """
    n = _check_lengths(answers=answers, scores=scores, correct=correct)
    _check_k(n, k)
    votes = np.asarray(scores, dtype=np.float64)
    if not np.isfinite(votes).all():
        raise ValueError("scores must be finite")
    ok = np.asarray(correct, dtype=np.float64)
    gid, n_groups = _group(answers)
    if math.comb(n, k) <= WEIGHTED_EXACT_MAX_SUBSETS:
        idx = np.array(list(itertools.combinations(range(n), k)), dtype=np.int64).reshape(-1, k)
        values = _vote_values(idx, gid, n_groups, votes, ok, None)
        return Estimate(float(values.mean()), 0.0, True)
    return _monte_carlo(n, k, gid, n_groups, votes, ok, None, mc_samples, seed)


# --------------------------------------------------------------------------- uncertainty


def _bootstrap_means(values: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot}")
    rng = np.random.default_rng(seed)
    p = len(values)
    chunk = max(1, _MC_CHUNK_ELEMENTS // p)
    means = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        rows = min(chunk, n_boot - start)
        means[start : start + rows] = values[rng.integers(0, p, size=(rows, p))].mean(axis=1)
    return means


def _percentile_interval(values: Sequence[float], level: float, n_boot: int, seed: int) -> Interval:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or len(v) == 0:
        raise ValueError("need a non-empty 1-D sequence of per-problem values")
    means = _bootstrap_means(v, n_boot, seed)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return Interval(float(v.mean()), float(low), float(high))


def bootstrap_ci(
    per_problem: Sequence[float], *, level: float = 0.95, n_boot: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval for the mean, resampling problems with replacement."""
    interval = _percentile_interval(per_problem, level, n_boot, seed)
    return interval.low, interval.high


def mean_ci(
    per_problem: Sequence[float], *, level: float = 0.95, n_boot: int = 2000, seed: int = 0
) -> Interval:
    """The mean over problems with its percentile bootstrap interval."""
    return _percentile_interval(per_problem, level, n_boot, seed)


def mcnemar_drop(a: Sequence[bool], b: Sequence[bool]) -> float:
    """One-sided exact McNemar p-value that run b is worse than run a, from paired pass/fail outcomes.

    Under the null each discordant problem is equally likely to favour either run, so with b10
    problems only a passes and b01 only b passes, p = P(X >= b10), X ~ Bin(b01 + b10, 1/2).
    """
    _check_lengths(a=a, b=b)
    b01 = sum(1 for x, y in zip(a, b) if not x and y)
    b10 = sum(1 for x, y in zip(a, b) if x and not y)
    d = b01 + b10
    tail = sum(math.comb(d, i) for i in range(b10, d + 1))
    # Integer arithmetic until the single division keeps this exact for any d.
    return tail / 2**d


def ks_for(n: int) -> list[int]:
    """Powers of two below n, then n itself: the k grid to report curves on."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    ks = []
    k = 1
    while k < n:
        ks.append(k)
        k *= 2
    ks.append(n)
    return ks
