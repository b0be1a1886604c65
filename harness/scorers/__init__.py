"""Scorers by name. A new scorer is one module here that registers itself with `@register`."""
from __future__ import annotations

from thinkbench.harness.registry import Registry
from thinkbench.harness.scorers.base import Scorer

_SCORERS = Registry("scorer", __name__, helpers={"base", "cache", "pooling"})  # helpers: shared pieces
register = _SCORERS.register
scorer_names = _SCORERS.names
scorer_classes = _SCORERS.classes


def build_scorer(config: dict, where: str) -> Scorer:
    """`config` is {name: ..., <the scorer's own parameters>}; bad input fails here, at start."""
    cls, params, label = _SCORERS.resolve(config, where)
    return cls(params, label)


def check_scorer(config: dict, where: str) -> None:
    """A strategy's `scorer` setting: its name and parameters, checked without building it."""
    _SCORERS.resolve(config, where)


__all__ = ["Scorer", "build_scorer", "check_scorer", "register", "scorer_classes", "scorer_names"]
