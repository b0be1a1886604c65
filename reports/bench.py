"""Figures for `make bench`: the time to write report.html and its size, for a synthetic run folder of
500 problems x 64 samples of about 250 tokens (1,000 characters) each by default.

    python -m reports.bench [PROBLEMS SAMPLES]   # prints the figures as one JSON line
"""
from __future__ import annotations

import dataclasses
import json
import random
import time
from pathlib import Path
from typing import Callable

import yaml

from thinkbench.harness import provenance
from thinkbench.harness.engine.base import GenOutput, GenResult
from thinkbench.harness.metrics.lengths import text_lengths
from thinkbench.harness.metrics.pool import pool_metrics
from thinkbench.harness.results import RunResult, TaskResult
from thinkbench.harness.store import RequestMeta, Store
from thinkbench.harness.types import ModelShape, Problem
from thinkbench.reports.html import write_report
from thinkbench.reports.problems import SAMPLES_DIR
from thinkbench.reports.run_files import write_run_files

_SUBJECTS = ["Algebra", "Counting & Probability", "Geometry", "Intermediate Algebra", "Number Theory",
             "Prealgebra", "Precalculus"]
# Stand-in for model prose: random words and numbers. It compresses like real output does (the report
# carried 2.3 bytes of sample text per byte here, 2.2 for 64 SmolLM2 samples per problem on arith), so
# the report's size tracks the volume of sample text.
_WORDS = ("so the we then let and is of to a sum product value equation solve both sides divide multiply add "
          "subtract therefore answer check step first next since because gives x y z n k term factor root square "
          "cube prime integer fraction total each number").split()
_SHAPE = ModelShape(parameters=135_000_000, layers=30, attention_dim=576)


def _text(rng: random.Random, tokens: int, answer: str) -> str:
    words = [rng.choice(_WORDS) if rng.random() < 0.8 else str(rng.randint(0, 999)) for _ in range(tokens * 3 // 4)]
    for i in range(12, len(words), 12):
        words[i] += ".\n" if rng.random() < 0.3 else ","
    return " ".join(words) + f" The final answer is $\\boxed{{{answer}}}$."


def _short_sample(rng: random.Random, answer: str) -> GenOutput:
    tokens = rng.randint(100, 400)
    return GenOutput(_text(rng, tokens, answer), tokens, "stop")


def synthetic_run(run_dir: Path, problems: int = 500, samples: int = 64, seed: int = 0,
                  sample: Callable[[random.Random, str], GenOutput] = _short_sample) -> Path:
    """Write a finished run folder (store, metrics.json, config) of `problems` x `samples` from
    a seeded generator; no engine is involved. `sample` writes one completion that states the given
    answer; a completion cut at its limit ("length") states none."""
    rng = random.Random(seed)
    run_dir.mkdir(parents=True, exist_ok=True)
    task, strategy = "math500", "sample"
    items = []
    for i in range(problems):
        level, subject = rng.randint(1, 5), rng.choice(_SUBJECTS)
        items.append(Problem(task, f"test/{subject.lower()}/{i}.json", f"Problem {i}: " + _text(rng, 60, "?"),
                             str(rng.randint(0, 999)), {"level": level, "subject": subject}))
    store = Store(run_dir / "store.sqlite")
    try:
        store.save_problems(items)
        verdicts = []
        for p in items:
            skill = rng.betavariate(1.2, 1.2) * (1.1 - p.meta["level"] / 5)
            wrong = [str(rng.randint(0, 999)) for _ in range(rng.randint(1, 12))]
            answers = [p.gold if rng.random() < skill else rng.choice(wrong) for _ in range(samples)]
            outputs = tuple(sample(rng, a) for a in answers)
            key = f"{task}/{strategy}/{p.id}/synthetic"
            store.save(GenResult(key, 120, 0, outputs, 1.0), RequestMeta(task, strategy, p.id, "synthetic",
                                                                          (("user", p.prompt),)))
            stated = [None if o.finish_reason == "length" else a for o, a in zip(outputs, answers)]
            verdicts += [(key, i, a, a == p.gold, "" if a else "no answer", "rules")
                         for i, a in enumerate(stated)]
        store.set_verdicts(verdicts)
        # Synthetic answers are the same exactly when their texts are.
        store.set_votes((key, i, answer) for key, i, answer, *_ in verdicts if answer)
        rows = store.completions(task, strategy)
    finally:
        store.close()
    points = pool_metrics(rows, ("pass", "maj"), _SHAPE)
    result = TaskResult(task=task, strategy=strategy, problems=problems,
                        problems_sha256=provenance.problems_fingerprint(items), samples=len(rows),
                        reused_requests=0, generated_requests=problems, points=points,
                        no_answer_rate=sum(r.extracted is None for r in rows) / len(rows),
                        mean_generated_tokens=sum(r.generated_tokens for r in rows) / problems,
                        generation_seconds=0.0, lengths=text_lengths(rows))
    (run_dir / "config.yaml").write_text(yaml.safe_dump({"name": run_dir.name, "model": "synthetic", "seed": seed,
                                                         "strategies": [{"name": strategy, "n": samples}]}))
    (run_dir / "engine.json").write_text(json.dumps({"kind": "synthetic", "model": "synthetic",
                                                     "shape": dataclasses.asdict(_SHAPE)}))
    write_run_files(RunResult(run_dir, [result], {}, None))
    return run_dir


def report_figures(run_dir: Path) -> dict:
    """Seconds to write RUN_DIR/report.html and its sample files, their sizes, and the bytes of
    sample text they carry."""
    store = Store(run_dir / "store.sqlite")
    try:
        text_bytes = sum(len(r.text.encode()) for r in store.completions("math500", "sample"))
    finally:
        store.close()
    start = time.perf_counter()
    path = write_report(run_dir)
    return {"report_seconds": time.perf_counter() - start, "report_bytes": path.stat().st_size,
            "sample_files_bytes": sum(f.stat().st_size for f in (run_dir / SAMPLES_DIR).rglob("*.js")),
            "sample_text_bytes": text_bytes}


if __name__ == "__main__":
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = synthetic_run(Path(tmp) / "synthetic", *map(int, sys.argv[1:3]))
        print(json.dumps(report_figures(folder)))
