"""Agreement with the labels of tests/data/hard_answer_cases.jsonl: the rules alone, then the rules
with the answer judge on the embedded model (a test of the machinery: a 135M judge is not expected to
judge well). Run as a subprocess: it starts its own engine."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from thinkbench.harness.engine import build_engine
from thinkbench.harness.models import resolve_model
from thinkbench.verifiers.grading import grade_all
from thinkbench.verifiers.judge import AnswerJudge, JudgeSpec
from thinkbench.verifiers.math import MathVerifier

CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "hard_answer_cases.jsonl"


def _agreement(cases: list[dict], verdicts) -> dict:
    wrong = [(c["expected"], v.correct) for c, v in zip(cases, verdicts) if v.correct != c["expected"]]
    return {"agree": len(cases) - len(wrong), "false_accept": sum(v for _, v in wrong),
            "false_reject": sum(e for e, _ in wrong)}


def measure() -> dict:
    cases = [json.loads(line) for line in CASES.read_text().splitlines() if line.strip()]
    verifier = MathVerifier()
    items = [(c["prediction"], verifier.gold(c["gold"])) for c in cases]
    rules = grade_all(verifier, items, workers=1, truncated=[c.get("finish_reason") == "length" for c in cases])
    figures = {"cases": len(cases), "rules": _agreement(cases, rules)}
    engine = build_engine("vllm", resolve_model(None), {"max_model_len": 2048, "kv_cache_gib": 2}, seed=0)
    try:
        t0 = time.perf_counter()
        judged, tally = AnswerJudge(JudgeSpec(), lambda: engine).review(verifier, [(None, g) for _, g in items], rules)
        figures["judge_seconds"] = time.perf_counter() - t0
    finally:
        engine.close()
    figures["rules_and_judge"] = _agreement(cases, judged)
    figures["judge"] = {"consulted": tally.consulted, "changed": tally.changed, "calls": tally.calls,
                        "prompt_tokens": tally.prompt_tokens}
    return figures


if __name__ == "__main__":
    print(json.dumps(measure()))
    sys.exit(0)
