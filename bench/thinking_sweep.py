"""The thinking-budget sweep's cost beside its largest budget alone, on the real engine.

For `bench.engine_bench`, which owns the engine: `figures["extra"] = measure(engine, model, out)` adds
two rows to the table (Figure fields as dicts).
"""
from __future__ import annotations

from pathlib import Path

from bench.figures import check
from thinkbench.harness.config import make_run_config
from thinkbench.harness.runner import run
from thinkbench.harness.store import Store
from thinkbench.harness.strategies.thinking_budget import sweep_token_ratio

SWEEP = {"problems": 8, "n": 4, "budgets": [32, 64, 128, 256], "answer_tokens": 16}
TARGET = 1.10


def measure(engine, model: str, out: Path) -> list[dict]:
    config = make_run_config({
        "name": "thinking-sweep", "model": model, "out": str(out / "thinking"), "reasoning": "prompted",
        "tasks": [{"name": "arith", "limit": SWEEP["problems"]}],
        "strategies": [{"name": "thinking_budget", "budgets": SWEEP["budgets"], "n": SWEEP["n"],
                        "answer_tokens": SWEEP["answer_tokens"]}]}, "bench")
    points = run(config, None, out / "thinking", engine=engine).results[0].points
    ratio = sweep_token_ratio(points)
    compute = next(p.compute for p in points if p.metric.startswith("budget:"))
    store = Store(out / "thinking" / "store.sqlite")
    # Every call after a trajectory is a forced answer: one row each (n = 1).
    answers = [r for r in store.completions("arith", "thinking_budget") if "#" in r.key]
    store.close()
    prompt = sum(r.prompt_tokens for r in answers)
    cached = sum(r.cached_prompt_tokens or 0 for r in answers)
    return [
        {"section": "sweep", "name": "thinking budgets tokens / largest alone", "value": ratio, "unit": "x",
         "target": f"<= {TARGET}", "met": check(ratio, "<=", TARGET),
         "baseline": f"budgets {SWEEP['budgets']}, n={SWEEP['n']}: {compute['sweep_generated_tokens']:.0f} vs "
                     f"{compute['largest_budget_generated_tokens']:.0f} generated tokens per problem"},
        {"section": "prefix", "name": "forced answers: prompt tokens from cache", "value": cached / prompt if prompt
         else None, "unit": "x", "baseline": f"{cached} of {prompt} over {len(answers)} answers"},
    ]
