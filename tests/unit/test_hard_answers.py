"""Hard answers: the classes rule-based checkers tend to get wrong, in both directions.

tests/data/hard_answer_cases.jsonl holds answer pairs made up for this project, each labelled with
whether the completion reaches the gold answer, in eight classes: unordered sets and lists (several
boxes included), ordered tuples and vectors, named parts, functions up to their variable's name,
conditions and intervals, GSM8K-style sentences in a box, the closing formula of an output without a
box, and reasoning formats other than <think>. Each class has equivalent forms that must be accepted
and near misses (a missing or extra element, a wrong or swapped part, a different function) that
must be rejected. The set was written together with the rules, so its agreement is where the rules
stand on these forms, not an estimate for outputs in the wild (BENCHMARKS.md has both).

Left out on purpose: math-verify reads a trailing single letter after a number as a unit ("3t" as
3, "2h" as 2), so `q(t) = 3t` is accepted against `q(t) = 3`; that is the library's, not these rules'.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from thinkbench.verifiers.math import MathVerifier

CASES_PATH = Path(__file__).resolve().parents[1] / "data" / "hard_answer_cases.jsonl"
CASES = [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
CLASSES = {"unordered", "ordered", "named_parts", "functions", "conditions", "boxed_text", "closing_statement",
           "reasoning_format"}


@pytest.fixture(scope="module")
def verifier() -> MathVerifier:
    return MathVerifier()


def test_every_class_has_accept_and_reject_cases():
    assert len(CASES) >= 200
    for case in CASES:
        assert {"class", "prediction", "gold", "expected", "note"} <= set(case) and isinstance(case["expected"], bool)
    counts = Counter((c["class"], c["expected"]) for c in CASES)
    assert {c["class"] for c in CASES} == CLASSES
    assert all(counts[(cls, True)] >= 8 and counts[(cls, False)] >= 8 for cls in CLASSES)


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c['class']}-{c['note']}" for i, c in enumerate(CASES)])
def test_hard_case(verifier, case):
    verdict = verifier.grade(case["prediction"], verifier.gold(case["gold"]),
                             truncated=case.get("finish_reason") == "length")
    assert verdict.correct is case["expected"], verdict
