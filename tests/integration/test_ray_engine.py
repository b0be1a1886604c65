"""Engine kind `ray` on a local Ray instance with one actor: the run store fills as batches come
back, and a second run reuses it all without starting Ray."""
import json
import sqlite3

import pytest

from thinkbench.harness.config import make_run_config
from thinkbench.harness.runner import run

pytestmark = pytest.mark.integration
pytest.importorskip("ray")


def test_a_run_on_a_one_actor_ray_pool_fills_the_same_run_store(tmp_path):
    out = tmp_path / "run"
    config = make_run_config({
        "name": "ray", "out": str(out), "tasks": [{"name": "arith", "limit": 4}],
        "strategies": [{"name": "sample", "n": 2, "max_tokens": 32}],
        "engine": {"kind": "ray", "settings": {"num_actors": 1, "batch_size": 2,
                                               "vllm": {"max_model_len": 1024, "kv_cache_gib": 1}}}}, "test")
    (result,) = run(config, None, out).results
    assert result.generated_requests == 4 and result.samples == 8
    assert {(p.metric, p.k) for p in result.points} >= {("pass@k", 2), ("maj@k", 2)}
    engine = json.loads((out / "engine.json").read_text())
    assert engine["kind"] == "ray" and engine["shape"]["layers"] > 0
    with sqlite3.connect(out / "store.sqlite") as db:
        rows = db.execute("SELECT count(*), min(prompt_tokens), min(generated_tokens) FROM requests JOIN completions "
                          "USING (key)").fetchone()
    assert rows[0] == 8 and rows[1] > 10 and rows[2] > 0

    again = run(config, None, out).results[0]
    assert again.reused_requests == 4 and again.generated_requests == 0
