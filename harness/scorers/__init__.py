"""Scorers by name. A new scorer is one module here that registers itself with `@register`."""
from __future__ import annotations

import importlib
import pkgutil

from harness.errors import InputError
from harness.scorers.base import Scorer
from harness.validate import build

_REGISTRY: dict[str, type] = {}
_HELPERS = {"base", "cache", "pooling"}  # shared pieces, not scorers


def register(name: str):
    def deco(cls):
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def _load_all() -> None:
    for mod in pkgutil.iter_modules(__path__):
        if mod.name not in _HELPERS:
            importlib.import_module(f"{__name__}.{mod.name}")


def scorer_names() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def build_scorer(config: dict, where: str) -> Scorer:
    """`config` is {name: ..., <the scorer's own parameters>}; bad input fails here, at start."""
    _load_all()
    if not isinstance(config, dict) or "name" not in config:
        raise InputError(f"{where}: needs a `name` (one of {', '.join(scorer_names())})")
    params = dict(config)
    name = params.pop("name")
    if name not in _REGISTRY:
        raise InputError(f"{where}.name: unknown scorer {name!r} (known: {', '.join(scorer_names())})")
    cls = _REGISTRY[name]
    return cls(build(cls.Params, params, f"{where}({name})"), f"{where}({name})")


__all__ = ["Scorer", "build_scorer", "register", "scorer_names"]
