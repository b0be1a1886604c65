"""Repeated sampling: one pool of n samples per problem, scored for every k <= n."""
from __future__ import annotations

from dataclasses import dataclass, field

from thinkbench.harness.strategies import register
from thinkbench.harness.strategies.base import PoolStrategy
from thinkbench.harness.validate import param


@dataclass(frozen=True)
class SampleParams:
    n: int = param(16, ge=1)
    temperature: float = param(0.8, ge=0)
    top_p: float = param(1.0, gt=0, le=1)
    max_tokens: int = param(256, ge=1)
    stop: list[str] = field(default_factory=list)


@register("sample")
class Sample(PoolStrategy):
    Params = SampleParams
