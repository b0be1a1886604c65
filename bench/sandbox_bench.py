"""HumanEval canonical solutions executed in the sandbox, on every core."""
from __future__ import annotations

import json
import os
import sys
import time

from thinkbench.harness.data import DataUnavailable, default_data_dir, load_split
from thinkbench.harness.sandbox import Limits, run_many, sandbox_available


def main() -> dict:
    if not sandbox_available():
        return {"skipped": "bubblewrap is not available"}
    try:
        rows = load_split("openai/openai_humaneval", None, "test", default_data_dir())
    except DataUnavailable as e:
        return {"skipped": str(e)}
    jobs = [(r["prompt"] + r["canonical_solution"] + "\n" + r["test"] + f"\ncheck({r['entry_point']})\n", "")
            for r in rows]
    workers = len(os.sched_getaffinity(0))
    t0 = time.perf_counter()
    results = run_many(jobs, Limits(wall_seconds=20), workers=workers)
    seconds = time.perf_counter() - t0
    return {"executions": len(jobs), "passed": sum(r.status == "ok" for r in results), "seconds": seconds,
            "workers": workers}


if __name__ == "__main__":
    print(json.dumps(main()))
    sys.exit(0)
