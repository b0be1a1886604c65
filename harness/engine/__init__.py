"""Engines by name. A new engine is one module plus one entry in `_ENGINES`."""
from __future__ import annotations

import importlib
from typing import Any

from thinkbench.harness.engine.base import Engine, EngineInfo, GenOutput, GenRequest, GenResult, SamplingSpec
from thinkbench.harness.errors import InputError

# kind -> its class, and the function that checks its settings (settings, where) before anything is
# loaded. Imported lazily: importing vLLM costs seconds and is not needed to grade or report.
_ENGINES = {
    "vllm": ("thinkbench.harness.engine.vllm_engine:VLLMEngine",
             "thinkbench.harness.engine.vllm_settings:vllm_settings"),
    "openai": ("thinkbench.harness.engine.openai_engine:OpenAIEngine",
               "thinkbench.harness.engine.openai_engine:openai_settings"),
    "ray": ("thinkbench.harness.engine.ray_engine:RayEngine",
            "thinkbench.harness.engine.ray_engine:ray_settings"),
}
ENGINE_KINDS = tuple(_ENGINES)


def _load(kind: str, which: int) -> Any:
    if kind not in _ENGINES:
        raise InputError(f"engine: unknown kind {kind!r} (known: {', '.join(ENGINE_KINDS)})")
    module, name = _ENGINES[kind][which].split(":")
    return getattr(importlib.import_module(module), name)


def check_engine_settings(kind: str, settings: dict, where: str) -> None:
    _load(kind, 1)(settings, where)


def build_engine(kind: str, model: str, settings: dict, seed: int) -> Engine:
    return _load(kind, 0)(model=model, settings=settings, seed=seed)


__all__ = ["ENGINE_KINDS", "Engine", "EngineInfo", "GenOutput", "GenRequest", "GenResult", "SamplingSpec",
           "build_engine", "check_engine_settings"]
