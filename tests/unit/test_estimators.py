"""Estimators checked against brute force over every k-subset of small sample sets."""
from __future__ import annotations

import itertools
import math
import random
from collections.abc import Hashable, Sequence
from fractions import Fraction

import numpy as np
import pytest

from thinkbench.harness.metrics import estimators as est
from thinkbench.harness.metrics.estimators import (
    Estimate,
    Interval,
    best_of_k,
    bootstrap_ci,
    ks_for,
    maj_at_k,
    maj_at_ks,
    mcnemar_drop,
    mean_ci,
    pass_at_k,
    weighted_maj_at_k,
)

# --------------------------------------------------------------------------- brute force


def brute_pass(n: int, c: int, k: int) -> float:
    correct = [i < c for i in range(n)]
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(correct[i] for i in s) for s in subsets) / len(subsets)


def brute_vote(
    answers: Sequence[Hashable | None],
    correct: Sequence[bool],
    k: int,
    weights: Sequence[float] | None = None,
) -> float:
    """Literal definition: tally the subset, uniform pick among top answers, winner judged by
    the fraction of its chosen samples that are correct, all-None subsets wrong."""
    total = 0.0
    subsets = list(itertools.combinations(range(len(answers)), k))
    for subset in subsets:
        tally: dict[Hashable, float] = {}
        hits: dict[Hashable, int] = {}
        count: dict[Hashable, int] = {}
        for i in subset:
            a = answers[i]
            if a is None:
                continue
            tally[a] = tally.get(a, 0.0) + (1.0 if weights is None else weights[i])
            hits[a] = hits.get(a, 0) + bool(correct[i])
            count[a] = count.get(a, 0) + 1
        if not tally:
            continue
        top = max(tally.values())
        tied = [a for a in tally if abs(tally[a] - top) <= 1e-9 * abs(top)]
        total += sum(hits[a] / count[a] for a in tied) / len(tied)
    return total / len(subsets)


def brute_best(scores: Sequence[float], correct: Sequence[bool], k: int) -> float:
    total = 0.0
    subsets = list(itertools.combinations(range(len(scores)), k))
    for subset in subsets:
        top = max(scores[i] for i in subset)
        tied = [i for i in subset if scores[i] == top]
        total += sum(bool(correct[i]) for i in tied) / len(tied)
    return total / len(subsets)


def random_case(rng: random.Random, max_n: int = 10, *, consistent: bool = True):
    """Random answers (few distinct values, so ties are common), optional Nones, and either
    answer-determined or per-sample correctness; scores drawn from a small grid so they tie."""
    n = rng.randint(1, max_n)
    distinct = rng.randint(1, 5)
    pool: list[Hashable | None] = [f"a{i}" for i in range(distinct)]
    if rng.random() < 0.6:
        pool += [None] * rng.randint(1, 2)
    answers = [rng.choice(pool) for _ in range(n)]
    right = {a: rng.random() < 0.5 for a in pool}
    if consistent:
        correct = [a is not None and right[a] for a in answers]
    else:
        correct = [rng.random() < 0.5 for _ in answers]
    scores = [rng.choice([0.1, 0.25, 0.5, 0.5, 0.75, 1.0]) for _ in range(n)]
    return answers, correct, scores


# --------------------------------------------------------------------------- pass@k


def test_pass_at_k_matches_brute_force() -> None:
    for n in range(1, 10):
        for c in range(n + 1):
            for k in range(1, n + 1):
                assert pass_at_k(n, c, k) == pytest.approx(brute_pass(n, c, k), abs=1e-12)


def test_pass_at_k_edges() -> None:
    assert pass_at_k(10, 0, 5) == 0.0
    assert pass_at_k(10, 10, 1) == 1.0
    assert pass_at_k(10, 1, 10) == 1.0
    assert pass_at_k(7, 3, 1) == pytest.approx(3 / 7)
    with pytest.raises(ValueError):
        pass_at_k(5, 2, 6)
    with pytest.raises(ValueError):
        pass_at_k(5, 2, 0)
    with pytest.raises(ValueError):
        pass_at_k(5, 6, 2)


def test_pass_at_k_large_n_is_stable() -> None:
    # Binomials this large overflow float64; the product form must not.
    n, c, k = 2000, 37, 900
    exact = 1 - Fraction(math.comb(n - c, k), math.comb(n, k))
    assert pass_at_k(n, c, k) == pytest.approx(float(exact), rel=1e-12)
    assert pass_at_k(1000, 1, 500) == pytest.approx(0.5, abs=1e-15)


# --------------------------------------------------------------------------- maj@k


@pytest.mark.parametrize("consistent", [True, False])
def test_maj_at_k_matches_brute_force(consistent: bool) -> None:
    rng = random.Random(1234 + consistent)
    for _ in range(150):
        answers, correct, _ = random_case(rng, consistent=consistent)
        values = maj_at_ks(answers, correct, range(1, len(answers) + 1))
        for k, got in enumerate(values, start=1):
            assert got.exact and got.stderr == 0.0
            assert got.value == pytest.approx(brute_vote(answers, correct, k), abs=1e-12)
            assert maj_at_k(answers, correct, k) == got


def test_maj_at_k_ties_split_uniformly() -> None:
    # k = 2 over {x, y}: a 1-1 tie, so half credit; the other two subsets are unanimous.
    answers = ["x", "y", "x"]
    correct = [True, False, True]
    assert maj_at_k(answers, correct, 2).value == pytest.approx((0.5 + 0.5 + 1.0) / 3)
    assert maj_at_k(answers, correct, 3).value == 1.0
    assert maj_at_k(["x", "y"], [True, False], 2).value == 0.5


def test_maj_at_k_none_never_wins() -> None:
    answers = [None, None, None, "x"]
    correct = [False, False, False, True]
    # Any subset containing "x" elects it, however many abstentions surround it.
    for k in range(1, 5):
        assert maj_at_k(answers, correct, k).value == pytest.approx(pass_at_k(4, 1, k))
    assert maj_at_k([None, None], [True, True], 2).value == 0.0
    assert maj_at_k([None], [False], 1).value == 0.0


def test_maj_at_1_is_mean_correctness() -> None:
    rng = random.Random(7)
    for _ in range(50):
        n = rng.randint(1, 40)
        answers = [rng.choice(["a", "b", "c", None]) for _ in range(n)]
        correct = [a == "a" for a in answers]
        # Abstentions are wrong at k = 1; a lone answer is judged by its own correctness.
        assert maj_at_k(answers, correct, 1).value == pytest.approx(sum(correct) / n)
        no_none = [a or "d" for a in answers]
        flags = [rng.random() < 0.5 for _ in answers]
        assert maj_at_k(no_none, flags, 1).value == pytest.approx(sum(flags) / n)


def test_maj_at_k_unanimous_and_k_equals_n() -> None:
    assert maj_at_k(["x"] * 64, [True] * 64, 64).value == pytest.approx(1.0)
    assert maj_at_k(["x"] * 64, [False] * 64, 17).value == 0.0
    answers = ["x"] * 5 + ["y"] * 3 + [None] * 4
    correct = [False] * 5 + [True] * 3 + [False] * 4
    assert maj_at_k(answers, correct, 12).value == 0.0
    answers = ["x"] * 3 + ["y"] * 3 + ["z"] * 3
    correct = [True] * 3 + [False] * 6
    assert maj_at_k(answers, correct, 9).value == pytest.approx(1 / 3)


def test_maj_at_k_n64_against_monte_carlo_and_known_cases() -> None:
    # Too many subsets to enumerate; an independent seeded Monte Carlo must agree.
    rng = random.Random(3)
    answers = [rng.choice(["a", "a", "b", "c", None, "d"]) for _ in range(64)]
    correct = [a == "a" for a in answers]
    big = np.random.default_rng(11)
    gid = {a: i for i, a in enumerate(["a", "b", "c", "d"])}
    for k in (2, 5, 16, 33, 64):
        exact = maj_at_k(answers, correct, k)
        wins = 0.0
        for _ in range(4000):
            pick = big.choice(64, size=k, replace=False)
            counts = np.zeros(4)
            for i in pick:
                if answers[i] is not None:
                    counts[gid[answers[i]]] += 1
            if counts.max() > 0:
                top = np.flatnonzero(counts == counts.max())
                wins += (0 in top) / len(top)
        assert abs(exact.value - wins / 4000) < 0.03


def test_maj_at_k_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        maj_at_k(["a", "b"], [True, False], 3)
    with pytest.raises(ValueError):
        maj_at_k(["a", "b"], [True, False], 0)
    with pytest.raises(ValueError):
        maj_at_k(["a", "b"], [True], 1)


def test_maj_monte_carlo_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(99)
    cases = [random_case(rng, max_n=30, consistent=bool(i % 2)) for i in range(12)]
    exact = [[maj_at_k(a, c, k) for k in ks_for(len(a))] for a, c, _ in cases]
    monkeypatch.setattr(est, "MAJ_EXACT_MAX_WORK", -1.0)
    for (answers, correct, _), reference in zip(cases, exact):
        for k, ref in zip(ks_for(len(answers)), reference):
            mc = maj_at_k(answers, correct, k, mc_samples=4000, seed=5)
            assert not mc.exact
            assert mc == maj_at_k(answers, correct, k, mc_samples=4000, seed=5)
            assert abs(mc.value - ref.value) <= 5 * mc.stderr + 1e-12


def test_maj_exact_threshold_switches_to_monte_carlo() -> None:
    # 512 distinct answers blow the exact budget; 600 samples exceed the float-safe n.
    many = list(range(512))
    assert not maj_at_k(many, [i == 0 for i in many], 3, mc_samples=200).exact
    assert not maj_at_k(["a"] * 600, [True] * 600, 3, mc_samples=200).exact
    assert maj_at_k(["a"] * 600, [True] * 600, 3, mc_samples=200).value == 1.0


# --------------------------------------------------------------------------- best-of-k


def test_best_of_k_matches_brute_force_with_ties() -> None:
    rng = random.Random(42)
    for _ in range(200):
        n = rng.randint(1, 10)
        scores = [rng.choice([0.0, 0.3, 0.3, 0.7, 1.0, -2.0]) for _ in range(n)]
        correct = [rng.random() < 0.5 for _ in range(n)]
        for k in range(1, n + 1):
            assert best_of_k(scores, correct, k) == pytest.approx(
                brute_best(scores, correct, k), abs=1e-12
            )


def test_best_of_k_edges() -> None:
    correct = [True, False, False, True, False]
    scores = [0.9, 0.1, 0.5, 0.2, 0.9]
    assert best_of_k(scores, correct, 1) == pytest.approx(2 / 5)
    assert best_of_k(scores, correct, 5) == pytest.approx(0.5)  # two tied at 0.9, one correct
    assert best_of_k([1.0, 2.0, 3.0], [False, False, True], 3) == 1.0
    with pytest.raises(ValueError):
        best_of_k(scores, correct, 6)
    with pytest.raises(ValueError):
        best_of_k([0.1, float("nan")], [True, False], 1)
    # Large n: no overflow, and an always-top correct sample wins whenever drawn.
    n = 3000
    big_scores = [float(i) for i in range(n)]
    big_correct = [i == n - 1 for i in range(n)]
    assert best_of_k(big_scores, big_correct, 1000) == pytest.approx(1000 / n)


# --------------------------------------------------------------------------- weighted maj


def test_weighted_maj_matches_brute_force() -> None:
    rng = random.Random(5)
    for i in range(120):
        answers, correct, scores = random_case(rng, consistent=bool(i % 2))
        for k in range(1, len(answers) + 1):
            got = weighted_maj_at_k(answers, scores, correct, k)
            assert got.exact
            assert got.value == pytest.approx(brute_vote(answers, correct, k, scores), abs=1e-12)


def test_weighted_maj_with_equal_scores_is_maj() -> None:
    rng = random.Random(8)
    for _ in range(40):
        answers, correct, _ = random_case(rng, consistent=False)
        ones = [0.4] * len(answers)  # sums like 0.4 * 3 must still tie with 0.4 + 0.4 + 0.4
        for k in range(1, len(answers) + 1):
            assert weighted_maj_at_k(answers, ones, correct, k).value == pytest.approx(
                maj_at_k(answers, correct, k).value, abs=1e-12
            )


def test_weighted_maj_score_can_outvote_count() -> None:
    answers = ["x", "y", "y"]
    scores = [0.9, 0.3, 0.4]
    correct = [True, False, False]
    assert weighted_maj_at_k(answers, scores, correct, 3).value == 1.0
    assert maj_at_k(answers, correct, 3).value == 0.0


def test_weighted_maj_near_ties_are_not_ties() -> None:
    # Only rounding-level differences tie; a real (if small) score margin decides the vote.
    answers = ["x", "y"]
    correct = [False, True]
    assert weighted_maj_at_k(answers, [0.5, 0.500001], correct, 2).value == 1.0
    assert weighted_maj_at_k(answers, [0.5, 0.5], correct, 2).value == 0.5
    three = [0.1, 0.1, 0.1]
    flags = [False] * 3 + [True]
    assert weighted_maj_at_k(["x", "x", "x", "y"], three + [0.3], flags, 4).value == 0.5


def test_weighted_maj_monte_carlo_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(17)
    n, k = 18, 9  # C(18, 9) = 48620 subsets, above the enumeration limit
    answers = [rng.choice(["a", "b", "c", None]) for _ in range(n)]
    scores = [rng.random() for _ in range(n)]
    correct = [a == "b" for a in answers]
    mc = weighted_maj_at_k(answers, scores, correct, k, mc_samples=5000, seed=1)
    assert not mc.exact and mc.stderr > 0
    assert mc == weighted_maj_at_k(answers, scores, correct, k, mc_samples=5000, seed=1)
    monkeypatch.setattr(est, "WEIGHTED_EXACT_MAX_SUBSETS", 10**6)
    exact = weighted_maj_at_k(answers, scores, correct, k)
    assert exact.exact
    assert abs(mc.value - exact.value) <= 5 * mc.stderr


# --------------------------------------------------------------------------- uncertainty


def test_bootstrap_is_seeded_and_sensible() -> None:
    rng = np.random.default_rng(0)
    values = (rng.random(400) < 0.3).astype(float)
    first = bootstrap_ci(values, seed=3)
    assert first == bootstrap_ci(values, seed=3)
    assert first != bootstrap_ci(values, seed=4)
    low, high = first
    mean = values.mean()
    assert low < mean < high
    # The percentile interval of a mean is close to the normal one for n = 400.
    half = 1.96 * values.std() / math.sqrt(len(values))
    assert (high - low) / 2 == pytest.approx(half, rel=0.15)
    narrow = bootstrap_ci(values, level=0.5, seed=3)
    assert low < narrow[0] < narrow[1] < high
    interval = mean_ci(values, seed=3)
    assert isinstance(interval, Interval)
    assert (interval.low, interval.high) == first and interval.mean == pytest.approx(mean)


def test_bootstrap_degenerate_and_invalid() -> None:
    assert bootstrap_ci([0.7] * 20) == pytest.approx((0.7, 0.7))
    assert bootstrap_ci([1.0]) == (1.0, 1.0)
    with pytest.raises(ValueError):
        bootstrap_ci([])
    with pytest.raises(ValueError):
        bootstrap_ci([1.0, 0.0], level=1.0)


def test_mcnemar_drop_known_values() -> None:
    def pairs(b01: int, b10: int, same: int = 3) -> tuple[list[bool], list[bool]]:
        """b01 problems only the second run solves, b10 only the first."""
        a = [False] * b01 + [True] * b10 + [True] * same
        b = [True] * b01 + [False] * b10 + [True] * same
        return a, b

    assert mcnemar_drop(*pairs(0, 0)) == 1.0
    assert mcnemar_drop(*pairs(0, 5)) == pytest.approx(1 / 32)
    assert mcnemar_drop(*pairs(5, 0)) == 1.0  # only improvements: no evidence of a drop
    assert mcnemar_drop(*pairs(1, 9)) == pytest.approx(11 / 1024)
    assert mcnemar_drop(*pairs(2, 10)) == pytest.approx(0.019287109375)  # binom.test(10, 12, alternative="greater")
    assert mcnemar_drop(*pairs(3, 3)) == pytest.approx(42 / 64)
    # 2**1000 would overflow a float; the exact integer ratio must not.
    assert mcnemar_drop(*pairs(0, 1000)) == pytest.approx(2.0**-1000, rel=1e-12)
    with pytest.raises(ValueError):
        mcnemar_drop([True], [True, False])


def test_ks_for() -> None:
    assert ks_for(1) == [1]
    assert ks_for(2) == [1, 2]
    assert ks_for(10) == [1, 2, 4, 8, 10]
    assert ks_for(64) == [1, 2, 4, 8, 16, 32, 64]
    with pytest.raises(ValueError):
        ks_for(0)


def test_estimate_is_frozen() -> None:
    e = Estimate(0.5, 0.0, True)
    with pytest.raises(AttributeError):
        e.value = 0.1  # type: ignore[misc]
