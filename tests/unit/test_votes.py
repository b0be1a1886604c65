"""Gold-blind voting: a problem's answers are grouped by what the verifier says of them against each
other, never against the gold; the winner is chosen, then graded."""
import pytest

from thinkbench.harness.metrics.pool import pool_metrics
from thinkbench.harness.metrics.select import SELECTIONS
from thinkbench.harness.metrics.stages import latest_majority
from thinkbench.harness.types import CompletionRow
from thinkbench.verifiers.grading import SameAnswerCache, grade_all, vote_groups
from thinkbench.verifiers.code import normalized_program
from thinkbench.verifiers.math import MathVerifier
from thinkbench.verifiers.multiple_choice import MultipleChoiceVerifier


def _rows(verifier, completions, gold, scores=None, problem="p"):
    verdicts = grade_all(verifier, [(c, gold) for c in completions], workers=1)
    votes = vote_groups(verifier, [(problem, v.extracted) for v in verdicts])
    return [CompletionRow(key="k", sample=i, task="t", strategy="s", problem_id=problem, prompt_hash="h", text=c,
                          generated_tokens=1, finish_reason="stop", extracted=v.extracted, correct=v.correct,
                          verdict_reason=v.reason, prompt_tokens=1, cached_prompt_tokens=0,
                          score=None if scores is None else scores[i], vote=vote)
            for i, (c, v, vote) in enumerate(zip(completions, verdicts, votes))]


def test_the_vote_groups_answers_among_themselves_and_never_sees_the_gold():
    # "3" and "3.0" are one answer and outvote "1/2", which alone equals the gold 0.5: the vote is wrong.
    rows = _rows(MathVerifier(), ["\\boxed{3}", "\\boxed{3.0}", "\\boxed{1/2}"], "0.5")
    assert [r.correct for r in rows] == [False, False, True]
    assert [r.vote for r in rows] == ["3", "3", "1/2"]
    points = {(p.metric, p.k): p.value for p in pool_metrics(rows, ("pass", "maj"))}
    assert points[("maj@k", 3)] == 0.0
    assert points[("maj@k", 1)] == pytest.approx(1 / 3) and points[("pass@k", 3)] == 1.0


def test_equivalent_answers_written_differently_share_a_group_whether_right_or_wrong():
    verifier = MathVerifier()
    groups = vote_groups(verifier, [("a", "\\frac{1}{2}"), ("a", "0.5"), ("a", "x = 3"), ("a", "3"), ("a", None),
                                    ("b", "0.5")])
    assert groups == ["\\frac{1}{2}", "\\frac{1}{2}", "x = 3", "x = 3", None, "1/2"]


def test_a_resumed_run_extends_the_groups_it_has_and_decides_each_pair_once():
    calls = []

    class Counting(MultipleChoiceVerifier):
        def same_answer(self, a, b):
            calls.append((a, b))
            return super().same_answer(a, b)

    verifier, cache = Counting(), SameAnswerCache()
    first = vote_groups(verifier, [("p", "B"), ("q", "B")], cache=cache)
    later = vote_groups(verifier, [("p", "A"), ("q", "A"), ("p", "B")], known={"p": ["B"], "q": ["B"]}, cache=cache)
    assert first == ["B", "B"] and later == ["A", "A", "B"]
    assert calls == [("A", "B")]  # A against B once, for both problems


def test_weighted_votes_sum_scores_per_group():
    # Two spellings of 3 (scores 0.4 + 0.4) outweigh the one right answer (0.7).
    rows = _rows(MathVerifier(), ["\\boxed{3}", "\\boxed{3.0}", "\\boxed{0.5}"], "1/2", scores=[0.4, 0.4, 0.7])
    assert SELECTIONS["vote"](rows, 3) == (0.0, True)
    assert SELECTIONS["best"](rows, 3) == (1.0, True)


def test_a_vote_over_rounds_counts_groups_and_breaks_ties_toward_the_latest_round():
    rows = _rows(MathVerifier(), ["\\boxed{2}", "\\boxed{2.0}", "\\boxed{5}"], "5")
    assert latest_majority(rows) is rows[1]
    tie = _rows(MathVerifier(), ["\\boxed{2}", "\\boxed{5}"], "5")
    assert latest_majority(tie) is tie[1]


def test_programs_vote_by_their_code_up_to_layout_and_comments_never_by_running_them():
    same = ["def f(x):\n    return x+1\n", "def f(x):  # add one\n\n    return (x + 1)\n"]
    assert normalized_program(same[0]) == normalized_program(same[1])
    assert normalized_program("def f(x):\n    return x + 2\n") != normalized_program(same[0])
    assert normalized_program("def f(x) return  x") == "def f(x) return x"  # no parse: whitespace collapsed


TRICKY = ["3", "3.0", "0.5", "\\frac{1}{2}", "0.333333", "\\frac{1}{3}", "0.33", "50\\%", "2\\pi", "6.283185",
          "\\sqrt{2}", "1.414214", "e", "\\mathrm{e}", "x = 3", "x^2 - 1", "(x-1)(x+1)", "x", "abc", "[1, 2)",
          "\\{1, 2\\}", "1", "2", "-2", "10^{20}", "100000000000000000000", "1.0000001", "\\text{yes}", "\\infty",
          "-\\infty", "3 + 2i", "\\frac{\\sqrt{3}}{2}"]


def test_the_fast_paths_of_math_votes_never_disagree_with_the_full_check():
    verifier = MathVerifier()
    for i, a in enumerate(TRICKY):
        for b in TRICKY[i + 1:]:
            assert verifier.same_answer(a, b) == verifier.check(a, b).correct, (a, b)
