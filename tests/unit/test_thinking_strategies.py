"""Thinking budgets, budget forcing and self-refinement with a scripted engine (one token per
character): budgets cut to the token, forced answers, Waits, rounds, token accounting, resume."""
import re

import pytest
from fakes import FakeEngine

from thinkbench.harness.config import make_run_config
from thinkbench.harness.errors import InputError
from thinkbench.harness.runner import run
from thinkbench.harness.store import Store
from thinkbench.harness.strategies.thinking_budget import sweep_token_ratio

CUE = "\n\nThe final answer is \\boxed{"
CLOSE = "</think>"


def _config(tmp_path, strategy, reasoning="prompted", per_level=1, out="run"):
    model = tmp_path / "model"
    model.mkdir(exist_ok=True)
    (model / "config.json").write_text("{}")
    return make_run_config({"name": "t", "model": str(model), "out": str(tmp_path / out), "reasoning": reasoning,
                            "tasks": [{"name": "arith", "options": {"levels": [1], "per_level": per_level}}],
                            "strategies": [strategy]}, "test")


def _script(thinking, answer="6}\n\nand more"):
    """Thinking text (or a function of the sample) for thinking calls, `answer` after the cue."""
    def reply(request, i):
        if request.prompt.endswith(CUE):
            return answer(request) if callable(answer) else answer
        return thinking(i) if callable(thinking) else thinking
    return reply


def _run(tmp_path, strategy, engine, **kw):
    result = run(_config(tmp_path, strategy, **kw), None, tmp_path / kw.get("out", "run"), engine=engine)
    return result.results[0]


def _points(result, metric):
    return {p.k: p for p in result.points if p.metric == metric}


def _tag(key):
    return key.split("#")[1] if "#" in key else None


def _rows(tmp_path, strategy, out="run"):
    store = Store(tmp_path / out / "store.sqlite")
    try:
        return store.completions("arith", strategy)
    finally:
        store.close()


# -- thinking_budget ------------------------------------------------------------------------------

def test_each_budget_reads_the_trajectorys_first_tokens_and_forces_an_answer(tmp_path):
    thinking = "abcdefghij" * 20  # never closes
    engine = FakeEngine(script=_script(thinking))
    result = _run(tmp_path, {"name": "thinking_budget", "budgets": [10, 20, 50], "n": 2}, engine)
    first, *answers = engine.requests
    assert (first.sampling.n, first.sampling.max_tokens, first.sampling.stop) == (2, 50, (CLOSE,))
    assert first.prompt.endswith("<assistant><think>\n")
    assert sorted(_tag(r.key) for r in answers) == ["s0.b10", "s0.b20", "s0.b50", "s1.b10", "s1.b20", "s1.b50"]
    for r in answers:
        budget = int(_tag(r.key).split(".b")[1])
        assert r.prompt == first.prompt + thinking[:budget] + CLOSE + CUE
        assert (r.sampling.temperature, r.sampling.max_tokens) == (0.0, 32)
    for budget, point in _points(result, "budget:pass@1").items():
        # "6}" and the stop string "\n\n", which the engine generated too
        assert point.compute["thinking_tokens"] == budget and point.compute["answer_tokens"] == 4
        assert point.value == 1.0  # "6}" after the cue answers 3 + 3


def test_budgets_the_thinking_ended_within_share_the_answer_after_the_whole_thinking(tmp_path):
    engine = FakeEngine(script=_script("x" * 15 + CLOSE + "not thinking"))
    result = _run(tmp_path, {"name": "thinking_budget", "budgets": [10, 30, 60], "n": 2}, engine)
    answers = {_tag(r.key): r for r in engine.requests[1:]}
    assert sorted(answers) == ["s0.b10", "s0.end", "s1.b10", "s1.end"]
    start = engine.requests[0].prompt
    assert answers["s0.end"].prompt == start + "x" * 15 + CLOSE + CUE
    assert answers["s0.b10"].prompt == start + "x" * 10 + CLOSE + CUE
    thinking = {b: p.compute["thinking_tokens"] for b, p in _points(result, "budget:pass@1").items()}
    assert thinking == {10: 10, 30: 23, 60: 23}  # the closing delimiter's tokens were generated too


def test_sweep_token_accounting_adds_up(tmp_path):
    engine = FakeEngine(script=_script(lambda i: "y" * (12 + 30 * i)))  # sample 1 outlasts every budget
    result = _run(tmp_path, {"name": "thinking_budget", "budgets": [8, 16, 32], "n": 2}, engine, per_level=2)
    rows = _rows(tmp_path, "thinking_budget")
    assert {r.key for r in rows} == {k for k in _keys(engine)}
    sweep = sum(r.generated_tokens for r in rows) / 2
    point = _points(result, "budget:pass@1")[32]
    # per problem: trajectories of 12 and 32 (cut) tokens; answers of 4 tokens: sample 0 after 8
    # tokens and after its whole thinking, sample 1 after 8, 16 and 32 tokens
    assert point.compute["sweep_generated_tokens"] == sweep == 12 + 32 + 5 * 4 == result.mean_generated_tokens
    assert point.compute["largest_budget_generated_tokens"] == 12 + 32 + 2 * 4
    assert sweep_token_ratio(result.points) == pytest.approx(64 / 52)
    maj = _points(result, "budget:maj@2")[16]
    assert maj.compute["thinking_tokens"] == 12 + 16 and maj.compute["generated_tokens"] == 12 + 16 + 2 * 4


def _keys(engine):
    return [r.key for r in engine.requests]


def test_forced_answers_reuse_the_cached_prefix(tmp_path):
    engine = FakeEngine(script=_script("z" * 50))
    result = _run(tmp_path, {"name": "thinking_budget", "budgets": [10, 40], "n": 1}, engine)
    start = len(engine.requests[0].prompt)
    cached = {_tag(r.key): r.cached_prompt_tokens for r in _rows(tmp_path, "thinking_budget")}
    assert cached["s0.b10"] >= start + 10 and cached["s0.b40"] >= start + 40
    assert all(p.compute["cached_prompt_tokens"] > 0 for p in result.points)


def test_answers_come_only_from_after_the_thinking(tmp_path):
    # The thinking states the right answer, but the forced answer is empty or wrong: no credit.
    answers = {"s0": "", "s1": "5}"}
    engine = FakeEngine(script=_script("so \\boxed{6} it is",
                                       answer=lambda r: answers[_tag(r.key).split(".")[0]]))
    result = _run(tmp_path, {"name": "thinking_budget", "budgets": [100], "n": 2}, engine)
    rows = {(_tag(r.key), r.sample): r for r in _rows(tmp_path, "thinking_budget")}
    assert rows[(None, 0)].text == "<think>so \\boxed{6} it is" and rows[(None, 0)].extracted is None
    assert rows[("s0.end", 0)].extracted is None  # the cue alone states nothing
    assert rows[("s1.end", 0)].extracted == "5" and not rows[("s1.end", 0)].correct
    assert _points(result, "budget:pass@1")[100].value == 0.0


def test_a_resumed_sweep_regenerates_nothing_done_and_matches_an_uninterrupted_one(tmp_path):
    strategy = {"name": "thinking_budget", "budgets": [5, 9, 40], "n": 2}
    script = _script(lambda i: "think hard " * (2 + i))

    class Dies(Exception):
        pass

    class DyingEngine(FakeEngine):
        def generate(self, requests, on_result):
            def counted(result):
                if len(self.results) == 3:
                    raise Dies()
                self.results.append(result.key)
                on_result(result)
            super().generate(requests, counted)

    dying = DyingEngine(script=script)
    dying.results = []
    with pytest.raises(Dies):
        _run(tmp_path, strategy, dying, per_level=2)
    resumed_engine = FakeEngine(script=script)
    resumed = _run(tmp_path, strategy, resumed_engine, per_level=2)
    assert not set(_keys(resumed_engine)) & set(dying.results)
    assert resumed.reused_requests == 3
    again = FakeEngine(script=script)
    assert _run(tmp_path, strategy, again, per_level=2).points == resumed.points and again.calls == []
    whole = _run(tmp_path, strategy, FakeEngine(script=script), per_level=2, out="other")
    # the same answers and tokens; only what the prefix cache held differs
    assert _without_cache(resumed.points) == _without_cache(whole.points)


def _without_cache(points):
    return [(p.metric, p.k, p.value, p.low, p.high, p.compute["generated_tokens"], p.compute["prompt_tokens"])
            for p in points]


# -- budget_forcing -------------------------------------------------------------------------------

def test_an_early_end_of_thinking_gets_wait_up_to_the_configured_times(tmp_path):
    engine = FakeEngine(script=_script("t" * 12 + CLOSE))  # thinks 20 tokens, then stops
    strategy = {"name": "budget_forcing", "max_thinking_tokens": 100, "max_waits": 3, "n": 1}
    result = _run(tmp_path, strategy, engine)
    by_tag = {_tag(r.key): r for r in engine.requests}
    start = by_tag[None].prompt
    for w in (1, 2, 3):
        segment = by_tag[f"s0.w{w}"]
        assert segment.prompt == start + ("t" * 12 + "\nWait") * w
        assert segment.sampling.max_tokens == 100 - 20 * w and segment.sampling.stop == (CLOSE,)
        assert by_tag[f"s0.w{w}.a"].prompt == start + "t" * 12 + ("\nWait" + "t" * 12) * w + CLOSE + CUE
    assert "s0.w4" not in by_tag
    thinking = {w: p.compute["thinking_tokens"] for w, p in _points(result, "waits:pass@1").items()}
    assert thinking == {0: 20, 1: 40, 2: 60, 3: 80}
    stored = {_tag(r.key): r.text for r in _rows(tmp_path, "budget_forcing")}
    assert stored["s0.w2"] == "<think>\nWait" + "t" * 12 and stored["s0.w2.a"] == CUE + "6}"


def test_the_maximum_cuts_the_thinking_and_forces_the_answer(tmp_path):
    engine = FakeEngine(script=_script("abc" * 100))
    strategy = {"name": "budget_forcing", "max_thinking_tokens": 40, "max_waits": 2, "n": 1}
    result = _run(tmp_path, strategy, engine)
    tags = [_tag(r.key) for r in engine.requests]
    assert tags == [None, "s0.w0.a"]
    assert engine.requests[1].prompt == engine.requests[0].prompt + ("abc" * 100)[:40] + CLOSE + CUE
    points = _points(result, "waits:pass@1")
    assert sorted(points) == [0, 1, 2] and {p.compute["thinking_tokens"] for p in points.values()} == {40}


def test_thinking_past_the_minimum_gets_no_wait(tmp_path):
    engine = FakeEngine(script=_script(lambda i: "u" * (5 if i == 0 else 30) + CLOSE))
    strategy = {"name": "budget_forcing", "max_thinking_tokens": 200, "min_thinking_tokens": 30, "max_waits": 4,
                "n": 2}
    _run(tmp_path, strategy, engine)
    segments = [_tag(r.key) for r in engine.requests if re.search(r"#s\d\.w\d#", r.key)]
    # sample 0: 13, 26 tokens (< 30) then 39; sample 1 starts at 38
    assert segments == ["s0.w1", "s0.w2"]


# -- self_refine ----------------------------------------------------------------------------------

def test_self_refine_shows_the_previous_answer_and_keeps_every_round(tmp_path):
    by_round = {0: "6}", 1: "6}", 2: "1}"}
    engine = FakeEngine(script=_script("hmm", answer=lambda r: by_round[int(_tag(r.key).split(".r")[1][0])]))
    strategy = {"name": "self_refine", "rounds": 2, "n": 2, "thinking_tokens": 16, "vote_over_rounds": True}
    result = _run(tmp_path, strategy, engine)
    by_tag = {_tag(r.key): r for r in engine.requests}
    assert sorted(t for t in by_tag if t) == sorted(f"s{s}.r{r}.{x}" for s in (0, 1) for r in (0, 1, 2)
                                                    for x in "ta" if (r, x) != (0, "t"))
    refine = by_tag["s1.r2.t"]
    assert refine.messages[-2:] == (("assistant", "The final answer is \\boxed{6}"),
                                    ("user", "Check your previous answer step by step. If you find a mistake, "
                                             "correct it. Then state the final answer again."))
    assert refine.sampling.max_tokens == 16 and refine.sampling.n == 1
    assert len([r for r in _rows(tmp_path, "self_refine") if (_tag(r.key) or "").endswith(".a")]) == 6
    rounds = _points(result, "round:pass@1")
    assert [rounds[r].value for r in (0, 1, 2)] == [1.0, 1.0, 0.0]
    assert [_points(result, "round_vote:pass@1")[r].value for r in (0, 1, 2)] == [1.0, 1.0, 1.0]
    generated = [rounds[r].compute["generated_tokens"] for r in (0, 1, 2)]
    assert generated == [3 + 2, 2 * (3 + 2), 3 * (3 + 2)]  # "hmm" and "6}" (no stop) per round, cumulative


def test_majority_over_rounds_breaks_ties_toward_the_latest_round(tmp_path):
    by_round = {0: "6}", 1: "1}"}
    engine = FakeEngine(script=_script("hmm", answer=lambda r: by_round[int(_tag(r.key).split(".r")[1][0])]))
    strategy = {"name": "self_refine", "rounds": 1, "n": 1, "vote_over_rounds": True}
    result = _run(tmp_path, strategy, engine)
    assert _points(result, "round_vote:pass@1")[1].value == 0.0


# -- reasoning settings ---------------------------------------------------------------------------

def test_presets_fill_in_and_overrides_win(tmp_path):
    strategy = {"name": "thinking_budget"}
    qwen = _config(tmp_path, strategy, reasoning="qwen3").reasoning
    assert (qwen.template_kwargs, qwen.temperature, qwen.top_p) == ({"enable_thinking": True}, 0.6, 0.95)
    for name in ("deepseek-r1", "qwq"):
        r = _config(tmp_path, strategy, reasoning=name).reasoning
        assert (r.think_open, r.think_close, r.temperature, r.top_p, r.system_prompt) == (
            "<think>", "</think>", 0.6, 0.95, None)
    mine = _config(tmp_path, strategy, reasoning={"preset": "prompted", "temperature": 1}).reasoning
    assert mine.temperature == 1.0 and mine.top_p == 1.0 and "<think>" in mine.system_prompt
    assert _config(tmp_path, strategy, reasoning=None).reasoning is None


@pytest.mark.parametrize("reasoning, field", [
    ("o1", "reasoning.preset"), ({"preset": "qwen3", "top_p": 1.5}, "reasoning.top_p"),
    ({"think_close": ""}, "reasoning.think_close"), ({"temperature": "hot"}, "reasoning.temperature"),
    ({"answer_stops": []}, "answer_stops"),
])
def test_bad_reasoning_settings_name_the_field(tmp_path, reasoning, field):
    with pytest.raises(InputError, match=re.escape(field)):
        _config(tmp_path, {"name": "thinking_budget"}, reasoning=reasoning)


@pytest.mark.parametrize("strategy, field", [
    ({"name": "thinking_budget", "budgets": [64, 32]}, "strategies[0](thinking_budget).budgets"),
    ({"name": "thinking_budget", "budgets": []}, "strategies[0](thinking_budget).budgets"),
    ({"name": "thinking_budget", "n": 0}, "strategies[0](thinking_budget).n"),
    ({"name": "budget_forcing", "min_thinking_tokens": 99, "max_thinking_tokens": 10},
     "strategies[0](budget_forcing).min_thinking_tokens"),
    ({"name": "budget_forcing", "max_waits": -1}, "strategies[0](budget_forcing).max_waits"),
    ({"name": "self_refine", "rounds": -1}, "strategies[0](self_refine).rounds"),
    ({"name": "self_refine", "top_p": 0}, "strategies[0](self_refine).top_p"),
])
def test_bad_strategy_parameters_name_the_field(tmp_path, strategy, field):
    with pytest.raises(InputError, match=re.escape(field)):
        run(_config(tmp_path, strategy), None, tmp_path / "run", engine=FakeEngine())


def test_the_template_switch_and_recommended_sampling_reach_the_engine(tmp_path):
    engine = FakeEngine(script=_script("q" * 30))
    _run(tmp_path, {"name": "thinking_budget", "budgets": [10, 20], "n": 1}, engine, reasoning="qwen3")
    first = engine.requests[0]
    assert all(r.prompt.startswith("<enable_thinking=True><user>") for r in engine.requests)
    assert (first.sampling.temperature, first.sampling.top_p) == (0.6, 0.95)


class _OpensThinking(FakeEngine):
    """A template that starts the thinking itself (newer DeepSeek-R1), or closes it (thinking off)."""

    def __init__(self, tail, **kw):
        super().__init__(**kw)
        self.tail = tail

    def render(self, messages, template_kwargs=None):
        return super().render(messages, template_kwargs) + self.tail


def test_a_template_that_opens_the_thinking_is_not_opened_twice(tmp_path):
    engine = _OpensThinking("<think>\n", script=_script("w" * 30))
    _run(tmp_path, {"name": "thinking_budget", "budgets": [10], "n": 1}, engine, reasoning="deepseek-r1")
    assert engine.requests[0].prompt.count("<think>") == 1


def test_a_template_with_thinking_switched_off_is_refused(tmp_path):
    engine = _OpensThinking("<think>\n\n</think>\n\n", script=_script("w"))
    with pytest.raises(InputError, match="reasoning.template_kwargs"):
        _run(tmp_path, {"name": "thinking_budget", "budgets": [10], "n": 1}, engine,
             reasoning={"preset": "qwen3", "template_kwargs": {"enable_thinking": False}})


def test_bench_reports_the_sweep_ratio_and_the_cache_share_of_forced_answers(tmp_path):
    from bench.thinking_sweep import measure

    engine = FakeEngine(script=_script(lambda i: "t" * (40 + 50 * i)))
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}")
    ratio, cache = measure(engine, str(tmp_path / "model"), tmp_path)
    assert ratio["name"].startswith("thinking budgets") and 1.0 < ratio["value"] <= 1.1 and ratio["met"]
    assert 0.5 < cache["value"] < 1.0
