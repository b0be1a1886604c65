"""Difficulty bins, group breakdowns and the paired comparison of two runs."""
import pytest

from thinkbench.harness.metrics.breakdown import breakdown, difficulty_bins
from thinkbench.harness.metrics.estimators import mcnemar_exact
from thinkbench.harness.metrics.paired import compare, per_problem_diff


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
    assert c.diff.mean == c.diff.low == c.diff.high == 0.0
    assert c.p_value == 1.0 and not c.significant(0.05)


def test_single_sample_outcomes_use_the_exact_mcnemar_test():
    base = {f"p{i}": 1.0 for i in range(20)}
    cand = {f"p{i}": 0.0 if i < 12 else 1.0 for i in range(20)}
    c = compare(base, cand, level=0.95)
    assert c.p_value == pytest.approx(mcnemar_exact([True] * 20, [i >= 12 for i in range(20)]))
    assert c.p_value < 0.001 and c.significant(0.05)
    assert c.diff.mean == pytest.approx(-0.6) and c.diff.high < 0


def test_fractional_values_are_judged_by_the_paired_interval():
    base = {f"p{i}": 0.5 + (i % 5) / 10 for i in range(40)}
    better = {pid: v + 0.05 for pid, v in base.items()}
    c = compare(base, better)
    assert c.p_value is None
    assert c.diff.low == pytest.approx(0.05) and c.significant(0.05)


def test_different_problem_sets_cannot_be_paired():
    with pytest.raises(ValueError, match="only in the baseline"):
        per_problem_diff({"a": 1.0, "b": 0.0}, {"a": 1.0, "c": 0.0})
