"""Batch grading: each distinct (answer, gold) decided once, in a pool (sent while extracting) when many."""
from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import pytest

import thinkbench.verifiers.grading as grading
from thinkbench.verifiers import Verdict
from thinkbench.verifiers.grading import GradeCache, grade_all
from thinkbench.verifiers.math import MathVerifier
from thinkbench.verifiers.multiple_choice import MultipleChoiceVerifier


class CountingVerifier:
    """Extracts the last word; counts equivalence checks."""

    name = "counting"
    options: dict = {}

    def __init__(self) -> None:
        self.checked: list[tuple[str, str]] = []

    def gold(self, raw: str) -> str:
        return raw

    def extract(self, completion: str) -> str | None:
        words = completion.split()
        return words[-1] if words else None

    def check(self, extracted: str, gold: str) -> Verdict:
        self.checked.append((extracted, gold))
        return Verdict(extracted, extracted == gold)

    def grade(self, completion: str, gold: str) -> Verdict:
        raise AssertionError("grade_all must not call grade on a verifier that can check")


class GradeOnlyVerifier:
    name = "grade-only"

    def grade(self, completion: str, gold: str) -> Verdict:
        return Verdict(completion, completion == gold)


def test_verdicts_in_order_with_no_answers():
    v = CountingVerifier()
    got = grade_all(v, [("so 5", "5"), ("", "5"), ("so 6", "5")])
    assert got == [Verdict("5", True), Verdict(None, False, "no answer"), Verdict("6", False)]


def test_each_distinct_pair_is_checked_once():
    v = CountingVerifier()
    items = [(f"attempt {i}: 7", "7") for i in range(50)] + [("x 8", "7")] * 20 + [("x 7", "9")]
    got = grade_all(v, items)
    assert sorted(v.checked) == [("7", "7"), ("7", "9"), ("8", "7")]
    assert [g.correct for g in got] == [True] * 50 + [False] * 21


def test_cache_is_reused_across_calls():
    v, cache = CountingVerifier(), GradeCache()
    grade_all(v, [("a 1", "1"), ("a 2", "1")], cache=cache)
    assert len(cache) == 2 and len(v.checked) == 2
    again = grade_all(v, [("b 2", "1"), ("c 1", "1"), ("d 3", "1")], cache=cache)
    assert [g.correct for g in again] == [False, True, False]
    assert len(v.checked) == 3 and len(cache) == 3


def test_cache_keeps_verifiers_with_different_options_apart():
    cache = GradeCache()
    cache.put(MathVerifier(timeout_s=1), "1", "1", True, "")
    assert cache.get(MathVerifier(timeout_s=1), " 1 ", "1") == (True, "")
    assert cache.get(MathVerifier(timeout_s=2), "1", "1") is None


def test_verifier_without_check_is_graded_item_by_item():
    got = grade_all(GradeOnlyVerifier(), [("a", "a"), ("b", "a")])
    assert [g.correct for g in got] == [True, False]


def test_choices_reach_multiple_choice_extraction():
    mc = MultipleChoiceVerifier()
    items = [("The answer is Paris.", "B"), ("Answer: (C)", "B")]
    got = grade_all(mc, items, choices=[["London", "Paris", "Berlin", "Rome"], None])
    assert got == [Verdict("B", True), Verdict("C", False)]
    with pytest.raises(ValueError):
        grade_all(mc, items, choices=[None])


def test_timeouts_are_reported_and_cached():
    v, cache = MathVerifier(timeout_s=0.3), GradeCache()
    slow = [(r"\boxed{(x+y+z)^{40}}", r"(x+y+z+1)^{40}")] * 3
    got = grade_all(v, slow, cache=cache, workers=1)
    assert all(g == Verdict("(x+y+z)^{40}", False, "unverified: timeout") for g in got)
    assert cache.get(v, "(x+y+z)^{40}", r"(x+y+z+1)^{40}") == (False, "unverified: timeout")


def _many_math_items() -> list[tuple[str, str]]:
    # Enough distinct pairs to pass the pool threshold, each needing sympy (fraction vs decimal).
    items = []
    for n in range(1, grading.POOL_MIN_PAIRS + 7):
        items.append((rf"So $\boxed{{\frac{{{n}}}{{4}}}}$.", str(n / 4)))
        items.append((rf"So $\boxed{{\frac{{{n}}}{{5}}}}$.", str(n / 4)))
    return items


def test_many_pairs_go_to_a_process_pool(monkeypatch):
    used = []
    real = grading._PoolChecks

    def counted(verifier, workers):
        used.append(workers)
        return real(verifier, workers)

    monkeypatch.setattr(grading, "_PoolChecks", counted)
    items = _many_math_items()
    expected = grade_all(MathVerifier(), items, workers=1)
    assert used == []
    got = grade_all(MathVerifier(), items, workers=2)
    assert used == [2]
    assert got == expected
    assert [g.correct for g in got] == [True, False] * (len(items) // 2)


@pytest.mark.parametrize("dies_at", ["submit", "result"])
def test_a_broken_pool_falls_back_to_grading_inline(monkeypatch, dies_at):
    class DeadWorker(Future):
        def result(self, timeout=None):
            raise BrokenProcessPool("worker died")

    class BrokenPool:
        def __init__(self, *args, **kwargs):
            pass

        def submit(self, *args):
            if dies_at == "submit":
                raise BrokenProcessPool("worker died")
            return DeadWorker()

        def shutdown(self, **kwargs):
            pass

    monkeypatch.setattr(grading, "ProcessPoolExecutor", BrokenPool)
    items = _many_math_items()
    got = grade_all(MathVerifier(), items, workers=2)
    assert [g.correct for g in got] == [True, False] * (len(items) // 2)
