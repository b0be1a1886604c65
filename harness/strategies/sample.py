"""Repeated sampling: one pool of n samples per problem, scored for every k <= n."""
from __future__ import annotations

from dataclasses import dataclass, field

from thinkbench.harness.strategies import register
from thinkbench.harness.strategies.base import PoolStrategy


@dataclass(frozen=True)
class SampleParams:
    n: int = 16
    temperature: float = 0.8
    top_p: float = 1.0
    max_tokens: int = 256
    stop: list[str] = field(default_factory=list)


@register("sample")
class Sample(PoolStrategy):
    Params = SampleParams
