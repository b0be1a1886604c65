"""The engine interface: everything above the engine talks to it, never to vLLM directly."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, Sequence

from thinkbench.harness.types import ModelShape


@dataclass(frozen=True)
class SamplingSpec:
    n: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 256
    seed: int | None = None
    stop: tuple[str, ...] = ()
    logprobs: int | None = None  # None: none; 0: the chosen token's; k: also the k most likely


@dataclass(frozen=True)
class GenRequest:
    """One prompt and how to sample it; `n` samples share one prefill.

    Either chat `messages` (the engine applies the chat template) or a raw `prompt` text that is
    continued as it is: strategies that extend a partial answer send `render(messages) + partial`,
    which also lets the prefix cache serve the shared part.
    """

    key: str
    messages: tuple[tuple[str, str], ...]  # (role, content) pairs
    sampling: SamplingSpec
    prompt: str | None = None  # when set, sent verbatim instead of the rendered messages


@dataclass(frozen=True)
class GenOutput:
    text: str
    tokens: int
    finish_reason: str  # "stop" | "length" | ...
    token_ids: tuple[int, ...] = ()
    logprobs: tuple[float, ...] | None = None  # of each chosen token, when asked for
    top_logprobs: tuple[dict[str, float], ...] | None = None  # per token: decoded text -> logprob
    stop_reason: str | None = None  # the stop string that ended it (not in `text`), if one did


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

    def render(self, messages: Sequence[tuple[str, str]], template_kwargs: Mapping[str, Any] | None = None) -> str:
        """The prompt text the model sees for chat messages (chat template, generation prompt);
        `template_kwargs` go to the chat template (e.g. enable_thinking). Engines without it still
        serve callers that pass none."""

    def tokenize(self, text: str) -> list[int]: ...

    def detokenize(self, token_ids: Sequence[int]) -> str: ...

    def generate(self, requests: Sequence[GenRequest], on_result: Callable[[GenResult], None]) -> None:
        """Run all requests; call `on_result` for each as soon as it has finished (in any order)."""

    def close(self) -> None: ...
