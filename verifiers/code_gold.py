"""The gold answer of a code problem: what it takes to test a solution, carried as one JSON string
(a Problem's gold is a string). Task hooks build it with `function_gold` or `stdio_gold`; the `code`
verifier reads it back with `parse_gold`.

Two kinds of tests:
  * "function": statements run in the solution's namespace in one process, in order, stopping at
    the first that raises: HumanEval's `check(candidate)`, MBPP's asserts.
  * "stdio": the solution is a program; each case feeds it standard input and compares its standard
    output token by token, stopping at the first case that fails.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from thinkbench.harness.errors import InputError


@dataclass(frozen=True)
class FunctionTests:
    tests: tuple[str, ...]  # statements, run in order
    setup: str = ""  # run before the tests, in their namespace (HumanEval: defines check)
    prelude: str = ""  # put before the solution's code (MBPP: its test imports, as MBPP's own harness does)
    prompt: str | None = None  # a function stub the completion answers (HumanEval), with...
    entry_point: str | None = None  # ...the name of the function it asks for


@dataclass(frozen=True)
class StdioTests:
    cases: tuple[tuple[str, str], ...]  # (standard input, expected standard output)
    float_tolerance: float | None = None  # numeric tokens may differ this much (absolute or relative)


CodeTests = FunctionTests | StdioTests


def function_gold(tests: list[str], setup: str = "", prelude: str = "", prompt: str | None = None,
                  entry_point: str | None = None) -> str:
    return _dump({"kind": "function", "tests": list(tests), "setup": setup, "prelude": prelude,
                  "prompt": prompt, "entry_point": entry_point})


def stdio_gold(cases: list[tuple[str, str]], float_tolerance: float | None = None) -> str:
    return _dump({"kind": "stdio", "cases": [{"input": i, "output": o} for i, o in cases],
                  "float_tolerance": float_tolerance})


def _dump(data: dict) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def _string(data: dict, key: str, default: str | None = "") -> str | None:
    value = data.get(key, default)
    if value is not None and not isinstance(value, str):
        raise InputError(f"verifier 'code': gold field {key!r} must be a string, not {type(value).__name__}")
    return value


def _function_tests(data: dict) -> FunctionTests:
    tests = data.get("tests")
    if not isinstance(tests, list) or not tests or not all(isinstance(t, str) for t in tests):
        raise InputError("verifier 'code': gold field 'tests' must be a non-empty list of strings")
    prompt, entry_point = _string(data, "prompt", None), _string(data, "entry_point", None)
    if (prompt is None) != (entry_point is None):
        raise InputError("verifier 'code': gold fields 'prompt' and 'entry_point' go together")
    return FunctionTests(tuple(tests), _string(data, "setup"), _string(data, "prelude"), prompt, entry_point)


def _stdio_tests(data: dict) -> StdioTests:
    cases = data.get("cases")
    if not isinstance(cases, list) or not cases:
        raise InputError("verifier 'code': gold field 'cases' must be a non-empty list")
    pairs = []
    for i, case in enumerate(cases):
        if not isinstance(case, dict) or not isinstance(case.get("input"), str) \
                or not isinstance(case.get("output"), str):
            raise InputError(f"verifier 'code': gold cases[{i}] needs string fields 'input' and 'output'")
        pairs.append((case["input"], case["output"]))
    tolerance = data.get("float_tolerance")
    if tolerance is not None and (isinstance(tolerance, bool) or not isinstance(tolerance, (int, float))
                                  or tolerance < 0):
        raise InputError(f"verifier 'code': gold field 'float_tolerance' must be a number >= 0, not {tolerance!r}")
    return StdioTests(tuple(pairs), None if tolerance is None else float(tolerance))


_KINDS: dict[str, Callable[[dict], Any]] = {"function": _function_tests, "stdio": _stdio_tests}


@lru_cache(maxsize=4096)
def parse_gold(raw: str) -> CodeTests:
    """The tests a gold string describes; InputError naming the field at fault."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise InputError(f"verifier 'code': gold is not JSON ({e.msg}): {raw[:60]!r}") from None
    if not isinstance(data, dict) or data.get("kind") not in _KINDS:
        raise InputError(f"verifier 'code': gold needs a field 'kind', one of {', '.join(_KINDS)}")
    return _KINDS[data["kind"]](data)
