"""Strategies by name. A new strategy is one module here that registers itself with `@register`."""
from __future__ import annotations

import importlib
import pkgutil

from harness.errors import InputError
from harness.strategies.base import Strategy
from harness.validate import build

_REGISTRY: dict[str, type] = {}


def register(name: str):
    def deco(cls):
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def _load_all() -> None:
    for mod in pkgutil.iter_modules(__path__):
        if mod.name != "base":
            importlib.import_module(f"{__name__}.{mod.name}")


def strategy_names() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def build_strategy(config: dict, where: str) -> Strategy:
    """`config` is {name: ..., <the strategy's own parameters>}."""
    _load_all()
    if not isinstance(config, dict) or "name" not in config:
        raise InputError(f"{where}: needs a `name` (one of {', '.join(strategy_names())})")
    params = dict(config)
    name = params.pop("name")
    if name not in _REGISTRY:
        raise InputError(f"{where}.name: unknown strategy {name!r} (known: {', '.join(strategy_names())})")
    cls = _REGISTRY[name]
    return cls(build(cls.Params, params, f"{where}({name})"))


__all__ = ["Strategy", "build_strategy", "register", "strategy_names"]
