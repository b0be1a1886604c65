"""Strategies by name. A new strategy is one module here that registers itself with `@register`."""
from __future__ import annotations

from thinkbench.harness.registry import Registry
from thinkbench.harness.strategies.base import Strategy

_STRATEGIES = Registry("strategy", __name__, helpers={"base"})
register = _STRATEGIES.register
strategy_names = _STRATEGIES.names


def build_strategy(config: dict, where: str) -> Strategy:
    """`config` is {name: ..., <the strategy's own parameters>}."""
    cls, params, _ = _STRATEGIES.resolve(config, where)
    return cls(params)


__all__ = ["Strategy", "build_strategy", "register", "strategy_names"]
