"""Figures that need the real engine, all from one engine in one process: harness overhead against
plain `vllm.LLM.generate`, prefix reuse, and what one pool saves over per-budget runs."""
from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench import thinking_sweep
from thinkbench.harness.config import make_run_config
from thinkbench.harness.data import DataUnavailable, default_data_dir
from thinkbench.harness.engine import build_engine
from thinkbench.harness.models import resolve_model
from thinkbench.harness.runner import run
from thinkbench.harness.store import Store
from thinkbench.harness.strategies.base import derive_seed
from thinkbench.harness.task import load_task
from thinkbench.reports.run_files import write_run_files

OVERHEAD = {"problems": 16, "n": 8, "max_tokens": 256}
SWEEP = {"problems": 4, "n": 64, "max_tokens": 48}


def _workload():
    data_dir = default_data_dir()
    try:
        load_task("gsm8k").problems(data_dir, 1)
        return "gsm8k", data_dir
    except DataUnavailable:
        return "arith", None


def overhead(engine, model: str, out: Path) -> dict:
    from vllm import SamplingParams

    task_name, data_dir = _workload()
    problems = load_task(task_name).problems(data_dir, OVERHEAD["problems"])
    # The very requests the harness sends: same rendered prompts, same per-problem seeds.
    prompts = [engine.render((("user", p.prompt),)) for p in problems]
    params = [SamplingParams(n=OVERHEAD["n"], temperature=0.8, top_p=1.0, max_tokens=OVERHEAD["max_tokens"],
                             seed=derive_seed(0, p.task, p.id)) for p in problems]
    llm = engine._llm
    llm.reset_prefix_cache()
    t0 = time.perf_counter()
    direct = llm.generate(prompts, params, use_tqdm=False)
    direct_seconds = time.perf_counter() - t0
    direct_tokens = sum(len(o.token_ids) for r in direct for o in r.outputs)

    llm.reset_prefix_cache()
    config = make_run_config({"name": "bench", "model": model, "out": str(out / "overhead"),
                              "tasks": [{"name": task_name, "limit": OVERHEAD["problems"]}],
                              "strategies": [{"name": "sample", "n": OVERHEAD["n"], "temperature": 0.8,
                                              "max_tokens": OVERHEAD["max_tokens"]}]}, "bench")
    t0 = time.perf_counter()
    outcome = run(config, data_dir, out / "overhead", engine=engine)
    write_run_files(outcome)
    try:
        from thinkbench.reports.html import write_report
    except ImportError:
        pass
    else:
        write_report(out / "overhead")
    harness_seconds = time.perf_counter() - t0
    rows = Store(out / "overhead" / "store.sqlite").completions(task_name, "sample")
    by_key = {}
    for r in rows:
        by_key.setdefault(r.key, (r.prompt_tokens, r.cached_prompt_tokens))
    prompt = sum(p for p, _ in by_key.values())
    cached = sum(c or 0 for _, c in by_key.values())
    return {"task": task_name, "direct_seconds": direct_seconds, "harness_seconds": harness_seconds,
            "direct_tokens": direct_tokens, "harness_tokens": sum(r.generated_tokens for r in rows),
            # n samples of a prompt would be n prefills if sent separately; one request prefills once.
            "sampling_prompt_tokens_requested": prompt * OVERHEAD["n"],
            "sampling_prompt_tokens_computed": prompt - cached}


def sweep(engine, model: str, out: Path) -> dict:
    config = make_run_config({"name": "sweep", "model": model, "out": str(out / "sweep"),
                              "tasks": [{"name": "arith", "limit": SWEEP["problems"]}],
                              "strategies": [{"name": "sample", "n": SWEEP["n"], "max_tokens": SWEEP["max_tokens"]}]},
                             "bench")
    outcome = run(config, None, out / "sweep", engine=engine)
    rows = Store(out / "sweep" / "store.sqlite").completions("arith", "sample")
    by_problem: dict[str, list[int]] = {}
    for r in sorted(rows, key=lambda r: r.sample):
        by_problem.setdefault(r.problem_id, []).append(r.generated_tokens)
    pool = sum(sum(t) for t in by_problem.values())
    # Sample i of a request has seed + i, so a separate run with budget k would generate exactly
    # this pool's first k samples: its cost is known without running it.
    budgets = range(1, SWEEP["n"] + 1)
    separate = sum(sum(t[:k]) for t in by_problem.values() for k in budgets)
    return {"pool_tokens": pool, "largest_budget_tokens": pool, "separate_runs_tokens": separate,
            "budgets": len(budgets), "points": len(outcome.results[0].points)}


def beam_prefix(engine, model: str, out: Path) -> list[dict]:
    """Prompt tokens beam search asks for (every expansion re-sends its whole prefix, n times)
    against those the engine computed (the rest came from the prefix cache or a shared prefill)."""
    config = make_run_config({"name": "beam", "model": model, "out": str(out / "beam"),
                              "tasks": [{"name": "arith_steps", "limit": 4}],
                              "strategies": [{"name": "beam_search", "budgets": [4], "expansions": 2, "max_steps": 3,
                                              "step_tokens": 32, "max_tokens": 96,
                                              "scorer": {"name": "confidence"}}]}, "bench")
    run(config, None, out / "beam", engine=engine)
    with sqlite3.connect(out / "beam" / "store.sqlite") as db:
        rows = list(db.execute(
            "SELECT r.prompt_tokens, COALESCE(r.cached_prompt_tokens, 0), COUNT(c.sample) FROM requests r"
            " JOIN completions c USING (key) WHERE r.strategy LIKE 'beam_search:%' GROUP BY r.key"))
    requested = sum(p * n for p, _, n in rows)
    computed = sum(p - c for p, c, _ in rows)
    return [{"section": "prefix", "name": "beam search prompt tokens computed / requested",
             "value": computed / requested if requested else None, "unit": "x",
             "baseline": f"{computed} of {requested} over {len(rows)} expansion calls"}]


def main() -> dict:
    model = resolve_model(None)
    t0 = time.perf_counter()
    engine = build_engine("vllm", model, {"max_model_len": 2048, "kv_cache_gib": 2}, seed=0)
    figures = {"engine_startup_seconds": time.perf_counter() - t0}
    with tempfile.TemporaryDirectory() as tmp:
        figures["overhead"] = overhead(engine, model, Path(tmp))
        figures["sweep"] = sweep(engine, model, Path(tmp))
        figures["extra"] = thinking_sweep.measure(engine, model, Path(tmp)) + beam_prefix(engine, model, Path(tmp))
    engine.close()
    return figures


if __name__ == "__main__":
    print(json.dumps(main()))
    sys.exit(0)
