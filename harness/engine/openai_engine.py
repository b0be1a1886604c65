"""Any server that speaks the OpenAI API (`vllm serve`, SGLang, TGI, hosted APIs) as an engine.

Requests run on worker threads, at most `max_concurrency` in flight over all servers; each result is
handed to `on_result` on the calling thread, so the run store is only ever touched from there and a
run against a server resumes exactly like an in-process one. Failed attempts (connection refused or
cut, timeouts, 429, 5xx) are retried with backoff, on whichever server is least busy by then.
"""
from __future__ import annotations

import logging
import os
import queue
import random
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import httpx

from thinkbench.harness.engine import ledger
from thinkbench.harness.engine.base import EngineInfo, GenOutput, GenRequest, GenResult
from thinkbench.harness.engine.endpoints import Endpoints, backoff_delay, public_url
from thinkbench.harness.engine.local_model import local_shape
from thinkbench.harness.errors import InputError
from thinkbench.harness.validate import build, param

log = logging.getLogger(__name__)

_WHERE = "engine.settings"
_RETRY_STATUS = {408, 409, 429}  # and every 5xx
_NO_TOKENIZER = ("the server at {url} has no {path} endpoint, which this strategy needs (render, tokenize or "
                 "detokenize); vLLM servers have it, or use engine kind vllm")


@dataclass(frozen=True)
class OpenAISettings:
    base_url: str | None = None  # one server, as the OpenAI client takes it: http://host:8000/v1
    base_urls: list[str] = field(default_factory=list)  # several servers with the same model
    # chat: messages to /chat/completions; completions: rendered prompt to /completions
    api: str = param("chat", choices=("chat", "completions"))
    served_model: str | None = None  # the name the servers know the model by (default: the run's model)
    api_key_env: str | None = None  # the environment variable that holds the API key (never the key)
    max_concurrency: int | None = param(None, ge=1)  # requests in flight over all servers (default 16 per server)
    max_retries: int = param(10, ge=0)
    backoff_seconds: float = param(1.0, ge=0)
    backoff_max_seconds: float = param(30.0, ge=0)
    timeout_seconds: float = param(600.0, gt=0)  # per attempt; an attempt that times out is retried
    send_seed: bool = True  # per-request seeds; turn off for servers that reject them
    extra_body: dict = field(default_factory=dict)  # merged into every request (top_k, chat_template_kwargs)


class EngineRequestError(RuntimeError):
    """A request that kept failing after every retry, or an answer that makes no sense."""


class OpenAIEngine:
    def __init__(self, model: str, settings: dict, seed: int) -> None:
        self.settings = s = openai_settings(settings, _WHERE)
        urls = [u.rstrip("/") for u in ([s.base_url] if s.base_url else []) + list(s.base_urls)]
        self._key = os.environ.get(s.api_key_env) if s.api_key_env else None
        self.model = s.served_model or model
        self._endpoints = Endpoints(urls)
        self._concurrency = s.max_concurrency or 16 * len(urls)
        self._client = httpx.Client(
            headers={"Authorization": f"Bearer {self._key}"} if self._key else {},
            timeout=httpx.Timeout(s.timeout_seconds, connect=min(10.0, s.timeout_seconds)),
            limits=httpx.Limits(max_connections=self._concurrency, max_keepalive_connections=self._concurrency))
        self._rng = random.Random(seed)  # backoff jitter only
        self._closed = threading.Event()
        self._warned_usage = False
        self.info = EngineInfo(kind="openai", model=self.model, shape=local_shape(model), extra={
            "api": s.api, "base_urls": [public_url(u) for u in urls], "max_concurrency": self._concurrency,
            "api_key_env": s.api_key_env, "extra_body": s.extra_body})

    # -- the Engine interface -------------------------------------------------------------------

    def render(self, messages, template_kwargs=None) -> str:
        return self._render(messages, template_kwargs)

    def _render(self, messages, template_kwargs=None, stop: threading.Event | None = None) -> str:
        chat = [{"role": role, "content": content} for role, content in messages]
        body = {"model": self.model, "messages": chat, "add_generation_prompt": True}
        if template_kwargs:
            body["chat_template_kwargs"] = dict(template_kwargs)
        tokens = self._post("/tokenize", body, root=True, stop=stop)["tokens"]
        return self._post("/detokenize", {"model": self.model, "tokens": tokens}, root=True, stop=stop)["prompt"]

    def tokenize(self, text: str) -> list[int]:
        data = self._post("/tokenize", {"model": self.model, "prompt": text, "add_special_tokens": False}, root=True)
        return list(data["tokens"])

    def detokenize(self, token_ids) -> str:
        """The server's decoding, which keeps special tokens (render needs them; vLLM's /detokenize
        has no switch to drop them)."""
        return self._post("/detokenize", {"model": self.model, "tokens": list(token_ids)}, root=True)["prompt"]

    def generate(self, requests: Sequence[GenRequest], on_result: Callable[[GenResult], None]) -> None:
        stop = threading.Event()  # set when this call ends: its workers then quit
        todo: queue.SimpleQueue = queue.SimpleQueue()
        done: queue.SimpleQueue = queue.SimpleQueue()  # (result, error) pairs
        for request in requests:
            todo.put(request)

        def worker() -> None:
            while not stop.is_set():
                try:
                    request = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    done.put((self._complete(request, stop), None))
                except Exception as e:  # handed to the calling thread, which stops the run
                    done.put((None, e))
                    return

        # Daemon threads: an interrupted run exits at once instead of waiting on answers in flight.
        for i in range(min(self._concurrency, len(requests))):
            threading.Thread(target=worker, name=f"openai-{i}", daemon=True).start()
        generated = 0
        try:
            for _ in range(len(requests)):
                result, error = done.get()
                if error is not None:
                    raise error
                generated += sum(o.tokens for o in result.outputs)
                on_result(result)
        finally:
            stop.set()  # on an error, requests waiting to retry give up and queued ones never start
            ledger.record("tokens", kind="openai", tokens=generated)

    def close(self) -> None:
        self._closed.set()
        self._client.close()

    # -- one request ----------------------------------------------------------------------------

    def _complete(self, request: GenRequest, stop: threading.Event) -> GenResult:
        if stop.is_set():
            raise EngineRequestError("openai: not sent, an earlier request failed")
        t0 = time.monotonic()
        try:
            path, body = self._body(request, stop)
            data = self._post(path, body, stop=stop)
        except Exception:
            stop.set()  # from here on, nothing more is sent: the run stops and resumes later
            raise
        choices = sorted(data.get("choices") or [], key=lambda c: c.get("index", 0))
        if len(choices) != request.sampling.n:
            raise EngineRequestError(f"openai: asked for n={request.sampling.n} samples, the server returned "
                                     f"{len(choices)} (does it support `n`?)")
        chat = path == "/chat/completions"
        outputs = [_output(c, chat) for c in choices]
        usage = data.get("usage") or {}
        if not usage and not self._warned_usage:
            self._warned_usage = True
            log.warning("openai: the server reports no usage; prompt token counts are 0")
        outputs = _with_token_counts(outputs, usage.get("completion_tokens"))
        details = usage.get("prompt_tokens_details") or {}
        return GenResult(key=request.key, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                         cached_prompt_tokens=details.get("cached_tokens"), outputs=tuple(outputs),
                         wall_seconds=time.monotonic() - t0)

    def _body(self, request: GenRequest, stop: threading.Event) -> tuple[str, dict]:
        s = request.sampling
        body: dict = {"model": self.model, "n": s.n, "temperature": s.temperature, "top_p": s.top_p,
                      "max_tokens": s.max_tokens}
        if s.stop:
            body["stop"] = list(s.stop)
        if s.seed is not None and self.settings.send_seed:
            body["seed"] = s.seed
        if request.prompt is None and self.settings.api == "chat":
            body["messages"] = [{"role": role, "content": content} for role, content in request.messages]
            if s.logprobs is not None:
                body.update(logprobs=True, top_logprobs=s.logprobs)
            path = "/chat/completions"
        else:
            # A raw prompt continues text as it is, which only the completions API does.
            body["prompt"] = (request.prompt if request.prompt is not None
                              else self._render(request.messages, stop=stop))
            if s.logprobs is not None:
                body["logprobs"] = s.logprobs
            path = "/completions"
        return path, {**body, **self.settings.extra_body}

    def _post(self, path: str, body: dict, root: bool = False, stop: threading.Event | None = None) -> dict:
        """POST to the least busy server, retrying what a retry can fix until `stop` (or close) is
        set; `root` paths (vLLM's /tokenize) live beside /v1 rather than under it."""
        stop = stop or self._closed
        attempt = 0
        while True:
            endpoint = self._endpoints.acquire()
            url = (endpoint.url.removesuffix("/v1") if root else endpoint.url) + path
            retry_after = None
            try:
                response = self._client.post(url, json=body)
            except httpx.TransportError as e:  # refused, reset, cut off mid-answer, timed out
                reason = type(e).__name__
            else:
                code = response.status_code
                if code < 300:
                    return response.json()
                if code not in _RETRY_STATUS and code < 500:
                    raise self._refused(url, path, response, root)
                reason = f"HTTP {code}"
                retry_after = _retry_after(response)
            finally:
                self._endpoints.release(endpoint)
            attempt += 1
            if attempt > self.settings.max_retries or stop.is_set():
                raise EngineRequestError(f"openai: {public_url(url)}: {reason}, gave up after {attempt} attempt(s)")
            delay = backoff_delay(attempt, self.settings.backoff_seconds, self.settings.backoff_max_seconds,
                                  retry_after, self._rng)
            self._endpoints.cool_down(endpoint, delay)
            log.warning("openai: %s: %s; retry %d/%d in %.2fs", public_url(url), reason, attempt,
                        self.settings.max_retries, delay)
            if stop.wait(delay) or self._closed.is_set():
                raise EngineRequestError(f"openai: {public_url(url)}: {reason}; stopped while waiting to retry")

    def _refused(self, url: str, path: str, response: httpx.Response, root: bool) -> InputError:
        """A 4xx is a problem of the config (key, model name, URL, prompt too long): retrying cannot help."""
        detail = response.text[:300]
        try:
            message = response.json().get("error", detail)
            detail = message.get("message", detail) if isinstance(message, dict) else str(message)
        except (ValueError, AttributeError):
            pass
        detail = " ".join(self._redact(detail).split())
        if root and response.status_code in (404, 405):
            return InputError(_NO_TOKENIZER.format(url=public_url(url.removesuffix(path)), path=path)
                              + f" (server said: {detail})")
        return InputError(f"engine openai: {public_url(url)}: HTTP {response.status_code}: {detail}")

    def _redact(self, text: str) -> str:
        # Some servers quote the key they refused back in the error message.
        return text.replace(self._key, "***") if self._key else text


def openai_settings(settings: dict, where: str) -> OpenAISettings:
    """The declared ranges, plus what they cannot say: a server to talk to, and a key only by name."""
    if "api_key" in settings:
        raise InputError(f"{where}.api_key: never put a key in a config; put it in an environment variable "
                         "and name the variable in api_key_env")
    s = build(OpenAISettings, settings, where)
    urls = ([s.base_url] if s.base_url else []) + list(s.base_urls)
    if not urls:
        raise InputError(f"{where}.base_url: engine openai needs base_url or base_urls "
                         "(e.g. http://127.0.0.1:8000/v1)")
    bad = next((u for u in urls if not u.startswith(("http://", "https://"))), None)
    if bad is not None:
        raise InputError(f"{where}.base_urls: {public_url(bad)!r} is not an http(s) URL")
    if s.api_key_env and not os.environ.get(s.api_key_env):
        raise InputError(f"{where}.api_key_env: the environment variable {s.api_key_env} is not set")
    return s


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("retry-after", ""))
    except ValueError:
        return None  # absent, or an HTTP date: use our own backoff


def _output(choice: dict, chat: bool) -> GenOutput:
    logprobs = top = None
    if chat:
        message = choice.get("message") or {}
        text = message.get("content") or ""
        # Servers with a reasoning parser split the thinking off; put it back the way the model wrote
        # it, so that verifiers see the same text as from the in-process engine.
        reasoning = message.get("reasoning_content") or message.get("reasoning")
        if reasoning:
            text = f"<think>{reasoning}</think>{text}"
        entries = (choice.get("logprobs") or {}).get("content")
        if entries is not None:
            logprobs = tuple(e["logprob"] for e in entries)
            top = tuple({**{t["token"]: t["logprob"] for t in e.get("top_logprobs") or ()}, e["token"]: e["logprob"]}
                        for e in entries)
    else:
        text = choice.get("text") or ""
        lp = choice.get("logprobs")
        if lp:
            logprobs = tuple(lp["token_logprobs"])
            tops = lp.get("top_logprobs") or [None] * len(logprobs)
            top = tuple({**(t or {}), token: value} for t, token, value in zip(tops, lp["tokens"], logprobs))
    token_ids = tuple(choice.get("token_ids") or ())  # vLLM, with return_token_ids in extra_body
    counted = len(token_ids) if token_ids else (len(logprobs) if logprobs is not None else -1)
    # vLLM names the stop string that ended a sample (or a stop token id, which is no string).
    stop = choice.get("stop_reason")
    return GenOutput(text=text, tokens=counted, finish_reason=str(choice.get("finish_reason") or "unknown"),
                     token_ids=token_ids, logprobs=logprobs, top_logprobs=top,
                     stop_reason=stop if isinstance(stop, str) else None)


def _with_token_counts(outputs: list[GenOutput], total: int | None) -> list[GenOutput]:
    """Per-sample generated tokens. Exact where the answer lists tokens (token ids or logprobs) or
    there is one sample; otherwise the usage total over the n samples is shared out by text length,
    so the total (what compute accounting sums) stays exact."""
    if all(o.tokens >= 0 for o in outputs):
        return outputs
    if total is None:
        return [o if o.tokens >= 0 else replace(o, tokens=0) for o in outputs]
    known = sum(o.tokens for o in outputs if o.tokens >= 0)
    unknown = [i for i, o in enumerate(outputs) if o.tokens < 0]
    weights = [max(len(outputs[i].text), 1) for i in unknown]
    left = max(total - known, 0)
    shares = [left * w // sum(weights) for w in weights]
    # Largest remainder: hand the tokens lost to rounding to the longest texts.
    for j in sorted(range(len(unknown)), key=lambda j: -(left * weights[j] % sum(weights)))[:left - sum(shares)]:
        shares[j] += 1
    counts = dict(zip(unknown, shares))
    return [replace(o, tokens=counts[i]) if i in counts else o for i, o in enumerate(outputs)]
