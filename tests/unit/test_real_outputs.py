"""Grading agrees with a careful human reading of real model outputs.

tests/data/real_outputs_smollm2.jsonl holds completions of the embedded model on GSM8K and
MATH-500 (from `make eval`), each read by hand: the expected verdict is whether the output reaches
the gold answer as its conclusion. Policy: an output cut at its token limit counts only with an
explicitly stated answer.
"""
import json
from pathlib import Path

from thinkbench.verifiers import get_verifier
from thinkbench.verifiers.grading import grade_all

CASES = [json.loads(line) for line in
         (Path(__file__).parent.parent / "data" / "real_outputs_smollm2.jsonl").read_text().splitlines()]


def test_verdicts_agree_with_the_human_reading_on_every_case():
    verifier = get_verifier("math")
    golds = [verifier.gold(c["gold"]) for c in CASES]
    verdicts = grade_all(verifier, [(c["prediction"], g) for c, g in zip(CASES, golds)], workers=1,
                         truncated=[c["finish_reason"] == "length" for c in CASES])
    disagreements = [(c["note"], v.extracted) for c, v in zip(CASES, verdicts) if v.correct != c["expected"]]
    assert len(CASES) >= 50 and disagreements == []
