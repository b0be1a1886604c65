"""Engine start-up and generation speed on this machine, beside the CPU flags and the settings
chosen from them: the figures that differ most between machine kinds (BENCHMARKS.md has both)."""
from __future__ import annotations

import json
import sys
import time

from thinkbench.harness.engine import build_engine
from thinkbench.harness.engine.cpu_settings import RECORDED_FLAGS, cpu_flags
from thinkbench.harness.models import resolve_model

TOKENS = 64  # per prompt, never stopped early, so every measurement generates the same amount
PROMPTS = (1, 8)


def main() -> dict:
    model = resolve_model(None)
    t0 = time.perf_counter()
    engine = build_engine("vllm", model, {"max_model_len": 2048, "kv_cache_gib": 2}, seed=0)
    figures = {"engine_startup_seconds": time.perf_counter() - t0,
               "cpu_flags": [f for f in RECORDED_FLAGS if f in cpu_flags()],
               "settings": {k: engine.info.extra["vllm_settings"].get(k) for k in ("dtype", "enforce_eager")},
               "generation": {}}
    from vllm import SamplingParams

    params = SamplingParams(n=1, temperature=0.8, max_tokens=TOKENS, ignore_eos=True, seed=0)
    engine._llm.generate(["Warm up."], params, use_tqdm=False)
    for count in PROMPTS:
        prompts = [f"Tell me a story about the number {i}." for i in range(count)]
        t0 = time.perf_counter()
        out = engine._llm.generate(prompts, params, use_tqdm=False)
        tokens = sum(len(o.token_ids) for r in out for o in r.outputs)
        figures["generation"][str(count)] = tokens / (time.perf_counter() - t0)
    engine.close()
    return figures


if __name__ == "__main__":
    print(json.dumps(main()))
    sys.exit(0)
