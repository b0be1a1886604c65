"""The OpenAI-compatible engine against a fake server: request bodies, parsing, retries, spreading,
keys kept out of run folders and logs."""
import logging
import random
import sqlite3
import threading

import pytest

from fake_openai_server import FakeOpenAIServer
from thinkbench.harness.config import make_run_config
from thinkbench.harness.engine import GenRequest, SamplingSpec, build_engine
from thinkbench.harness.engine.endpoints import Endpoints, backoff_delay, public_url
from thinkbench.harness.engine.openai_engine import EngineRequestError
from thinkbench.harness.errors import InputError
from thinkbench.harness.runner import run

FAST = {"backoff_seconds": 0.01, "backoff_max_seconds": 0.05}


@pytest.fixture
def server():
    s = FakeOpenAIServer()
    yield s
    s.close()


def _engine(urls, **settings):
    urls = urls if isinstance(urls, list) else [urls]
    return build_engine("openai", "fake-model", {"base_urls": urls, **FAST, **settings}, seed=0)


def _requests(count, n=2, **sampling):
    spec = SamplingSpec(n=n, temperature=0.8, max_tokens=32, seed=7, **sampling)
    return [GenRequest(key=f"k{i}", messages=(("user", f"question {i}"),), sampling=spec) for i in range(count)]


def _generate(engine, requests):
    results = []
    engine.generate(requests, results.append)
    return {r.key: r for r in results}


def test_chat_requests_carry_the_sampling_and_answers_keep_usage_and_logprobs(server):
    engine = _engine(server.url)
    (result,) = _generate(engine, _requests(1, n=3, logprobs=1)).values()
    path, body, _ = server.seen[0]
    assert path == "/v1/chat/completions"
    assert body["model"] == "fake-model" and body["messages"] == [{"role": "user", "content": "question 0"}]
    assert (body["n"], body["temperature"], body["max_tokens"], body["seed"]) == (3, 0.8, 32, 7)
    assert body["logprobs"] is True and body["top_logprobs"] == 1
    assert result.prompt_tokens == 11 and result.cached_prompt_tokens == 4
    assert [o.text for o in result.outputs] == ["Thinking. \\boxed{0}", "Thinking. \\boxed{1}", "Thinking. \\boxed{2}"]
    first = result.outputs[0]
    assert first.tokens == 2 and first.logprobs == (-0.5, -0.5)  # one logprob per generated token
    assert first.top_logprobs[0] == {"x": -2.0, "Thinking.": -0.5}
    engine.close()


def test_a_raw_prompt_goes_to_completions_and_token_counts_share_out_the_usage_total(server):
    engine = _engine(server.url, send_seed=False, extra_body={"top_k": 5})
    sampling = SamplingSpec(n=3, seed=1, stop=("</answer>",))
    request = GenRequest(key="p", messages=(), prompt="<user>hi<a>partial", sampling=sampling)
    (result,) = _generate(engine, [request]).values()
    path, body, _ = server.seen[0]
    assert path == "/v1/completions" and body["prompt"] == "<user>hi<a>partial" and body["stop"] == ["</answer>"]
    assert result.outputs[0].stop_reason == "</answer>"
    assert "seed" not in body and body["top_k"] == 5
    # No per-sample counts in the answer: the usage total (7 per sample here) is shared out exactly.
    assert sum(o.tokens for o in result.outputs) == 21


def test_messages_are_rendered_by_the_server_for_the_completions_api(server):
    engine = _engine(server.url, api="completions")
    assert engine.render([("user", "hi")]) == "<user>hi<a>"
    engine.render([("user", "hi")], {"enable_thinking": True})
    assert server.seen[-2][1]["chat_template_kwargs"] == {"enable_thinking": True}
    assert engine.detokenize(engine.tokenize("abc")) == "abc"
    _generate(engine, _requests(1))
    paths = [p for p, _, _ in server.seen]
    assert paths[-3:] == ["/tokenize", "/detokenize", "/v1/completions"]
    assert server.seen[-1][1]["prompt"] == "<user>question 0<a>"


def test_a_server_without_a_tokenizer_endpoint_says_what_needs_it():
    server = FakeOpenAIServer(tokenizer=False)
    try:
        engine = _engine(server.url)
        with pytest.raises(InputError, match="no /tokenize endpoint"):
            engine.tokenize("abc")
        assert len(_generate(engine, _requests(2))) == 2  # chat requests need no tokenizer
    finally:
        server.close()


def test_429_and_5xx_are_retried_with_the_servers_retry_after(server, caplog):
    server.fail.extend([(429, {"Retry-After": "0.02"}, {"error": "slow down"}), (503, {}, {"error": "busy"}),
                        "drop"])
    engine = _engine(server.url)
    with caplog.at_level(logging.WARNING, logger="thinkbench.harness.engine.openai_engine"):
        results = _generate(engine, _requests(1))
    assert len(results) == 1 and server.answered("/v1/chat/completions") == 4
    retries = [r.getMessage() for r in caplog.records]
    assert "HTTP 429" in retries[0] and "in 0.02s" in retries[0]
    assert "HTTP 503" in retries[1] and "RemoteProtocolError" in retries[2]


def test_an_attempt_that_times_out_is_retried(server):
    server.fail.append("hang")
    engine = _engine(server.url, timeout_seconds=0.3)
    assert len(_generate(engine, _requests(1))) == 1
    assert server.answered("/v1/chat/completions") == 2


def test_a_refused_request_is_not_retried_and_names_the_server(server):
    server.fail.append((400, {}, {"error": {"message": "max_tokens is too large"}}))
    engine = _engine(server.url)
    with pytest.raises(InputError, match=r"HTTP 400: max_tokens is too large"):
        _generate(engine, _requests(1))
    assert server.answered("/v1/chat/completions") == 1


def test_when_retries_run_out_the_run_stops_keeping_what_finished_and_sending_nothing_more(server):
    engine = _engine(server.url, max_retries=2, max_concurrency=1)
    server.fail.extend([None] + [(500, {}, {})] * 3)  # the first request is answered, the second never
    delivered = []
    with pytest.raises(EngineRequestError, match="HTTP 500, gave up after 3 attempt"):
        engine.generate(_requests(3), delivered.append)
    assert [r.key for r in delivered] == ["k0"]
    assert server.answered("/v1/chat/completions") == 4  # the third request was never sent


def test_requests_go_to_the_server_with_the_fewest_in_flight():
    slow, fast = FakeOpenAIServer(), FakeOpenAIServer()
    slow.gate = threading.Event()
    try:
        engine = _engine([slow.url, fast.url], max_concurrency=2)
        results = []

        def on_result(result):
            results.append(result)
            if len(results) == 5:
                slow.gate.set()  # the slow server answers only once the fast one has done the rest

        engine.generate(_requests(6), on_result)
        assert len(results) == 6
        # Round robin would have sent the slow server 3; least outstanding sends it only the first.
        assert slow.answered("/v1/chat/completions") == 1 and fast.answered("/v1/chat/completions") == 5
    finally:
        slow.close()
        fast.close()


def test_a_failed_server_is_avoided_while_it_cools_down():
    now = [0.0]
    endpoints = Endpoints(["a", "b"], clock=lambda: now[0])
    a = endpoints.acquire()
    endpoints.release(a)
    endpoints.cool_down(a, 5.0)
    assert [endpoints.acquire().url for _ in range(3)] == ["b", "b", "b"]
    now[0] = 6.0
    assert endpoints.acquire().url == "a"


def test_backoff_grows_with_jitter_up_to_the_cap_and_honours_retry_after():
    rng = random.Random(0)
    delays = [backoff_delay(k, 1.0, 8.0, None, rng) for k in range(1, 7)]
    for k, d in enumerate(delays, 1):
        assert min(8.0, 2 ** (k - 1)) / 2 <= d <= min(8.0, 2 ** (k - 1))
    assert backoff_delay(1, 1.0, 8.0, 3.0, rng) == 3.0 and backoff_delay(1, 1.0, 8.0, 100.0, rng) == 8.0


@pytest.mark.parametrize("settings, field", [
    ({"base_url": "http://x/v1", "api_key": "sk-secret"}, "engine.settings.api_key"),
    ({}, "engine.settings.base_url"),
    ({"base_url": "x:8000"}, "engine.settings.base_urls"),
    ({"base_url": "http://x/v1", "api": "responses"}, "engine.settings.api"),
    ({"base_url": "http://x/v1", "max_concurency": 4}, "'max_concurency'"),
    ({"base_url": "http://x/v1", "api_key_env": "THINKBENCH_TEST_UNSET_KEY"}, "engine.settings.api_key_env"),
])
def test_bad_settings_are_one_line_input_errors_naming_the_field(settings, field):
    with pytest.raises(InputError) as e:
        build_engine("openai", "m", settings, seed=0)
    assert field in str(e.value) and "\n" not in str(e.value) and "sk-secret" not in str(e.value)


def test_urls_are_recorded_without_credentials():
    assert public_url("https://user:pw@api.example.com:8443/v1?key=abc") == "https://api.example.com:8443/v1"


def test_the_api_key_is_sent_but_never_written_to_the_run_folder_or_logs(server, tmp_path, monkeypatch, caplog,
                                                                          capsys):
    key = "sk-test-0123456789abcdef"
    monkeypatch.setenv("THINKBENCH_TEST_KEY", key)
    # The server quotes the refused key back, as some do; the error must not repeat it.
    server.fail.extend([(503, {}, {}), (401, {}, {"error": {"message": f"Incorrect API key provided: {key}"}})])
    config = make_run_config({
        "name": "keyed", "model": "fake-model", "out": str(tmp_path / "run"),
        "tasks": [{"name": "arith", "limit": 3}], "strategies": [{"name": "sample", "n": 4, "max_tokens": 16}],
        "engine": {"kind": "openai", "settings": {"base_url": server.url, "api_key_env": "THINKBENCH_TEST_KEY",
                                                  **FAST}}}, "test")
    with caplog.at_level(logging.DEBUG), pytest.raises(InputError) as e:
        run(config, None, tmp_path / "run")
    assert "Incorrect API key provided: ***" in str(e.value)
    outcome = run(config, None, tmp_path / "run")  # the server now answers: the run completes
    assert outcome.results[0].samples == 12
    assert all(headers.get("Authorization") == f"Bearer {key}" for _, _, headers in server.seen)
    written = "".join(p.read_bytes().decode("utf-8", "replace") for p in (tmp_path / "run").rglob("*") if p.is_file())
    assert "THINKBENCH_TEST_KEY" in written  # the variable's name is recorded, its value is not
    assert key not in written
    out = capsys.readouterr()
    assert key not in caplog.text + out.out + out.err


def test_a_run_through_a_server_resumes_without_sending_anything_again(server, tmp_path):
    config = make_run_config({
        "name": "served", "model": "fake-model", "out": str(tmp_path / "run"),
        "tasks": [{"name": "arith", "limit": 4}], "strategies": [{"name": "sample", "n": 4, "max_tokens": 16}],
        "engine": {"kind": "openai", "settings": {"base_url": server.url, **FAST}}}, "test")
    first = run(config, None, tmp_path / "run").results[0]
    assert first.generated_requests == 4 and first.samples == 16
    assert {(p.metric, p.k) for p in first.points} >= {("pass@k", 4), ("maj@k", 4)}
    sent = len(server.seen)
    again = run(config, None, tmp_path / "run").results[0]
    assert again.reused_requests == 4 and again.generated_requests == 0 and len(server.seen) == sent
    with sqlite3.connect(tmp_path / "run" / "store.sqlite") as db:
        assert db.execute("SELECT sum(prompt_tokens), sum(cached_prompt_tokens) FROM requests").fetchone() == (44, 16)


def test_a_local_model_folder_gives_the_shape_for_flop_estimates(server, tmp_path):
    (tmp_path / "config.json").write_text('{"hidden_size": 64, "num_hidden_layers": 2, "intermediate_size": 128, '
                                          '"num_attention_heads": 4}')
    engine = build_engine("openai", str(tmp_path), {"base_url": server.url}, seed=0)
    assert engine.info.shape.layers == 2 and engine.info.model == str(tmp_path)  # served under its path
    assert _engine(server.url).info.shape is None  # a name only the server knows
