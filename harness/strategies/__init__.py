"""Strategies by name. A new strategy is one module here that registers itself with `@register`."""
from __future__ import annotations

from thinkbench.harness.registry import Registry
from thinkbench.harness.strategies.base import Strategy

_STRATEGIES = Registry("strategy", __name__, helpers={"base"})
register = _STRATEGIES.register
strategy_names = _STRATEGIES.names
strategy_classes = _STRATEGIES.classes


def build_strategy(config: dict, where: str) -> Strategy:
    """`config` is {name: ..., <the strategy's own parameters>}."""
    cls, params, _ = _STRATEGIES.resolve(config, where)
    return cls(params)


def check_strategy(config: dict, where: str) -> None:
    """A run config's strategy entry: its name and parameters, checked without building it."""
    _STRATEGIES.resolve(config, where)


__all__ = ["Strategy", "build_strategy", "check_strategy", "register", "strategy_classes", "strategy_names"]
