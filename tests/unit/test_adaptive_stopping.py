"""Adaptive sampling read from a pool: expectations over every order of the samples, checked by hand on
tiny pools and against brute force over all orders."""
import itertools
import random

import pytest

from thinkbench.harness.analysis.adaptive_stopping import ConfidenceRule, VotesRule, adaptive_settings, \
    beta_confidence, exact, simulate
from thinkbench.harness.analysis.settings import Sample


def pool(*answers, tokens=None, right=("A",)):
    tokens = tokens or {}
    return [Sample(a, a in right, tokens.get(a, 10)) for a in answers]


def test_two_votes_on_a_pool_of_three_by_hand():
    # Orders AAB, ABA, BAA are equally likely: stop after 2, 3 and 3 draws, always on A.
    outcome = exact(VotesRule(2), pool("A", "A", "B"))
    assert outcome.samples == pytest.approx(8 / 3)
    assert outcome.accuracy == pytest.approx(1.0)
    assert outcome.tokens == pytest.approx(80 / 3)


def test_two_votes_on_a_balanced_pool_by_hand():
    # AABB stops at 2 on A, ABAB 3 A, ABBA 3 B, BAAB 3 A, BABA 3 B, BBAA 2 B: E[draws] = 16/6, A wins half.
    # A is drawn 2+2+1+2+1+0 = 8 times in the six orders, B 8 times: tokens (8*10 + 8*20) / 6 = 40.
    outcome = exact(VotesRule(2), pool("A", "A", "B", "B", tokens={"A": 10, "B": 20}))
    assert outcome.samples == pytest.approx(16 / 6)
    assert outcome.accuracy == pytest.approx(0.5)
    assert outcome.tokens == pytest.approx(40)


def test_a_pool_that_never_agrees_is_drawn_whole_and_its_plurality_votes():
    outcome = exact(VotesRule(2), pool("A", "B", "C", None))
    assert outcome.samples == 4
    assert outcome.accuracy == pytest.approx(1 / 3)  # a three-way tie, broken at random
    assert exact(VotesRule(2), pool(None, None)).accuracy == 0.0


def test_the_vote_never_sees_the_gold():
    # Two equal wrong answers outvote the right one, whatever the grades say about them.
    assert exact(VotesRule(2), pool("3", "3", "1/2", right=("1/2",))).accuracy == 0.0


def _brute(rule, samples):
    totals = [0.0, 0.0, 0.0]
    orders = list(itertools.permutations(range(len(samples))))
    for order in orders:
        counts, drawn = {}, 0
        for i in order:
            drawn += 1
            if samples[i].vote is not None:
                counts[samples[i].vote] = counts.get(samples[i].vote, 0) + 1
            top = sorted(counts.values(), reverse=True) + [0, 0]
            if rule.stops(top[0], top[1]):
                break
        if counts:
            tied = [a for a, c in counts.items() if c == max(counts.values())]
            share = [sum(s.correct for s in samples if s.vote == a) / sum(s.vote == a for s in samples) for a in tied]
            totals[0] += sum(share) / len(share)
        totals[1] += drawn
        totals[2] += sum(samples[i].tokens for i in order[:drawn])
    return [t / len(orders) for t in totals]


def test_exact_expectation_equals_brute_force_over_all_orders():
    rng = random.Random(0)
    for _ in range(30):
        samples = [Sample(v, v == "a" or (v == "b" and rng.random() < 0.3), rng.randint(1, 50))
                   for v in (rng.choice(["a", "a", "b", "c", None]) for _ in range(rng.randint(1, 7)))]
        for m in (1, 2, 3):
            outcome = exact(VotesRule(m), samples)
            assert [outcome.accuracy, outcome.samples, outcome.tokens] == pytest.approx(_brute(VotesRule(m), samples))


def test_adaptive_consistency_beta_rule():
    # P(p > 1/2) for p ~ Beta(v1+1, v2+1): 15/16 after three unanimous votes, 31/32 after four.
    assert beta_confidence(0, 0) == 0.5
    assert beta_confidence(3, 0) == pytest.approx(15 / 16)
    assert beta_confidence(4, 0) == pytest.approx(31 / 32)
    unanimous, = simulate(ConfidenceRule(0.95), [pool(*"AAAAAA")], [0], orders=100)
    assert (unanimous.samples, unanimous.accuracy, unanimous.exact) == (4.0, 1.0, False)


def test_monte_carlo_agrees_with_the_exact_expectation_on_pools_of_any_size():
    pools = [pool(*"AAAABBBCCD", None, None, tokens={"A": 5, "B": 30}), pool("B", "A", "A"), pool(None)]
    estimates = simulate(VotesRule(3), pools, [1, 2, 3], orders=20000)
    for samples, estimate in zip(pools, estimates):
        truth = exact(VotesRule(3), samples)
        assert estimate.accuracy == pytest.approx(truth.accuracy, abs=0.02)
        assert estimate.samples == pytest.approx(truth.samples, abs=0.05)
        assert estimate.tokens == pytest.approx(truth.tokens, rel=0.02)


def test_settings_carry_each_problems_expectation():
    settings = adaptive_settings("sample", {"p1": pool("A", "A", "B"), "p2": pool("B", "B", "B")},
                                 [VotesRule(2), ConfidenceRule(0.95)])
    votes, beta = settings
    assert votes.name == "stop at 2 votes" and beta.name == "Adaptive-Consistency 0.95"
    assert votes.values == pytest.approx({"p1": 1.0, "p2": 0.0})
    assert votes.costs == pytest.approx({"p1": 80 / 3, "p2": 20.0})
    assert beta.costs["p2"] == pytest.approx(30.0)  # three draws: the pool runs out before 4 votes


def test_the_confidence_rule_by_monte_carlo_agrees_with_brute_force():
    samples = pool("A", "B", "A", "C", "A", None, tokens={"A": 3, "C": 40})
    estimate, = simulate(ConfidenceRule(0.8), [samples], [5], orders=20000)
    accuracy, drawn, tokens = _brute(ConfidenceRule(0.8), samples)
    assert estimate.accuracy == pytest.approx(accuracy, abs=0.02)
    assert estimate.samples == pytest.approx(drawn, abs=0.05)
    assert estimate.tokens == pytest.approx(tokens, rel=0.03)


def test_pools_where_no_sample_answered_cost_their_draws_and_score_zero():
    # A small model at a tight token limit: every sample cut before its answer.
    votes, beta = adaptive_settings("sample", {"p1": pool(None, None), "p2": pool(None, None)},
                                    [VotesRule(2), ConfidenceRule(0.95)])
    for setting in (votes, beta):
        assert setting.values == {"p1": 0.0, "p2": 0.0} and setting.costs == pytest.approx({"p1": 20.0, "p2": 20.0})
