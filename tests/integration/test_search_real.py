"""Scored and search strategies on the real engine with the embedded model: confidence from the
policy's own log-probs, the policy model as its own judge, and beam search, DVTS and MCTS whose
expansions of a shared prefix are served by the prefix cache."""
import pytest

from thinkbench.harness.config import make_run_config
from thinkbench.harness.runner import run
from thinkbench.harness.store import Store

pytestmark = pytest.mark.integration


def _run(engine, tmp_path, strategy, limit=3, task="arith"):
    config = make_run_config({"name": "search", "out": str(tmp_path / "run"),
                              "tasks": [{"name": task, "options": {"levels": [1]}, "limit": limit}],
                              "strategies": [strategy]}, "test")
    return run(config, None, tmp_path / "run", engine=engine).results[0]


def _rows(tmp_path, label, task="arith"):
    store = Store(tmp_path / "run" / "store.sqlite")
    try:
        return store.completions(task, label)
    finally:
        store.close()


def test_best_of_n_with_the_policys_confidence(engine, tmp_path):
    result = _run(engine, tmp_path, {"name": "best_of_n", "n": 4, "max_tokens": 48, "scorer": {"name": "confidence"}})
    rows = _rows(tmp_path, "best_of_n")
    assert len(rows) == 12 and all(0 < r.score <= 1 for r in rows)
    assert len({r.score for r in rows}) > 1
    best = {p.k: p for p in result.points if p.metric == "best@k"}
    assert sorted(best) == [1, 2, 4]
    assert best[4].compute["scorer_calls"] == 0 and best[4].compute["generated_tokens"] > 0


def test_weighted_best_of_n_with_the_policy_model_as_judge(engine, tmp_path):
    result = _run(engine, tmp_path, {"name": "weighted_best_of_n", "n": 3, "max_tokens": 40,
                                     "scorer": {"name": "llm_judge"}}, limit=2)
    rows = _rows(tmp_path, "weighted_best_of_n")
    assert len(rows) == 6 and all(0 <= r.score <= 1 for r in rows)
    vote = next(p for p in result.points if p.metric == "vote@k" and p.k == 3)
    c = vote.compute
    # One judge question per distinct sample, each one prefill and one generated token on the policy model.
    assert 1 <= c["scorer_calls"] <= 3 and c["scorer_generated_tokens"] == c["scorer_calls"]
    assert c["scorer_prompt_tokens"] > 50 * c["scorer_calls"] and c["scorer_flops"] > 0


def test_beam_search_expansions_reuse_the_cached_prefix(engine, tmp_path):
    # arith_steps: a worked example longer than one KV block (128 tokens on the CPU backend, the
    # unit vLLM caches in), which also shows the model steps as paragraphs.
    result = _run(engine, tmp_path, {"name": "beam_search", "budgets": [4], "expansions": 2, "max_steps": 3,
                                     "step_tokens": 24, "max_tokens": 72, "scorer": {"name": "confidence"}},
                  limit=2, task="arith_steps")
    finals = _rows(tmp_path, "beam_search", "arith_steps")
    assert finals and all(r.score is not None for r in finals)
    assert {(p.metric, p.k) for p in result.points} == {("best@k", 4), ("coverage@k", 4)}
    c = result.points[0].compute
    assert c["calls"] > 1  # the first step, then an expansion per kept beam and step
    assert c["cached_prompt_tokens"] > 0  # the expansions of a prefix are served by the prefix cache
    assert c["generated_tokens"] > 0 and c["flops"] > 0
    assert c["prompt_tokens"] > c["cached_prompt_tokens"]


@pytest.mark.parametrize("strategy", [
    {"name": "dvts", "budgets": [2, 4], "expansions": 2},
    {"name": "mcts", "budgets": [2, 3], "expansions": 2},
])
def test_tree_searches_run_end_to_end_with_a_step_judge(engine, tmp_path, strategy):
    strategy = {**strategy, "max_steps": 2, "step_tokens": 24, "max_tokens": 48,
                "scorer": {"name": "llm_judge", "mode": "step"}}
    result = _run(engine, tmp_path, strategy, limit=1, task="arith_steps")
    budgets = strategy["budgets"]
    assert sorted({p.k for p in result.points}) == budgets
    small, large = (next(p for p in result.points if p.metric == "best@k" and p.k == b) for b in budgets)
    assert 0 < small.compute["calls"] <= large.compute["calls"]
    assert large.compute["scorer_calls"] > 0
