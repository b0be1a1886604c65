"""The thinking strategies on the real engine: the embedded model, prompted to think inside <think>,
on a few arith problems with short budgets."""
import pytest

from thinkbench.harness.config import make_run_config
from thinkbench.harness.runner import run
from thinkbench.harness.store import Store

pytestmark = pytest.mark.integration

CUE = "\n\nThe final answer is \\boxed{"
BUDGETS = [16, 32, 64]


class Recording:
    """The session engine, keeping every request and result (with token ids) it served."""

    def __init__(self, engine):
        self.engine, self.info = engine, engine.info
        self.requests, self.results = {}, {}

    def render(self, messages, template_kwargs=None):
        return self.engine.render(messages, template_kwargs)

    def tokenize(self, text):
        return self.engine.tokenize(text)

    def detokenize(self, token_ids):
        return self.engine.detokenize(token_ids)

    def generate(self, requests, on_result):
        self.requests.update((r.key, r) for r in requests)

        def keep(result):
            self.results[result.key] = result
            on_result(result)

        self.engine.generate(requests, keep)

    def close(self):
        pass


@pytest.fixture(scope="module")
def outcome(engine, tmp_path_factory):
    out = tmp_path_factory.mktemp("thinking")
    config = make_run_config({
        "name": "thinking", "out": str(out), "reasoning": "prompted",
        "tasks": [{"name": "arith", "options": {"levels": [1], "per_level": 3}}],
        "strategies": [
            {"name": "thinking_budget", "budgets": BUDGETS, "n": 2, "answer_tokens": 12},
            {"name": "budget_forcing", "max_thinking_tokens": 48, "max_waits": 2, "n": 2, "answer_tokens": 12},
            {"name": "self_refine", "rounds": 1, "n": 2, "thinking_tokens": 32, "answer_tokens": 12},
        ]}, "test")
    recording = Recording(engine)
    first = run(config, None, out, engine=recording)
    sent = len(recording.requests)
    again = run(config, None, out, engine=recording)
    store = Store(out / "store.sqlite")
    rows = [r for name in ("thinking_budget", "budget_forcing", "self_refine")
            for r in store.completions("arith", name)]
    store.close()
    return recording, {r.strategy: r for r in first.results}, {r.strategy: r for r in again.results}, sent, rows


def _split(key):
    head, _, rest = key.partition("#")
    return head, rest.split("#")[0] if rest else None


def _of(recording, strategy):
    return {k: r for k, r in recording.requests.items() if f"/{strategy}/" in k}


def test_a_restarted_run_sends_nothing_again(outcome):
    recording, first, again, sent, _ = outcome
    assert len(recording.requests) == sent
    for name, result in again.items():
        assert result.generated_requests == 0 and result.points == first[name].points


def test_budgets_cut_the_trajectory_to_the_token_and_reuse_the_cached_prefix(outcome):
    recording, first, _, _, _ = outcome
    requests = _of(recording, "thinking_budget")
    forced = 0
    for key, request in requests.items():
        head, tag = _split(key)
        if tag is None:
            assert request.sampling.max_tokens == BUDGETS[-1] and request.sampling.stop == ("</think>",)
            assert all(o.tokens <= BUDGETS[-1] for o in recording.results[key].outputs)
            continue
        sample, cut = tag.split(".")
        trajectory = recording.results[head].outputs[int(sample[1:])]
        if cut == "end":
            thinking = trajectory.text
        else:
            budget = int(cut[1:])
            assert len(trajectory.token_ids[:budget]) == budget
            thinking = recording.detokenize(trajectory.token_ids[:budget])
            forced += 1
            result = recording.results[key]
            assert result.cached_prompt_tokens is not None
            if budget == BUDGETS[-1]:  # a prefix this long fills whole cache blocks
                assert result.cached_prompt_tokens > 0
        assert request.prompt == requests[head].prompt + thinking + "</think>" + CUE
    assert forced > 0
    result = first["thinking_budget"]
    points = {(p.metric, p.k): p for p in result.points}
    assert sorted(k for m, k in points if m == "budget:pass@1") == BUDGETS
    top = points[("budget:pass@1", BUDGETS[-1])].compute
    assert top["cached_prompt_tokens"] > 0
    ratio = top["sweep_generated_tokens"] / top["largest_budget_generated_tokens"]
    print(f"thinking_budget sweep / largest budget alone: {ratio:.3f} generated tokens")
    assert 1.0 <= ratio < 1.5
    assert top["sweep_generated_tokens"] == pytest.approx(result.mean_generated_tokens)


def test_forced_answers_are_extracted_and_thinking_never_counts_as_one(outcome):
    rows = outcome[4]
    answers = [r for r in rows if r.text.startswith(CUE)]
    assert all(r.text.startswith("<think>") and r.extracted is None for r in rows if r not in answers)
    assert answers and sum(r.extracted is not None for r in answers) >= 0.7 * len(answers)


def test_wait_is_appended_the_configured_number_of_times(outcome):
    recording, _, _, _, _ = outcome
    requests = _of(recording, "budget_forcing")
    for key, request in requests.items():
        head, tag = _split(key)
        if tag is None:
            for s, output in enumerate(recording.results[key].outputs):
                segments = [f"s{s}.w{w}" for w in (1, 2)
                            if any(_split(k)[1] == f"s{s}.w{w}" for k in requests if k.startswith(head))]
                used = output.tokens + sum(recording.results[k].outputs[0].tokens for k in requests
                                           if k.startswith(head) and _split(k)[1] in segments)
                # a sample gets both Waits unless its thinking reached the maximum first
                assert len(segments) == 2 or used >= 48 or output.finish_reason == "length"
                assert used <= 48
        elif not tag.endswith(".a"):
            waits = int(tag.split(".w")[1])
            assert request.prompt[len(requests[head].prompt):].count("\nWait") == waits


def test_self_refine_reports_every_round_with_its_compute(outcome):
    recording, first, _, _, _ = outcome
    points = {(p.metric, p.k): p for p in first["self_refine"].points}
    assert ("round:pass@1", 0) in points and ("round:pass@1", 1) in points
    assert points[("round:pass@1", 1)].compute["generated_tokens"] > points[("round:pass@1", 0)].compute[
        "generated_tokens"]
    refines = [r for k, r in _of(recording, "self_refine").items() if (_split(k)[1] or "").endswith(".r1.t")]
    assert refines and all(r.messages[-2][0] == "assistant" and r.messages[-2][1].startswith("The final answer is")
                           for r in refines)
