"""vLLM in process. Requests are fed to the engine core directly so that each one reaches the
run store the moment it finishes, instead of when the whole batch does."""
from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

from thinkbench.harness import processes
from thinkbench.harness.engine import cpu_settings, ledger
from thinkbench.harness.engine.base import EngineInfo, GenOutput, GenRequest, GenResult
from thinkbench.harness.engine.chat_text import TokenizerText
from thinkbench.harness.engine.vllm_settings import LLM_SETTINGS as _LLM_SETTINGS  # what vllm.LLM may be given
from thinkbench.harness.errors import InputError
from thinkbench.harness.types import ModelShape


def on_cpu() -> bool:
    import torch

    return not torch.cuda.is_available()


@dataclass
class Started:
    llm: object  # vllm.LLM
    record: dict  # what engine.json keeps about the start: settings, the choices for this CPU, seconds
    processes: list  # vLLM's engine-core and worker processes, where it made any
    in_process: bool  # its engine core runs inside this process


# Engines whose core runs inside this process; one at a time (see cpu_settings.choose).
_in_process: set[int] = set()


def start_llm(model: str, settings: dict, seed: int, kv_gib: float, kind: str, **llm_args) -> Started:
    """`vllm.LLM` with `settings` completed for this machine (on a CPU: from its flags)."""
    # INFO: start-up timings are worth having in engine.log, where vLLM's lines go.
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "INFO")
    settings, environ, chosen = dict(settings), {}, {}
    cpu = on_cpu()
    if cpu:
        choice = cpu_settings.choose(settings, cpu_settings.cpu_flags(), os.environ, alone=not _in_process)
        settings, chosen = choice.settings, choice.record()
        # The CPU backend sizes its KV cache from this variable; the GPU-style fraction of memory
        # fails on small machines.
        environ = {**choice.environ, "VLLM_CPU_KVCACHE_SPACE": str(kv_gib)}
    from vllm import LLM

    t0 = time.monotonic()
    with _vllm_environ(environ), processes.ended_on_failure() as started:
        in_process = os.environ.get(cpu_settings.IN_PROCESS) == "0"
        llm = LLM(model=model, seed=seed, **llm_args, **settings)
    seconds = round(time.monotonic() - t0, 1)
    ledger.record("start", kind=kind, model=model, seconds=seconds)
    if in_process:
        _in_process.add(id(llm))
    return Started(llm, {"cpu": cpu, "vllm_settings": settings, **chosen, "start_seconds": seconds}, started(),
                   in_process)


@contextmanager
def _vllm_environ(values: dict[str, str]) -> Iterator[None]:
    """`values` in the environment while vLLM starts (it reads them then), the previous ones after.
    An in-process engine freezes vLLM's view of the environment; it is thawed again so that the
    next engine of this process (a reward model beside the policy) reads its own values."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        from vllm import envs

        envs.disable_envs_cache()


def shutdown(started: Started) -> None:
    core = getattr(started.llm.llm_engine, "engine_core", None)
    if core is not None and hasattr(core, "shutdown"):
        core.shutdown()
    processes.end(started.processes)
    _in_process.discard(id(started.llm))


class VLLMEngine(TokenizerText):
    def __init__(self, model: str, settings: dict, seed: int) -> None:
        unknown = set(settings) - _LLM_SETTINGS
        if unknown:
            raise InputError(f"engine: unknown setting(s) {', '.join(sorted(unknown))} "
                             f"(known: {', '.join(sorted(_LLM_SETTINGS))})")
        settings = dict(settings)
        kv_gib = settings.pop("kv_cache_gib", 4)
        kv_gib = os.environ.get("VLLM_CPU_KVCACHE_SPACE", kv_gib)  # the variable, where set, wins
        settings.setdefault("max_model_len", 4096)
        self._started = start_llm(model, settings, seed, kv_gib, "vllm", enable_prefix_caching=True)
        self._llm = self._started.llm
        self.cpu = self._started.record["cpu"]
        self._tokenizer = self._llm.get_tokenizer()
        hf_config = self._llm.llm_engine.model_config.hf_config
        self.info = EngineInfo(kind="vllm", model=model, shape=model_shape(hf_config), extra=self._started.record)
        self._counter = 0

    def _sampling_params(self, request: GenRequest):
        from vllm import SamplingParams
        from vllm.sampling_params import RequestOutputKind

        s = request.sampling
        return SamplingParams(n=s.n, temperature=s.temperature, top_p=s.top_p, max_tokens=s.max_tokens,
                              seed=s.seed, stop=list(s.stop) or None, logprobs=s.logprobs,
                              output_kind=RequestOutputKind.FINAL_ONLY)

    def _prompt(self, request: GenRequest) -> str:
        return request.prompt if request.prompt is not None else self.render(request.messages)

    def generate(self, requests: Sequence[GenRequest], on_result: Callable[[GenResult], None]) -> None:
        engine = self._llm.llm_engine
        started: dict[str, tuple[str, float]] = {}
        generated = 0
        try:
            for request in requests:
                self._counter += 1
                rid = f"{self._counter}"
                started[rid] = (request.key, time.monotonic())
                engine.add_request(rid, self._prompt(request), self._sampling_params(request))
            while engine.has_unfinished_requests():
                for out in engine.step():
                    if not out.finished:
                        continue
                    key, t0 = started.pop(out.request_id)
                    outputs = tuple(_output(o) for o in sorted(out.outputs, key=lambda o: o.index))
                    generated += sum(o.tokens for o in outputs)
                    on_result(GenResult(key=key, prompt_tokens=len(out.prompt_token_ids or ()),
                                        cached_prompt_tokens=out.num_cached_tokens, outputs=outputs,
                                        wall_seconds=time.monotonic() - t0))
        except BaseException:
            # Interrupted: what is still running must not surface in the next call on this engine
            # (a dead engine cannot abort; the original error is the one to see).
            with suppress(Exception):
                engine.abort_request(list(started))
            raise
        finally:
            ledger.record("tokens", kind="vllm", tokens=generated)
        if started:
            print(f"warning: {len(started)} request(s) ended without output", file=sys.stderr)

    def close(self) -> None:
        shutdown(self._started)


def _output(o) -> GenOutput:
    logprobs = top = None
    if o.logprobs is not None:
        # vLLM gives, per position, token id -> Logprob for the chosen token and the top-k.
        logprobs = tuple(step[t].logprob for t, step in zip(o.token_ids, o.logprobs))
        top = tuple({lp.decoded_token: lp.logprob for lp in step.values()} for step in o.logprobs)
    # vLLM's stop_reason is the matched stop string, a stop token id, or None (end of sequence).
    stop = o.stop_reason if isinstance(o.stop_reason, str) else None
    return GenOutput(text=o.text, tokens=len(o.token_ids), finish_reason=str(o.finish_reason),
                     token_ids=tuple(o.token_ids), logprobs=logprobs, top_logprobs=top, stop_reason=stop)


def model_shape(cfg) -> ModelShape | None:
    """Non-embedding parameters, layers and attention width of a decoder, for FLOP estimates."""
    try:
        h, layers, inter = cfg.hidden_size, cfg.num_hidden_layers, cfg.intermediate_size
        heads = cfg.num_attention_heads
        kv = getattr(cfg, "num_key_value_heads", heads) or heads
        head_dim = getattr(cfg, "head_dim", None) or h // heads
    except AttributeError:
        return None
    attention = h * head_dim * (heads + 2 * kv) + heads * head_dim * h
    mlp = 3 * h * inter  # gated MLP (Llama, Qwen, Mistral)
    return ModelShape(parameters=layers * (attention + mlp), layers=layers, attention_dim=heads * head_dim)
