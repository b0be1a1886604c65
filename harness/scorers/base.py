"""What every scorer shares: the candidate it judges, the values it returns, what scoring cost,
and how per-step values become one score.

A scorer judges a candidate solution either step by step (a process reward model, a judge asked
about each step, the policy's confidence in each generated piece) or as a whole (an outcome reward
model, a judge asked about the solution); either way it returns a list of values, and the
aggregation the config states (last, min, product, mean) turns that list into the candidate's score.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Callable, ClassVar, Protocol, Sequence

from thinkbench.harness.engine.base import Engine
from thinkbench.harness.metrics.compute import decode_flops, prefill_flops
from thinkbench.harness.types import ModelShape


def split_steps(text: str, delimiter: str) -> list[str]:
    """Reasoning steps of a solution: the non-blank pieces between delimiters. Never empty, so a
    step scorer always has something to judge (an empty solution is one empty step)."""
    steps = [s.strip() for s in text.split(delimiter) if s.strip()]
    return steps or [text.strip()]


@dataclass(frozen=True)
class Segment:
    """One piece of generated text (a search step, or a whole sample), with the policy's
    log-probabilities of its tokens when the generation asked for them."""

    text: str
    logprobs: tuple[float, ...] | None = None
    top_logprobs: tuple[dict[str, float], ...] | None = None


@dataclass(frozen=True)
class ScoreRequest:
    question: str  # the problem as the policy saw it (its user message)
    segments: tuple[Segment, ...]  # the candidate, as generated
    delimiter: str  # what separates reasoning steps in the text
    # Values already known for the candidate's first `known_segments` segments (its parent in a
    # search); a scorer may keep those that still apply instead of scoring them again.
    known: tuple[float, ...] = ()
    known_segments: int = 0

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)

    def steps(self) -> list[str]:
        return split_steps(self.text, self.delimiter)


@dataclass(frozen=True)
class ScoreCost:
    """What scoring one candidate cost, beyond what was already known of it."""

    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0
    generated_tokens: int = 0
    calls: int = 0
    flops: float | None = 0.0  # None when the scorer's model shape is unknown

    def __add__(self, other: ScoreCost) -> ScoreCost:
        flops = None if self.flops is None or other.flops is None else self.flops + other.flops
        return ScoreCost(self.prompt_tokens + other.prompt_tokens,
                         self.cached_prompt_tokens + other.cached_prompt_tokens,
                         self.generated_tokens + other.generated_tokens, self.calls + other.calls, flops)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict) -> ScoreCost:
        return cls(**data)

    @classmethod
    def of_call(cls, shape: ModelShape | None, prompt_tokens: int, cached: int | None,
                generated: Sequence[int] = ()) -> ScoreCost:
        """One engine call: a prompt (part of it cached) and its generated samples."""
        flops = None
        if shape is not None:
            flops = prefill_flops(shape, prompt_tokens, cached) + sum(
                decode_flops(shape, prompt_tokens, g) for g in generated)
        return cls(prompt_tokens, cached or 0, sum(generated), 1, flops)


@dataclass(frozen=True)
class Scored:
    values: tuple[float, ...]  # per step, or one value for a whole-solution scorer
    cost: ScoreCost  # of computing the values that were not known before


@dataclass(frozen=True)
class ScorerContext:
    """What a scorer may use at run time: the policy's engine (built on first use) and model."""

    policy_engine: Callable[[], Engine]
    policy_model: str
    seed: int


def _product(values: Sequence[float]) -> float:
    return math.prod(values)


AGGREGATIONS: dict[str, Callable[[Sequence[float]], float]] = {
    "last": lambda values: values[-1],
    "min": min,
    "product": _product,
    "mean": lambda values: sum(values) / len(values),
}


class Scorer(Protocol):
    name: ClassVar[str]
    Params: ClassVar[type]
    params: object
    # What generation must ask for so this scorer can judge it (SamplingSpec.logprobs); None: nothing.
    # A scorer that needs log-probabilities runs where the engine hands results over, before they
    # are stored, and must not call the policy engine itself.
    logprobs: int | None

    def identity(self) -> str:
        """What the score cache keys on: name, model and every option that changes values (not the
        aggregation, which is applied to cached values)."""

    def bind(self, ctx: ScorerContext) -> None:
        """Called before the first `score` of a run."""

    def score(self, requests: Sequence[ScoreRequest]) -> list[Scored]:
        """One Scored per request, in order; batch what can be batched."""

    def aggregate(self, values: Sequence[float]) -> float: ...

    def close(self) -> None:
        """Release what the scorer built for itself (engines), not what it borrowed."""


class ScorerBase:
    """Params, aggregation and a no-op lifecycle; subclasses set `logprobs` and implement `score`."""

    logprobs: int | None = None

    def __init__(self, params, where: str) -> None:
        self.params = params
        self.where = where
        # Whole-solution scorers have a single value and no aggregation to choose.
        self.aggregation = getattr(params, "aggregation", "last")

    def identity(self) -> str:
        # Neither the aggregation (applied to cached values) nor engine settings change the values.
        options = {f.name: getattr(self.params, f.name) for f in fields(self.params)
                   if f.name not in ("aggregation", "engine")}
        return f"{self.name}:{sorted(options.items())!r}"

    def bind(self, ctx: ScorerContext) -> None:
        self.ctx = ctx

    def aggregate(self, values: Sequence[float]) -> float:
        return AGGREGATIONS[self.aggregation](values) if values else 0.0

    def close(self) -> None:
        pass
