"""The openai engine against a real `vllm serve`: tokenizer endpoints, logprobs, cached prompt
tokens, and a run that survives its server being killed and restarted."""
import logging
import sqlite3
import threading
import time

import pytest

from thinkbench.harness.config import make_run_config
from thinkbench.harness.engine import GenRequest, SamplingSpec, build_engine
from thinkbench.harness.runner import run

pytestmark = pytest.mark.integration


def _finished(run_dir) -> int:
    try:
        with sqlite3.connect(run_dir / "store.sqlite") as db:
            return db.execute("SELECT count(*) FROM requests").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_render_logprobs_and_cached_tokens_through_a_real_server(vllm_server, model_dir):
    from transformers import AutoTokenizer

    engine = build_engine("openai", model_dir, {"base_url": vllm_server.base_url, "api": "completions"}, seed=0)
    messages = (("user", "What is 2 + 3? Answer with a number."),)
    expected = AutoTokenizer.from_pretrained(model_dir).apply_chat_template(
        [{"role": "user", "content": messages[0][1]}], tokenize=False, add_generation_prompt=True)
    assert engine.render(messages) == expected
    assert engine.detokenize(engine.tokenize("12 apples")) == "12 apples"

    sampling = SamplingSpec(n=2, temperature=0.8, max_tokens=8, seed=1, logprobs=1)
    results = []
    engine.generate([GenRequest("a", messages, sampling), GenRequest("b", messages, sampling)], results.append)
    assert len(results) == 2
    for result in results:
        assert result.prompt_tokens > 10 and result.cached_prompt_tokens is not None
        assert all(0 < o.tokens == len(o.logprobs) <= 8 for o in result.outputs)
    engine.close()


def test_a_run_survives_its_server_being_killed_and_restarted(vllm_server, tmp_path, caplog):
    out = tmp_path / "run"
    config = make_run_config({
        "name": "served", "out": str(out), "tasks": [{"name": "arith", "limit": 6}],
        "strategies": [{"name": "sample", "n": 2, "max_tokens": 32}],
        "engine": {"kind": "openai", "settings": {
            # Two at a time, so that requests finish one after another and the kill lands mid-run;
            # retries enough to outlast a restart.
            "base_url": vllm_server.base_url, "max_concurrency": 2, "max_retries": 400,
            "backoff_seconds": 0.5, "backoff_max_seconds": 3, "extra_body": {"return_token_ids": True}}}}, "test")
    killed_at = []

    def kill_and_restart() -> None:
        while _finished(out) < 2:
            time.sleep(0.1)
        killed_at.append(_finished(out))
        vllm_server.kill()
        vllm_server.start()

    chaos = threading.Thread(target=kill_and_restart, daemon=True)
    chaos.start()
    with caplog.at_level(logging.WARNING, logger="thinkbench.harness.engine.openai_engine"):
        (result,) = run(config, None, out).results
    chaos.join(timeout=600)
    assert killed_at and 2 <= killed_at[0] < 6, "the server should have been killed mid-run"
    assert any("retry" in r.getMessage() for r in caplog.records), "the run should have felt the kill"

    # Nothing lost: every problem has its 2 samples. Nothing twice: one request row per problem
    # (the store refuses a second row for a key, which would have failed the run).
    assert result.generated_requests == 6 and result.samples == 12
    with sqlite3.connect(out / "store.sqlite") as db:
        assert db.execute("SELECT count(*), count(DISTINCT problem_id) FROM requests").fetchone() == (6, 6)
        samples = db.execute("SELECT key, group_concat(sample) FROM completions GROUP BY key").fetchall()
        tokens = db.execute("SELECT min(generated_tokens), max(generated_tokens) FROM completions").fetchone()
    assert len(samples) == 6 and all(sorted(s.split(",")) == ["0", "1"] for _, s in samples)
    assert 0 < tokens[0] and tokens[1] <= 32

    again = run(config, None, out).results[0]
    assert again.reused_requests == 6 and again.generated_requests == 0
