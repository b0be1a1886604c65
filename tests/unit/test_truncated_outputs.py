"""An output cut at its token limit has no conclusion: its last number is not an answer."""
from thinkbench.verifiers import get_verifier
from thinkbench.verifiers.grading import grade_all


def test_a_cut_off_output_has_only_its_explicit_answers():
    math = get_verifier("math")
    items = [("We are left with 70,000 -", "70000"), ("so the total is \\boxed{18} and then we", "18")]
    cut = grade_all(math, items, truncated=[True, True])
    assert [(v.extracted, v.correct, v.reason) for v in cut] == [(None, False, "no answer"), ("18", True, "")]
    whole = grade_all(math, items, truncated=[False, False])
    assert [v.correct for v in whole] == [True, True]


def test_verifiers_without_the_parameter_are_graded_as_before():
    mc = get_verifier("multiple_choice")
    (verdict,) = grade_all(mc, [("Answer: B", "B")], truncated=[True])
    assert verdict.correct
