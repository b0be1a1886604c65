"""vLLM in process. Requests are fed to the engine core directly so that each one reaches the
run store the moment it finishes, instead of when the whole batch does."""
from __future__ import annotations

import os
import sys
import time
from typing import Callable, Sequence

from thinkbench.harness.engine.base import EngineInfo, GenOutput, GenRequest, GenResult
from thinkbench.harness.engine.chat_text import TokenizerText
from thinkbench.harness.engine.vllm_settings import LLM_SETTINGS as _LLM_SETTINGS  # what vllm.LLM may be given
from thinkbench.harness.errors import InputError
from thinkbench.harness.metrics.compute import ModelShape


def on_cpu() -> bool:
    import torch

    return not torch.cuda.is_available()


class VLLMEngine(TokenizerText):
    def __init__(self, model: str, settings: dict, seed: int) -> None:
        unknown = set(settings) - _LLM_SETTINGS
        if unknown:
            raise InputError(f"engine: unknown setting(s) {', '.join(sorted(unknown))} "
                             f"(known: {', '.join(sorted(_LLM_SETTINGS))})")
        os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
        settings = dict(settings)
        self.cpu = on_cpu()
        kv_gib = settings.pop("kv_cache_gib", 4)
        if self.cpu:
            # The CPU backend sizes its KV cache from this variable; the GPU-style fraction of memory
            # fails on small machines.
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(kv_gib))
        settings.setdefault("max_model_len", 4096)
        if self.cpu:
            # A prompt prefilled in chunks makes vLLM rewind the seeded sampler's generator, which
            # the CPU generator cannot do ("CPU Generator does not use offset"): the engine dies.
            # Whole-prompt prefills keep per-request seeds, and with them exact resumes, working.
            settings.setdefault("enable_chunked_prefill", False)
            settings.setdefault("max_num_batched_tokens", max(settings["max_model_len"], 8192))
        from vllm import LLM

        self._llm = LLM(model=model, seed=seed, enable_prefix_caching=True, **settings)
        self._tokenizer = self._llm.get_tokenizer()
        hf_config = self._llm.llm_engine.model_config.hf_config
        self.info = EngineInfo(kind="vllm", model=model, shape=model_shape(hf_config),
                               extra={"cpu": self.cpu, "vllm_settings": settings})
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
                on_result(GenResult(key=key, prompt_tokens=len(out.prompt_token_ids or ()),
                                    cached_prompt_tokens=out.num_cached_tokens, outputs=outputs,
                                    wall_seconds=time.monotonic() - t0))
        if started:
            print(f"warning: {len(started)} request(s) ended without output", file=sys.stderr)

    def close(self) -> None:
        engine = getattr(self._llm, "llm_engine", None)
        shutdown = getattr(engine, "engine_core", None)
        if shutdown is not None and hasattr(shutdown, "shutdown"):
            shutdown.shutdown()


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
