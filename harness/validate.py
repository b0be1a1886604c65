"""Declarative YAML -> typed dataclasses, with errors that name the file and the field.

A field declares what values it accepts with `param(...)` (bounds, choices, non-empty, order, a
plug-in's own check); `build` checks every declared field once the object is built, so a strategy,
scorer or engine states its settings' ranges and nothing else, and bad input fails before anything
is loaded.
"""
from __future__ import annotations

import dataclasses
import operator
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Collection, TypeVar

import yaml

from thinkbench.harness.errors import InputError

T = TypeVar("T")
_RULE = "thinkbench.rule"


@dataclass(frozen=True)
class Rule:
    """What a field accepts. A bound may be a number or the name of another field of the same object;
    bounds, choices, `multiple_of` and `check` apply to each item of a list. None is always accepted
    (a field typed `X | None` means "not set")."""

    ge: float | str | None = None
    gt: float | str | None = None
    le: float | str | None = None
    choices: Collection[str] | None = None
    nonempty: bool = False
    increasing: bool = False  # a list, strictly increasing
    distinct: bool = False  # a list, no value twice
    multiple_of: int | str | None = None
    check: Callable[[Any, str], Any] | None = None  # (value, where): raises InputError (a plug-in's config)


def declared_rule(f: dataclasses.Field) -> Rule | None:
    return f.metadata.get(_RULE)


def param(default: Any = dataclasses.MISSING, *, factory: Callable[[], Any] | Any = dataclasses.MISSING,
          **rule: Any) -> Any:
    """A dataclass field with the values it accepts: `n: int = param(16, ge=1)`."""
    return dataclasses.field(default=default, default_factory=factory, metadata={_RULE: Rule(**rule)})


def packaged(folder: str) -> dict[str, Path]:
    """The YAML files that come with thinkbench in `folder` ("tasks", "configs"), by name. The folder
    sits beside harness/ both in a checkout and in the installed package (thinkbench/tasks)."""
    return {p.stem: p for p in sorted((Path(__file__).resolve().parent.parent / folder).glob("*.yaml"))}


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text()
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise InputError(f"{path}:{where} not valid YAML ({getattr(e, 'problem', e)})") from None


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _error(where: str, message: str) -> InputError:
    return InputError(f"{where}: {message}" if where else message)


def build(cls: type[T], data: Any, where: str) -> T:
    """Build dataclass `cls` from a mapping, checking names, types and declared rules; `where`
    prefixes errors (empty: the field names alone)."""
    if not isinstance(data, dict):
        raise _error(where, f"expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = set(data) - set(fields)
    if unknown:
        raise _error(where, f"unknown field {sorted(unknown)[0]!r} (known: {', '.join(fields)})")
    values = {}
    for name, f in fields.items():
        if name in data:
            values[name] = _convert(hints[name], data[name], _at(where, name))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise _error(where, f"missing required field {name!r}")
    obj = cls(**values)
    for f in dataclasses.fields(cls):
        if (rule := declared_rule(f)) is not None:
            _check(rule, obj, f.name, where)
    return obj


_BOUNDS = (("ge", operator.ge, ">="), ("gt", operator.gt, ">"), ("le", operator.le, "<="))


def _check(rule: Rule, obj: Any, name: str, where: str) -> None:
    value, at = getattr(obj, name), _at(where, name)
    if value is None:
        return
    if rule.nonempty and len(value) == 0:
        raise _error(at, "must not be empty")
    if rule.distinct and len(set(value)) < len(value):
        raise _error(at, f"must not repeat a value, got {value!r}")
    if rule.increasing and any(a >= b for a, b in zip(value, value[1:])):
        raise _error(at, f"must be strictly increasing, got {value!r}")
    items = enumerate(value) if isinstance(value, (list, tuple)) else [(None, value)]
    for i, item in items:
        item_at = at if i is None else f"{at}[{i}]"
        for key, holds, sign in _BOUNDS:
            bound, label = _bound(obj, getattr(rule, key))
            if bound is not None and not holds(item, bound):
                raise _error(item_at, f"must be {sign} {label}, got {item!r}")
        if rule.choices is not None and item not in rule.choices:
            raise _error(item_at, f"must be one of {', '.join(map(str, rule.choices))}; got {item!r}")
        multiple, label = _bound(obj, rule.multiple_of)
        if multiple and item % multiple:
            raise _error(item_at, f"must be a multiple of {label}, got {item!r}")
        if rule.check is not None:
            rule.check(item, item_at)


def _bound(obj: Any, bound: float | str | None) -> tuple[Any, str]:
    """A bound's value and how an error names it: `5`, or `max_thinking_tokens (5)` for a field."""
    if isinstance(bound, str):
        value = getattr(obj, bound)
        return value, f"{bound} ({value})"
    return bound, str(bound)


def _convert(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, value, where)
            except InputError as e:
                errors.append(str(e))
        raise InputError(errors[0])
    if dataclasses.is_dataclass(tp):
        return build(tp, value, where)
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise _error(where, f"expected a list, got {type(value).__name__}")
        (item,) = typing.get_args(tp)[:1]
        items = [_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise _error(where, f"expected a mapping, got {type(value).__name__}")
        return dict(value)
    if tp is Any:
        return value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
        raise _error(where, f"expected {tp.__name__}, got {type(value).__name__} {value!r}")
    return value
