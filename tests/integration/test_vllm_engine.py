"""The real engine: n samples in one request, token counts from the engine, per-request seeds."""
import pytest

from thinkbench.harness.engine.base import GenRequest, SamplingSpec

pytestmark = pytest.mark.integration


def _generate(engine, requests):
    results = []
    engine.generate(requests, results.append)
    return {r.key: r for r in results}


def test_n_samples_come_back_in_one_result_with_engine_token_counts(engine):
    messages = (("user", "What is 2 + 3? Answer with a number."),)
    request = GenRequest("a", messages, SamplingSpec(n=4, temperature=0.8, max_tokens=24, seed=7))
    result = _generate(engine, [request])["a"]
    assert len(result.outputs) == 4
    tokenizer = engine._tokenizer
    assert [len(o.token_ids) for o in result.outputs] == [o.tokens for o in result.outputs]
    assert result.prompt_tokens == len(tokenizer(engine.render(request.messages))["input_ids"])
    for out in result.outputs:
        assert 1 <= out.tokens <= 24
        assert out.finish_reason in ("stop", "length")
        assert out.finish_reason != "length" or out.tokens == 24


def test_per_request_seeds_make_samples_independent_of_the_batch(engine):
    spec = SamplingSpec(n=3, temperature=1.0, top_p=0.9, max_tokens=16, seed=123)  # top-p too: R1 protocol
    alone = _generate(engine, [GenRequest("x", (("user", "Name a fruit."),), spec)])
    others = [GenRequest(f"o{i}", (("user", f"Count to {i}."),), SamplingSpec(n=2, temperature=1.0, max_tokens=16,
                                                                              seed=i)) for i in range(3)]
    batched = _generate(engine, others + [GenRequest("x", (("user", "Name a fruit."),), spec)])
    assert [o.text for o in alone["x"].outputs] == [o.text for o in batched["x"].outputs]


def test_a_repeated_prompt_is_served_from_the_prefix_cache(engine):
    long_prompt = "Here is some context. " * 40 + "What is 1 + 1?"
    spec = SamplingSpec(n=1, temperature=0.0, max_tokens=4)
    _generate(engine, [GenRequest("first", (("user", long_prompt),), spec)])
    again = _generate(engine, [GenRequest("again", (("user", long_prompt),), spec)])["again"]
    assert again.cached_prompt_tokens and again.cached_prompt_tokens >= again.prompt_tokens // 2


def test_logprobs_and_raw_prompt_continuation(engine):
    messages = (("user", "What is 2 + 3?"),)
    spec = SamplingSpec(n=1, temperature=0.0, max_tokens=8, logprobs=2)
    first = _generate(engine, [GenRequest("a", messages, spec)])["a"].outputs[0]
    assert len(first.logprobs) == first.tokens and all(lp <= 0 for lp in first.logprobs)
    assert all(len(top) >= 2 for top in first.top_logprobs)
    assert engine.detokenize(first.token_ids) == first.text
    # Greedy continuation of the rendered prompt plus the first half gives the second half.
    half = engine.detokenize(first.token_ids[:4])
    cont = GenRequest("b", (), SamplingSpec(n=1, temperature=0.0, max_tokens=4), prompt=engine.render(messages) + half)
    second = _generate(engine, [cont])["b"].outputs[0]
    assert half + second.text == first.text
