"""The compute-optimal policy per difficulty: it picks the better strategy in each bin, and its gain is
honest only when bins are cross-fitted."""
import numpy as np
import pytest

from thinkbench.harness.analysis.compute_optimal import View, compute_optimal, split_views
from thinkbench.harness.analysis.settings import Sample, Setting, pass_rates, pool_settings

PROBLEMS = [f"p{i:03d}" for i in range(100)]
DIFFICULTY = {p: (i + 0.5) / 100 for i, p in enumerate(PROBLEMS)}  # pass rate: p099 is the easiest


def setting(strategy, name, cost, easy, hard):
    """Accuracy `easy` on problems with pass rate above 1/2, `hard` on the others."""
    return Setting(strategy, name, {p: easy if DIFFICULTY[p] > 0.5 else hard for p in PROBLEMS},
                   {p: cost for p in PROBLEMS})


def test_crossing_strategies_the_policy_takes_the_better_in_each_bin_and_beats_both():
    # A is the better strategy on easy problems, B on hard ones; B is better on average.
    settings = [setting("A", "a@1", 10, 0.9, 0.1), setting("A", "a@2", 20, 0.95, 0.15),
                setting("B", "b@1", 10, 0.6, 0.5), setting("B", "b@2", 20, 0.65, 0.55)]
    result = compute_optimal([View(DIFFICULTY, settings)])
    cheap, full = result.curve
    # Bins 1-2 are easy, 4-5 hard; bin 3 holds both halves, where B's 0.55 beats A's 0.5.
    assert cheap.choice == ("A · a@1", "A · a@1", "B · b@1", "B · b@1", "B · b@1")
    assert full.choice == ("A · a@2", "A · a@2", "B · b@2", "B · b@2", "B · b@2")
    assert cheap.accuracy.mean == pytest.approx((40 * 0.9 + 20 * 0.55 + 40 * 0.5) / 100)
    assert full.accuracy.mean == pytest.approx((40 * 0.95 + 20 * 0.6 + 40 * 0.55) / 100)
    assert cheap.baseline == "B · b@1" and cheap.gain.low > 0
    # B's best (0.60 at 20 tokens) is reached by the policy at 10: half the compute, significantly.
    best = result.headlines[0]
    assert (best.strategy, best.setting, best.accuracy) == ("B", "b@2", pytest.approx(0.6))
    assert best.ratio.mean == pytest.approx(2.0) and best.significant
    assert [b.problems for b in result.bins] == [20] * 5 and result.bins[0].low > result.bins[-1].high


def noise_pool(problems: int, n: int, rng) -> dict[str, list[Sample]]:
    """Every problem 50% solvable; a wrong sample says one of three wrong answers."""
    return {f"p{i}": [Sample("right", True, 10) if rng.random() < 0.5 else Sample(f"w{rng.integers(3)}", False, 10)
                      for _ in range(n)] for i in range(problems)}


def majority(strategy, pool):
    return pool_settings(strategy, pool, ["maj@k"])


def test_on_pure_noise_same_sample_bins_claim_a_gain_and_cross_fitted_bins_do_not():
    rng = np.random.default_rng(7)
    a, b = noise_pool(300, 8, rng), noise_pool(300, 8, rng)  # two strategies, equal in every way
    # Bins from A's own samples, which also score A: problems that were lucky in A look easy, and A's
    # votes look best exactly there. Choosing on other folds of problems does not remove that.
    same = compute_optimal([View(pass_rates(a), majority("A", a) + majority("B", b))])
    assert max(pt.gain.low for pt in same.curve if pt.gain) > 0.05
    # Bins from one half of A's samples, A scored on the other half: no gain is left to claim.
    crossed = compute_optimal(split_views("A", {"A": a}, majority, majority("B", b)))
    assert crossed.views == 2
    assert all(pt.gain.low <= 0 for pt in crossed.curve if pt.gain)
    assert not any(h.significant for h in crossed.headlines)


def test_pools_holding_the_same_samples_are_cut_at_the_same_indices():
    # Strategies seeded alike read the same samples (sample and best_of_n do): cutting only the pool that
    # gives difficulty leaves the other's values tied to the bins, and noise passes for a gain.
    a = noise_pool(300, 8, np.random.default_rng(0))
    b = {p: list(samples) for p, samples in a.items()}
    one_cut = compute_optimal(split_views("A", {"A": a}, majority, majority("B", b)))
    assert max(pt.gain.low for pt in one_cut.curve if pt.gain) > 0.02
    both_cut = compute_optimal(split_views("A", {"A": a, "B": b}, majority, []))
    assert all(pt.gain.low <= 0 for pt in both_cut.curve if pt.gain)


def test_split_views_score_every_pool_on_the_half_that_did_not_bin_it():
    pool = {"p1": [Sample("x", i % 2 == 0, 1) for i in range(5)]}  # even samples right, odd wrong
    same_seeds = {"p1": [Sample("x", i % 2 == 0, 1) for i in range(8)]}  # another pool, sample i alike
    first, second = split_views("S", {"S": pool, "T": same_seeds}, majority, [])
    assert (first.difficulty, second.difficulty) == ({"p1": 1.0}, {"p1": 0.0})
    # h = 5 // 2 samples per half for S, 4 for T; both scored on the half that gave no difficulty.
    assert [s.name for s in first.settings] == ["maj@1", "maj@2", "maj@1", "maj@2", "maj@4"]
    assert all(s.values == {"p1": 0.0} for s in first.settings)
    assert all(s.values == {"p1": 1.0} for s in second.settings)


def test_settings_must_agree_across_views():
    one = setting("A", "a@1", 10, 0.9, 0.1)
    with pytest.raises(ValueError, match="same settings"):
        compute_optimal([View(DIFFICULTY, [one]), View(DIFFICULTY, [setting("B", "b@1", 10, 0.5, 0.5)])])
    short = Setting("B", "b@1", {"p000": 1.0}, {"p000": 1.0})
    with pytest.raises(ValueError, match="problems differ"):
        compute_optimal([View(DIFFICULTY, [one, short])])
