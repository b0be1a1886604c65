"""Engines by name. A new engine is one module plus one entry in `_ENGINES`."""
from __future__ import annotations

import importlib

from thinkbench.harness.engine.base import Engine, EngineInfo, GenOutput, GenRequest, GenResult, SamplingSpec
from thinkbench.harness.errors import InputError

# Imported lazily: importing vLLM costs seconds and is not needed to grade or report.
_ENGINES = {
    "vllm": "thinkbench.harness.engine.vllm_engine:VLLMEngine",
    "openai": "thinkbench.harness.engine.openai_engine:OpenAIEngine",
    "ray": "thinkbench.harness.engine.ray_engine:RayEngine",
}


def build_engine(kind: str, model: str, settings: dict, seed: int) -> Engine:
    if kind not in _ENGINES:
        raise InputError(f"engine: unknown kind {kind!r} (known: {', '.join(sorted(_ENGINES))})")
    module, cls = _ENGINES[kind].split(":")
    return getattr(importlib.import_module(module), cls)(model=model, settings=settings, seed=seed)


__all__ = ["Engine", "EngineInfo", "GenOutput", "GenRequest", "GenResult", "SamplingSpec", "build_engine"]
