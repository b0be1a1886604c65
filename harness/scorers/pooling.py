"""Reward models served by vLLM as pooling models (runner="pooling"), shared by `prm` and `orm`.

The model is checked when the run starts (it exists, and its architecture is a reward model) and
loaded on first use; a fully resumed run never loads it.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Callable, Sequence

from thinkbench.harness.errors import InputError
from thinkbench.harness.models import resolve_model
from thinkbench.harness.types import ModelShape

def _config(model: str, where: str) -> dict:
    if model.startswith(("/", ".", "~")) and not Path(model).expanduser().exists():
        raise InputError(f"{where}.model: no such folder {model}")
    try:
        path = resolve_model(model)
    except InputError as e:
        raise InputError(f"{where}.{e}") from None
    if Path(path).is_dir():
        return json.loads((Path(path) / "config.json").read_text())
    try:
        from transformers import AutoConfig

        return AutoConfig.from_pretrained(path).to_dict()
    except Exception as e:  # the Hub answers with many kinds of errors; all mean "cannot load"
        first = (str(e).strip().splitlines() or [""])[0][:160]
        raise InputError(f"{where}.model: cannot load {model!r} from the Hub or its cache "
                         f"({type(e).__name__}: {first})") from None


def check_reward_model(model: str, accept: Callable[[str], bool], kind: str, where: str) -> str:
    """The resolved model, or one line saying why it cannot serve as `kind` ("a process reward model")."""
    architectures = _config(model, where).get("architectures") or []
    if not any(accept(a) for a in architectures):
        raise InputError(f"{where}.model: {model} is not {kind} (architectures: "
                         f"{', '.join(architectures) or 'none'})")
    return resolve_model(model)


def render(tokenizer, system: str | None, question: str, answer: str) -> str:
    """The reward model's own chat format, or plain text for a tokenizer without a template."""
    chat = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=False)
    return "\n\n".join(m["content"] for m in chat)


def positive(logits: Sequence[float]) -> float:
    """The probability of the positive (last) label from raw logits: a sigmoid for one label, a
    softmax otherwise. Probabilities also make the scores usable as voting weights."""
    if len(logits) == 1:
        return 1.0 / (1.0 + math.exp(-logits[0]))
    peak = max(logits)
    exps = [math.exp(x - peak) for x in logits]
    return exps[-1] / sum(exps)


class PoolingModel:
    def __init__(self, model: str, settings: dict, seed: int) -> None:
        """`settings` as checked by vllm_settings.pooling_settings (the scorer's Params)."""
        self.model, self.settings, self.seed = model, dict(settings), seed
        self._llm = None
        self.shape: ModelShape | None = None

    def llm(self):
        if self._llm is None:
            from thinkbench.harness.engine.vllm_engine import model_shape, start_llm

            settings = dict(self.settings)
            kv_gib = settings.pop("kv_cache_gib", 1)  # its own KV cache, whatever the policy engine has
            settings.setdefault("max_model_len", 4096)
            self._started = start_llm(self.model, settings, self.seed, kv_gib, "pooling", runner="pooling")
            self._llm = self._started.llm
            self.shape = model_shape(self._llm.llm_engine.model_config.hf_config)
        return self._llm

    def tokenizer(self):
        return self.llm().get_tokenizer()

    def encode(self, texts: list[str], task: str | None = None, **pooling):
        """Raw logits (no activation) for each text: per token for token tasks, per text otherwise."""
        from vllm.pooling_params import PoolingParams

        llm = self.llm()
        return llm.encode(texts, pooling_params=PoolingParams(use_activation=False, **pooling),
                          pooling_task=task or llm.pooling_task, use_tqdm=False)

    def close(self) -> None:
        if self._llm is not None:
            from thinkbench.harness.engine.vllm_engine import shutdown

            shutdown(self._started)
            self._llm = None
