"""Search logic with scripted answers and a scripted engine: children and step boundaries, keeping
the top N/M beams, independent DVTS subtrees, UCT and MCTS visits, batching, compute, resume."""
import math
import re
import sqlite3

import pytest
from search_fakes import ScriptedScorer, StepEngine

from thinkbench.harness.config import make_run_config
from thinkbench.harness.engine.base import GenOutput, GenResult
from thinkbench.harness.errors import InputError
from thinkbench.harness.metrics.estimators import best_of_k
from thinkbench.harness.runner import run
from thinkbench.harness.scorers.base import Segment
from thinkbench.harness.search.driver import Ledger
from thinkbench.harness.search.tree import ROOT, Expand, Limits, Path, children, next_step, top_unique
from thinkbench.harness.store import Store
from thinkbench.harness.strategies import build_strategy
from thinkbench.harness.strategies.mcts import Node, uct

LIMITS = Limits(delimiter="\n\n", max_steps=4, step_tokens=10, max_tokens=40)


def result(*outputs):
    return GenResult("k", 10, 0, tuple(GenOutput(text, tokens, reason) for text, tokens, reason in outputs))


def test_children_end_at_a_step_boundary_the_end_of_sequence_or_a_limit():
    ask = Expand(Path((Segment("a\n\n"),), tokens=3), n=4)
    made = children(ask, result(("b\n\n", 3, "stop"), ("b", 2, "stop"), ("bbbbbbbbbb", 10, "length"),
                                ("c\n\n", 37, "stop")), LIMITS)
    assert [c.finished for c in made] == [False, True, False, True]  # boundary, EOS, cut mid-step, token limit
    assert made[0].text == "a\n\nb\n\n" and made[0].tokens == 6
    (whole,) = children(Expand(ROOT, 1, to_end=True), result(("x\n\ny", 3, "length")), LIMITS)
    assert whole.finished


def test_the_step_limit_is_generated_to_the_end():
    ask = Expand(Path((Segment("a\n\n"),) * 3, tokens=12), n=1)
    assert ask.max_tokens(LIMITS) == 10
    last = next_step(ask.path, 2, LIMITS)
    assert last.to_end and last.max_tokens(LIMITS) == 28


def test_top_unique_keeps_the_best_distinct_texts_and_the_earlier_of_ties():
    paths = [Path((Segment(t),), score=s) for t, s in [("a", 0.5), ("b", 0.9), ("b", 0.9), ("c", 0.5), ("d", 0.1)]]
    assert [p.text for p in top_unique(paths, 3)] == ["b", "a", "c"]


def play(strategy, answer, budgets=None):
    """Run one search generator against a scripted `answer(ask) -> children`, recording the asks."""
    asks = []
    gen = strategy.search(budgets or strategy.params.budgets[:1], Ledger())
    reply = None
    try:
        while True:
            batch = next(gen) if reply is None else gen.send(reply)
            asks.append(batch)
            reply = [answer(ask) for ask in batch]
    except StopIteration as stop:
        return asks, stop.value


def step(path, text, score, finished=False):
    return Path(path.segments + (Segment(text),), path.tokens + len(text), finished, (score,), score)


def _strategy(name, **params):
    return build_strategy({"name": name, "scorer": {"name": "scripted"}, **params}, "s")


def test_beam_search_keeps_the_top_n_over_m_paths_and_the_finished_ones():
    beam = _strategy("beam_search", budgets=[4], expansions=2, max_steps=3)
    scores = {"": [0.1, 0.9, 0.5, 0.7]}

    def answer(ask):
        if ask.path.depth == 0:
            return [step(ask.path, f"r{i}\n\n", s) for i, s in enumerate(scores[""])]
        # r1 finishes one of its two children at the second step; everything finishes at the third.
        return [step(ask.path, f"{ask.path.text[:2]}.{j}\n\n", 0.5, finished=ask.to_end or (j == 0 and
                                                                                      ask.path.text.startswith("r1")))
                for j in range(ask.n)]

    asks, (outcome,) = play(beam, answer)
    assert [(a.n, a.path.text) for a in asks[0]] == [(4, "")]  # the first step: N samples in one call
    assert [a.path.text for a in asks[1]] == ["r1\n\n", "r3\n\n"]  # the best N/M = 2, best first
    assert all(a.n == 2 for a in asks[1])
    assert asks[2][0].to_end  # the last allowed step is generated to the end
    finished = [c.text for c in outcome.candidates]
    assert "r1\n\nr1.0\n\n" in finished and len(finished) >= 4  # a beam that finished early is kept


def test_dvts_subtrees_only_ever_extend_their_own_path():
    dvts = _strategy("dvts", budgets=[6], expansions=2, max_steps=3)

    def answer(ask):
        i = int(ask.tag.removeprefix("subtree"))
        return [step(ask.path, f"t{i}.{j}\n\n", 0.9 if (i == 0) == (j == 0) else 0.2, finished=ask.to_end)
                for j in range(ask.n)]

    asks, (outcome,) = play(dvts, answer)
    assert [len(batch) for batch in asks] == [3, 3, 3]
    for batch in asks:
        for ask in batch:
            i = ask.tag.removeprefix("subtree")
            assert all(seg.text.startswith(f"t{i}.") for seg in ask.path.segments)
    # Greedy within each subtree: subtree 0 kept its first child, the others their second.
    assert [c.text for c in outcome.candidates] == ["t0.0\n\nt0.0\n\nt0.0\n\n", "t1.1\n\nt1.1\n\nt1.1\n\n",
                                                    "t2.1\n\nt2.1\n\nt2.1\n\n"]


def test_uct_tries_unvisited_children_first_then_trades_value_for_exploration():
    parent = Node(ROOT, visits=10)
    good, rare = Node(ROOT, parent, visits=8, total=6.0), Node(ROOT, parent, visits=1, total=0.2)
    assert uct(Node(ROOT, parent), parent, 1.0) == math.inf
    assert uct(good, parent, 0.0) > uct(rare, parent, 0.0)
    assert uct(rare, parent, 2.0) > uct(good, parent, 2.0)


def test_mcts_visits_the_best_child_most_and_snapshots_each_budget():
    mcts = _strategy("mcts", budgets=[4, 12], expansions=2, max_steps=8, exploration=0.5)

    def answer(ask):
        if ask.tag == "expand":
            return [step(ask.path, f"c{j}\n\n", 0.0, finished=ask.to_end) for j in range(ask.n)]
        value = 0.9 if ask.path.text.startswith("c0") else 0.1
        return [step(ask.path, "\\boxed{1}", value, finished=True)]

    asks, outcomes = play(mcts, answer, [4, 12])
    assert [o.budget for o in outcomes] == [4, 12]
    assert [len(o.candidates) for o in outcomes] == [4, 12]
    assert outcomes[0].candidates == outcomes[1].candidates[:4]  # the smaller budget is a prefix of the tree
    through = [c.text[:2] for c in outcomes[1].candidates]
    assert through.count("c0") > 2 * through.count("c1")
    assert asks[0][0].tag == "expand" and asks[0][0].path == ROOT and asks[1][0].tag == "rollout"


def test_mcts_stops_when_the_tree_is_explored_to_the_end():
    mcts = _strategy("mcts", budgets=[50], expansions=2, max_steps=1)
    asks, (outcome,) = play(mcts, lambda ask: [step(ask.path, f"a{j}", 0.5, finished=True) for j in range(ask.n)])
    assert len(asks) == 1 and len(outcome.candidates) == 2


@pytest.mark.parametrize("params, field", [
    ({"name": "beam_search", "budgets": [3], "expansions": 2}, "strategies[0](beam_search).budgets[0]"),
    ({"name": "dvts", "budgets": []}, "strategies[0](dvts).budgets"),
    ({"name": "beam_search", "select": "oracle"}, "strategies[0](beam_search).select"),
    ({"name": "mcts", "unit": "seconds"}, "strategies[0](mcts).unit"),
    ({"name": "mcts", "temperature": -1.0}, "strategies[0](mcts).temperature"),
    ({"name": "best_of_n", "n": 0}, "strategies[0](best_of_n).n"),
    ({"name": "weighted_best_of_n", "scorer": {"name": "nope"}}, "strategies[0](weighted_best_of_n).scorer.name"),
])
def test_bad_parameters_fail_in_one_line_naming_the_field(params, field):
    with pytest.raises(InputError, match="^" + re.escape(field) + ": "):
        build_strategy(params, "strategies[0]")


# -- through the runner, with the scripted engine ------------------------------------------------------


def _config(tmp_path, strategy, out="run", per_level=3):
    model = tmp_path / "model"
    model.mkdir(exist_ok=True)
    (model / "config.json").write_text("{}")
    return make_run_config({"name": "t", "model": str(model), "out": str(tmp_path / out),
                            "tasks": [{"name": "arith", "options": {"levels": [1], "per_level": per_level}}],
                            "strategies": [strategy]}, "test")


BEAM = {"name": "beam_search", "budgets": [2, 4], "expansions": 2, "max_steps": 3, "scorer": {"name": "scripted"}}


def test_expansions_of_all_problems_go_in_one_batch_per_round_with_the_prefix_as_raw_prompt(tmp_path):
    engine = StepEngine()
    result = run(_config(tmp_path, BEAM), None, tmp_path / "run", engine=engine).results[0]
    assert len(engine.batches) == 3  # three steps, every problem and budget in each
    first = [r for r in engine.requests if r.prompt is None]
    assert sorted(r.sampling.n for r in first) == [2, 2, 2, 4, 4, 4]
    later = [r for r in engine.requests if r.prompt is not None]
    assert later and all(r.sampling.n == 2 and r.prompt.startswith(engine.render(r.messages)) for r in later)
    assert {(p.metric, p.k) for p in result.points} == {(m, k) for m in ("best@k", "coverage@k") for k in (2, 4)}


def test_search_compute_counts_every_call_of_the_problem_and_the_scorer_apart(tmp_path):
    ScriptedScorer.judged.clear()
    engine = StepEngine()
    strategy = dict(BEAM, budgets=[4])
    result = run(_config(tmp_path, strategy, per_level=1), None, tmp_path / "run", engine=engine).results[0]
    point = next(p for p in result.points if p.metric == "best@k")
    c = point.compute
    assert c["calls"] == len(engine.requests)
    assert c["generated_tokens"] == sum(o.tokens for r in engine.results for o in r.outputs)
    rendered = [len(r.prompt or engine.render(r.messages)) for r in engine.requests]
    assert c["prompt_tokens"] == sum(rendered)
    assert c["cached_prompt_tokens"] == 5 * sum(r.prompt is not None for r in engine.requests) > 0
    assert c["flops"] > 0
    assert c["scorer_calls"] == len(ScriptedScorer.judged)
    assert c["scorer_prompt_tokens"] == sum(len(t) for t in ScriptedScorer.judged)


class DyingStepEngine(StepEngine):
    """Hands over `survive` results, then dies like a killed process."""

    def __init__(self, survive):
        super().__init__()
        self.survive = survive

    def generate(self, requests, on_result):
        def counted(r):
            if self.survive == 0:
                raise KeyboardInterrupt
            self.survive -= 1
            on_result(r)

        super().generate(requests, counted)


@pytest.mark.parametrize("strategy, survive", [
    (BEAM, 7),
    ({"name": "dvts", "budgets": [2, 4], "max_steps": 3, "scorer": {"name": "confidence"}}, 7),
    ({"name": "mcts", "budgets": [3, 6], "max_steps": 3, "scorer": {"name": "scripted"}}, 7),
    ({"name": "mcts", "budgets": [40, 80], "unit": "tokens", "max_steps": 3, "scorer": {"name": "confidence"}}, 7),
    ({"name": "best_of_n", "n": 4, "scorer": {"name": "confidence"}}, 1),
    ({"name": "weighted_best_of_n", "n": 4, "scorer": {"name": "scripted"}}, 2),
])
def test_a_search_killed_midway_resumes_without_regenerating_or_rescoring(tmp_path, strategy, survive):
    ScriptedScorer.judged.clear()
    with pytest.raises(KeyboardInterrupt):
        run(_config(tmp_path, strategy), None, tmp_path / "run", engine=DyingStepEngine(survive))
    judged_before = list(ScriptedScorer.judged)
    with sqlite3.connect(tmp_path / "run" / "store.sqlite") as db:
        stored = {k for (k,) in db.execute("SELECT key FROM requests")}
    assert len(stored) == survive
    engine = StepEngine()
    resumed = run(_config(tmp_path, strategy), None, tmp_path / "run", engine=engine).results[0]
    assert not stored & {r.key for r in engine.requests}
    assert not set(judged_before) & set(ScriptedScorer.judged[len(judged_before):])
    assert resumed.reused_requests >= survive
    whole = run(_config(tmp_path, strategy, out="whole"), None, tmp_path / "whole", engine=StepEngine()).results[0]
    assert resumed.points == whole.points
    again = StepEngine()
    assert run(_config(tmp_path, strategy), None, tmp_path / "run", engine=again).results[0].points == whole.points
    assert again.requests == []


def test_best_of_n_reads_every_k_from_one_scored_pool_with_the_samples_of_sample(tmp_path):
    engine = StepEngine()
    scored = run(_config(tmp_path, {"name": "best_of_n", "n": 4, "max_tokens": 64, "scorer": {"name": "scripted"}}),
                 None, tmp_path / "run", engine=engine).results[0]
    plain = run(_config(tmp_path, {"name": "sample", "n": 4, "max_tokens": 64}, out="plain"), None,
                tmp_path / "plain", engine=StepEngine()).results[0]
    assert len(engine.requests) == 3 and all(r.sampling.n == 4 for r in engine.requests)
    rows = Store(tmp_path / "run" / "store.sqlite").completions("arith", "best_of_n")
    texts = {(r.problem_id, r.sample): r.text for r in rows}
    other = Store(tmp_path / "plain" / "store.sqlite").completions("arith", "sample")
    assert texts == {(r.problem_id, r.sample): r.text for r in other}  # same seeds: the same pool
    assert all(r.score is not None for r in rows)
    by_problem = {}
    for r in rows:
        by_problem.setdefault(r.problem_id, []).append(r)
    for k in (1, 2, 4):
        point = next(p for p in scored.points if p.metric == "best@k" and p.k == k)
        expected = [best_of_k([r.score for r in g], [bool(r.correct) for r in g], k) for g in by_problem.values()]
        assert point.value == pytest.approx(sum(expected) / len(expected))
        distinct = sum(len({r.text for r in g}) for g in by_problem.values()) / len(by_problem)
        # k samples' share of the scoring; a sample equal to another was scored once, with it
        assert point.compute["scorer_calls"] == pytest.approx(k * distinct / 4)
    assert [p for p in scored.points if p.metric in ("pass@k", "maj@k")] == plain.points
