"""Grading, metrics, report and memory on a 500 problems x 64 samples pool (run as a subprocess,
so peak memory is this harness process alone)."""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.synthetic import SyntheticEngine
from thinkbench.harness.config import make_run_config
from thinkbench.harness.data import DataUnavailable, default_data_dir
from thinkbench.harness.runner import run
from thinkbench.harness.store import Store
from thinkbench.harness.task import load_task
from thinkbench.reports.run_files import write_run_files
from thinkbench.verifiers.grading import GradeCache, grade_all

PROBLEMS, SAMPLES = 500, 64


def _task_and_problems():
    data_dir = default_data_dir()
    try:
        return "math500", {}, load_task("math500").problems(data_dir, PROBLEMS), data_dir
    except DataUnavailable:
        options = {"levels": [1, 2, 3, 4, 5], "per_level": PROBLEMS // 5}
        return "arith", options, load_task("arith").with_options(options).problems(None), None


def measure(out: Path) -> dict:
    name, options, problems, data_dir = _task_and_problems()
    engine = SyntheticEngine({p.id: p.gold for p in problems})
    config = make_run_config({"name": "bench-pool", "model": str(out / "model"), "out": str(out / "run"),
                              "tasks": [{"name": name, "limit": PROBLEMS, "options": options}],
                              "strategies": [{"name": "sample", "n": SAMPLES}]}, "bench")
    (out / "model").mkdir(parents=True, exist_ok=True)
    (out / "model" / "config.json").write_text("{}")
    t0 = time.perf_counter()
    write_run_files(run(config, data_dir, out / "run", engine=engine))
    run_seconds = time.perf_counter() - t0

    store = Store(out / "run" / "store.sqlite")
    golds = {p.id: p.gold for p in problems}
    items = [(r.text, golds[r.problem_id]) for r in store.completions(name, "sample")]
    (out / "items.json").write_text(json.dumps({"task": name, "items": items}))
    done = subprocess.run([sys.executable, "-m", "bench.pool", "--grade", str(out / "items.json")],
                          capture_output=True, text=True, check=True)
    grading = json.loads(done.stdout.strip().splitlines()[-1])
    figures = {"task": name, "completions": len(items), "run_seconds": run_seconds, **grading}
    try:
        from thinkbench.reports.html import write_report
    except ImportError:
        pass
    else:
        t0 = time.perf_counter()
        path = write_report(out / "run")
        figures.update(report_seconds=time.perf_counter() - t0, report_mb=path.stat().st_size / 1e6)
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def grade(items_file: Path) -> dict:
    """Cold and warm grading of the pool, run in a fresh interpreter: the run before it has already
    parsed and normalized every answer in this one, and a cold figure must not reuse that."""
    saved = json.loads(items_file.read_text())
    verifier = load_task(saved["task"]).verifier
    items = [tuple(item) for item in saved["items"]]
    cache = GradeCache()
    t0 = time.perf_counter()
    grade_all(verifier, items, cache=cache)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    grade_all(verifier, items, cache=cache)
    return {"distinct_pairs": len(cache), "grade_cold_seconds": cold, "grade_warm_seconds": time.perf_counter() - t0}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--grade"]:
        print(json.dumps(grade(Path(sys.argv[2]))))
        sys.exit(0)
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(measure(Path(tmp))))
    sys.exit(0)
