"""The engine interface: everything above the engine talks to it, never to vLLM directly."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

from harness.metrics.compute import ModelShape


@dataclass(frozen=True)
class SamplingSpec:
    n: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 256
    seed: int | None = None
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class GenRequest:
    """One prompt and how to sample it; `n` samples share one prefill."""

    key: str
    messages: tuple[tuple[str, str], ...]  # (role, content) pairs, chat template applied by the engine
    sampling: SamplingSpec


@dataclass(frozen=True)
class GenOutput:
    text: str
    tokens: int
    finish_reason: str  # "stop" | "length" | ...


@dataclass(frozen=True)
class GenResult:
    key: str
    prompt_tokens: int
    cached_prompt_tokens: int | None  # None when the engine does not report it
    outputs: tuple[GenOutput, ...]
    wall_seconds: float = 0.0


@dataclass(frozen=True)
class EngineInfo:
    """What the run folder records about the engine, and what FLOP estimates need."""

    kind: str
    model: str
    shape: ModelShape | None = None
    extra: dict = field(default_factory=dict)


class Engine(Protocol):
    info: EngineInfo

    def generate(self, requests: Sequence[GenRequest], on_result: Callable[[GenResult], None]) -> None:
        """Run all requests; call `on_result` for each as soon as it has finished (in any order)."""

    def close(self) -> None: ...
