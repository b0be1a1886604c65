"""Difficulty bins, group breakdowns and the paired comparison of two runs."""
import pytest

from thinkbench.harness.metrics.breakdown import breakdown, difficulty_bins
from thinkbench.harness.metrics.estimators import mcnemar_drop
from thinkbench.harness.metrics.paired import compare, holm, per_problem_diff


def test_distinct_pass_rates_fill_five_equal_bins_easiest_first():
    rates = {f"p{i}": i / 10 for i in range(10)}
    bins = difficulty_bins(rates)
    assert [bins[f"p{i}"] for i in range(10)] == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_problems_with_the_same_pass_rate_share_a_bin():
    rates = {**{f"zero{i}": 0.0 for i in range(6)}, "a": 0.5, "b": 0.75, "c": 1.0, "d": 1.0}
    bins = difficulty_bins(rates)
    assert len({bins[f"zero{i}"] for i in range(6)}) == 1
    # The unsolved six take the last 6 of 10 places, easiest first; their middle is 70% down: bin 4.
    assert bins["zero0"] == 4 and bins["c"] == bins["d"] == 1
    assert bins["c"] <= bins["b"] <= bins["a"] <= bins["zero0"]


def test_breakdown_means_per_group_in_natural_order_and_skips_unlabelled():
    values = {"a": 1.0, "b": 0.0, "c": 1.0, "d": 1.0, "e": 0.5}
    groups = {"a": 10, "b": 10, "c": 2, "d": None, "e": 2}
    stats = breakdown(values, groups)
    assert [(s.group, s.problems, s.mean) for s in stats] == [(2, 2, 0.75), (10, 2, 0.5)]
    for s in stats:
        assert s.low <= s.mean <= s.high


def test_identical_runs_show_no_difference():
    values = {f"p{i}": float(i % 2) for i in range(20)}
    c = compare(values, dict(values))
    assert c.diff == c.stderr == 0.0 and c.interval(0.05) == (0.0, 0.0)
    assert c.p_value == 1.0 and c.binary


def test_single_sample_outcomes_use_the_one_sided_exact_mcnemar_test():
    base = {f"p{i}": 1.0 for i in range(20)}
    cand = {f"p{i}": 0.0 if i < 12 else 1.0 for i in range(20)}
    c = compare(base, cand)
    assert c.p_value == pytest.approx(mcnemar_drop([True] * 20, [i >= 12 for i in range(20)])) == 2.0**-12
    assert c.diff == pytest.approx(-0.6) and c.interval(0.05)[1] < 0
    assert compare(cand, base).p_value == 1.0  # an improvement is no drop


def test_fractional_values_use_a_z_test_on_the_paired_differences():
    base = {f"p{i}": 0.5 + (i % 5) / 10 for i in range(40)}
    worse = {pid: v - 0.05 + (0.01 if i % 2 else -0.01) for i, (pid, v) in enumerate(base.items())}
    c = compare(base, worse)
    assert not c.binary and c.test == "z-test"
    assert c.diff == pytest.approx(-0.05) and c.stderr == pytest.approx(0.01 / 40**0.5, rel=0.05)
    assert c.p_value < 1e-6
    assert compare(base, {pid: v - 0.05 for pid, v in base.items()}).p_value == 0.0  # every problem dropped


def test_the_detectable_drop_shrinks_with_the_square_root_of_the_problem_count():
    def comparison(n):
        base = {f"p{i}": float(i % 2) for i in range(n)}
        cand = {f"p{i}": float(i % 3 == 0) for i in range(n)}
        return compare(base, cand)

    small, large = comparison(100), comparison(400)
    assert large.detectable_drop(0.05) == pytest.approx(small.detectable_drop(0.05) / 2, rel=0.05)
    # (z_0.95 + z_0.8) standard errors
    assert small.detectable_drop(0.05) == pytest.approx((1.6449 + 0.8416) * small.stderr, rel=1e-3)
    drop = small.detectable_drop(0.05) / 2
    assert small.problems_needed(drop, 0.05) == pytest.approx(400, rel=0.02)


def test_pass_fail_values_cannot_detect_fewer_drops_than_mcnemar_can_ever_call_significant():
    same = {f"p{i}": 1.0 for i in range(50)}
    c = compare(same, same)
    # 2^-5 = 0.031 <= 0.05: five problems dropping and none improving is the least McNemar can see.
    assert c.detectable_drop(0.05) == pytest.approx(5 / 50)
    assert c.problems_needed(0.02, 0.05) == 250


def test_holm_adjusts_p_values_step_down():
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm([]) == []


def test_different_problem_sets_cannot_be_paired():
    with pytest.raises(ValueError, match="only in the baseline"):
        per_problem_diff({"a": 1.0, "b": 0.0}, {"a": 1.0, "c": 0.0})
