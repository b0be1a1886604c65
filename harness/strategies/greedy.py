"""Greedy chain of thought: one deterministic sample per problem."""
from __future__ import annotations

from dataclasses import dataclass, field

from thinkbench.harness.strategies import register
from thinkbench.harness.strategies.base import PoolStrategy
from thinkbench.harness.validate import param


@dataclass(frozen=True)
class GreedyParams:
    max_tokens: int = param(256, ge=1)
    stop: list[str] = field(default_factory=list)
    n: int = field(default=1, init=False)
    temperature: float = field(default=0.0, init=False)
    top_p: float = field(default=1.0, init=False)


@register("greedy")
class Greedy(PoolStrategy):
    Params = GreedyParams
    metric_families = ("accuracy",)
