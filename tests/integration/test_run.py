"""User-level runs on the real engine: `thinkbench run`, killed and resumed, and `thinkbench score`."""
import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from thinkbench.harness.config import make_run_config
from thinkbench.harness.runner import run
from thinkbench.harness.store import unpack_text

pytestmark = pytest.mark.integration

THINKBENCH = [sys.executable, "-m", "thinkbench.harness.cli"]
# Few sequences at a time, so requests finish one after another and a kill lands mid-run.
SLOW_CONFIG = "tasks: [{name: arith, limit: 10}]\nengine: {settings: {max_num_seqs: 4, kv_cache_gib: 1}}\n"
ARGS = ["--n", "4", "--max-tokens", "48"]


def _config(out: Path):
    return make_run_config({"name": "it", "out": str(out), "tasks": [{"name": "arith", "limit": 10}],
                            "strategies": [{"name": "sample", "n": 4, "max_tokens": 48}]}, "test")


def _texts(run_dir: Path) -> dict:
    with sqlite3.connect(run_dir / "store.sqlite") as db:
        return {(k, s): unpack_text(t) for k, s, t in db.execute("SELECT key, sample, text FROM completions")}


def _finished(run_dir: Path) -> int:
    try:
        with sqlite3.connect(run_dir / "store.sqlite") as db:
            return db.execute("SELECT count(*) FROM requests").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_run_on_the_embedded_model_writes_the_run_folder(engine, tmp_path):
    outcome = run(_config(tmp_path / "run"), None, tmp_path / "run", engine=engine)
    (result,) = outcome.results
    assert result.samples == 40 and result.generated_requests == 10
    assert 0 < result.mean_generated_tokens <= 4 * 48
    assert {(p.metric, p.k) for p in result.points} >= {("pass@k", 1), ("pass@k", 4), ("maj@k", 4)}
    top = next(p for p in result.points if p.metric == "pass@k" and p.k == 4)
    assert top.compute["prompt_tokens"] > 20 and top.compute["flops"] > 0
    assert top.compute["generated_tokens"] == pytest.approx(result.mean_generated_tokens)
    from thinkbench.reports.run_files import write_run_files

    text = write_run_files(outcome)
    assert "arith" in text and "pass@4" in text
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["results"][0]["samples"] == 40


def test_a_killed_run_resumes_without_regenerating_and_matches_an_uninterrupted_one(engine, tmp_path):
    out = tmp_path / "killed"
    config = tmp_path / "slow.yaml"
    config.write_text(SLOW_CONFIG)
    command = THINKBENCH + ["run", str(config)] + ARGS + ["--out", str(out)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(command, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while _finished(out) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the CLI and vLLM's engine processes, mid-run
    proc.wait()
    before = _finished(out)
    assert 3 <= before < 10, "the run should have been killed halfway"
    texts_before = _texts(out)

    resumed = subprocess.run(command, env=env, capture_output=True, text=True,
                             timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"reused {before} finished requests" in resumed.stdout
    texts_after = _texts(out)
    assert len(texts_after) == 40
    assert {k: texts_after[k] for k in texts_before} == texts_before

    reference = tmp_path / "reference"
    run(_config(reference), None, reference, engine=engine)
    assert _texts(reference) == texts_after
    ours = json.loads((out / "metrics.json").read_text())["results"][0]["points"]
    again = run(_config(reference), None, reference, engine=engine).results[0].points
    assert ours == json.loads(json.dumps([dataclasses.asdict(p) for p in again]))


def test_score_grades_completions_of_a_real_run(engine, tmp_path):
    outcome = run(_config(tmp_path / "run"), None, tmp_path / "run", engine=engine)
    with sqlite3.connect(tmp_path / "run" / "store.sqlite") as db:
        rows = [{"problem_id": pid, "completion": unpack_text(text), "finish_reason": finish} for pid, text, finish in
                db.execute("SELECT problem_id, text, finish_reason FROM completions ORDER BY key, sample")]
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    done = subprocess.run(THINKBENCH + ["score", "--task", "arith", "--predictions", str(predictions),
                                        "--out", str(tmp_path / "scored")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    verdicts = [json.loads(line) for line in (tmp_path / "scored" / "verdicts.jsonl").read_text().splitlines()]
    assert len(verdicts) == len(rows) == 40
    pass1 = next(p for p in outcome.results[0].points if p.metric == "pass@k" and p.k == 1)
    assert sum(v["correct"] for v in verdicts) / 40 == pytest.approx(pass1.value)
