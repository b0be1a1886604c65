"""HumanEval on the embedded model: generated code runs in the sandbox, under time limits measured
on the reference solutions, and gives pass@k with intervals and the verdicts counted by reason."""
import json
import sqlite3

import pytest

from thinkbench.harness import sandbox
from thinkbench.harness.config import make_run_config
from thinkbench.harness.runner import run
from thinkbench.reports.run_files import summary_text

pytestmark = pytest.mark.integration

CATEGORIES = ("passed", "failed", "timeout", "memory limit", "runtime error", "syntax error", "no code found")


@pytest.mark.skipif(not sandbox.sandbox_available(), reason="needs bubblewrap (bwrap)")
def test_humaneval_on_the_embedded_model_gives_pass_at_k_with_intervals(engine, data_dir, tmp_path):
    config = make_run_config({"name": "code-it", "tasks": [{"name": "humaneval", "limit": 2}],
                              "strategies": [{"name": "sample", "n": 4, "max_tokens": 160}]}, "test")
    outcome = run(config, data_dir, tmp_path / "run", engine=engine)
    (result,) = outcome.results
    assert (result.task, result.problems, result.samples) == ("humaneval", 2, 8)

    pass_at = {p.k: p for p in result.points if p.metric == "pass@k"}
    assert set(pass_at) == {1, 2, 4}
    for point in pass_at.values():
        assert 0.0 <= point.low <= point.value <= point.high <= 1.0
    assert pass_at[1].value <= pass_at[2].value <= pass_at[4].value

    with sqlite3.connect(tmp_path / "run" / "store.sqlite") as db:
        graded = db.execute("SELECT extracted, correct, verdict_reason FROM completions").fetchall()
    assert len(graded) == 8
    for extracted, correct, reason in graded:
        assert reason.split(":")[0] in CATEGORIES, reason
        assert bool(correct) == (reason == "passed")
        assert (extracted is None) == (reason == "no code found")
    verdicts = result.points[0].outcomes.verdicts
    assert sum(verdicts.values()) == 8 and set(verdicts) <= set(CATEGORIES)

    limits = json.loads((tmp_path / "run" / "calibration.json").read_text())["humaneval"]
    assert len(limits["problems"]) == 2 and limits["reference_failures"] == {}
    assert "humaneval/sample: 8 samples" in summary_text(outcome) and "; verdicts: " in summary_text(outcome)
