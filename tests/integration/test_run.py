"""User-level runs on the real engine: the run folder, `thinkbench run` stopped with SIGTERM (no
process left, a quiet terminal, a resume that matches an uninterrupted run), and `thinkbench score`."""
import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml
from workloads import ENGINE_SETTINGS, SMALL_RUN

from thinkbench.harness.config import make_run_config
from thinkbench.harness.runner import run
from thinkbench.harness.store import unpack_text

pytestmark = pytest.mark.integration

THINKBENCH = [sys.executable, "-m", "thinkbench.harness.cli"]
SAMPLES = SMALL_RUN["tasks"][0]["limit"] * SMALL_RUN["strategies"][0]["n"]


def _texts(run_dir: Path) -> dict:
    with sqlite3.connect(run_dir / "store.sqlite") as db:
        return {(k, s): unpack_text(t) for k, s, t in db.execute("SELECT key, sample, text FROM completions")}


def _finished(run_dir: Path) -> int:
    try:
        with sqlite3.connect(run_dir / "store.sqlite") as db:
            return db.execute("SELECT count(*) FROM requests").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_run_on_the_embedded_model_writes_the_run_folder(small_run):
    outcome, out = small_run
    (result,) = outcome.results
    assert result.samples == SAMPLES and result.generated_requests == SAMPLES // 4
    assert 0 < result.mean_generated_tokens <= 4 * 40
    assert {(p.metric, p.k) for p in result.points} >= {("pass@k", 1), ("pass@k", 4), ("maj@k", 4)}
    top = next(p for p in result.points if p.metric == "pass@k" and p.k == 4)
    assert top.compute["prompt_tokens"] > 20 and top.compute["flops"] > 0
    assert top.compute["generated_tokens"] == pytest.approx(result.mean_generated_tokens)
    assert "pass@4" in (out / "summary.txt").read_text()
    assert json.loads((out / "metrics.json").read_text())["results"][0]["samples"] == SAMPLES
    engine = json.loads((out / "engine.json").read_text())
    assert engine["extra"]["start_seconds"] > 0
    if engine["extra"]["cpu"]:  # the settings chosen for this CPU, each with its reason
        assert "enforce_eager" in engine["extra"]["chosen_for_cpu"]
        assert engine["extra"]["vllm_settings"]["enable_chunked_prefill"] is False


def test_sigterm_ends_every_process_of_a_run_and_the_run_resumes_as_if_uninterrupted(engine, small_run, tmp_path):
    reference = small_run[1]
    out = tmp_path / "stopped"
    config = tmp_path / "run.yaml"
    # Few sequences at a time, so that requests finish one after another and the signal lands mid-run.
    config.write_text(yaml.safe_dump({**SMALL_RUN, "engine": {"settings": {**ENGINE_SETTINGS, "max_num_seqs": 4}}}))
    # vLLM's multiprocess layout (the one GPUs get): an engine-core and a worker process that must
    # not outlive the run.
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "VLLM_ENABLE_V1_MULTIPROCESSING": "1"}
    proc = subprocess.Popen(THINKBENCH + ["run", str(config), "--out", str(out)], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while _finished(out) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    engine_processes = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGTERM)  # to the CLI alone, as a scheduler or `kill` would
    stdout, stderr = proc.communicate(timeout=120)
    psutil.wait_procs(engine_processes, timeout=30)
    left = [p for p in psutil.process_iter(["pid"]) if _in_group(p, proc.pid)]
    try:
        assert engine_processes, "vLLM's engine processes should have been running"
        assert not left, f"left running: {[p.info for p in left]}"
    finally:
        for p in left:
            p.kill()
    assert proc.returncode != 0 and "Traceback" not in stderr, stderr[-2000:]
    # A quiet terminal: thinkbench's own lines; vLLM's went to engine.log.
    assert "starting engine" in stderr and "INFO" not in stderr and "WARNING" not in stderr, stderr[-2000:]
    assert "vLLM" in (out / "engine.log").read_text()

    before = _finished(out)
    assert 2 <= before < SAMPLES // 4, "the run should have been stopped halfway"
    texts_before = _texts(out)
    resumed = run(make_run_config({**SMALL_RUN, "out": str(out)}, "test"), None, out, engine=engine).results[0]
    assert resumed.reused_requests == before and resumed.generated_requests == SAMPLES // 4 - before
    texts_after = _texts(out)
    assert {k: texts_after[k] for k in texts_before} == texts_before
    assert texts_after == _texts(reference)
    ours = [dataclasses.asdict(p) for p in resumed.points]
    assert ours == [dataclasses.asdict(p) for p in small_run[0].results[0].points]


def _in_group(process: psutil.Process, group: int) -> bool:
    try:
        return os.getpgid(process.info["pid"]) == group
    except (ProcessLookupError, PermissionError):
        return False


def test_score_grades_completions_of_a_real_run(small_run, tmp_path):
    outcome, out = small_run
    with sqlite3.connect(out / "store.sqlite") as db:
        rows = [{"problem_id": pid, "completion": unpack_text(text), "finish_reason": finish} for pid, text, finish in
                db.execute("SELECT problem_id, text, finish_reason FROM completions ORDER BY key, sample")]
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    done = subprocess.run(THINKBENCH + ["score", "--task", "arith", "--predictions", str(predictions),
                                        "--out", str(tmp_path / "scored")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    verdicts = [json.loads(line) for line in (tmp_path / "scored" / "verdicts.jsonl").read_text().splitlines()]
    assert len(verdicts) == len(rows) == SAMPLES
    pass1 = next(p for p in outcome.results[0].points if p.metric == "pass@k" and p.k == 1)
    assert sum(v["correct"] for v in verdicts) / SAMPLES == pytest.approx(pass1.value)
