"""The gold answer of a code problem: what it takes to test a solution, carried as one JSON string
(a Problem's gold is a string). Task hooks build it with `function_gold` or `stdio_gold`; the `code`
verifier reads it back with `parse_gold`.

Two kinds of tests:
  * "function": statements run in the solution's namespace in one process, in order, stopping at
    the first that raises: HumanEval's `check(candidate)`, MBPP's asserts. Optionally followed, in
    the same process, by extended tests (EvalPlus's HumanEval+ and MBPP+, see verifiers.evalplus):
    more inputs for the entry point, each output compared with a reference solution's.
  * "stdio": the solution is a program; each case feeds it standard input and compares its standard
    output token by token, stopping at the first case that fails.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from thinkbench.harness.errors import InputError


# How an extended test compares the solution's output with the reference's (code_driver.py does it):
#   equal: ==, and where the reference returns floats, within `atol` (1e-6 when atol is 0);
#   set: as sets; not_none: only whether each is None (a bool counts as itself);
#   poly_root: the output is a root of the polynomial whose coefficients are the first argument.
ORACLES = ("equal", "set", "not_none", "poly_root")


@dataclass(frozen=True)
class ExtendedTests:
    reference: str  # a program defining entry_point, whose outputs are the expected ones
    entry_point: str
    inputs: tuple  # argument lists, one per test
    atol: float = 0.0
    oracle: str = "equal"


@dataclass(frozen=True)
class FunctionTests:
    tests: tuple[str, ...]  # statements, run in order
    setup: str = ""  # run before the tests, in their namespace (HumanEval: defines check)
    prelude: str = ""  # put before the solution's code (MBPP: its test imports, as MBPP's own harness does)
    prompt: str | None = None  # a function stub the completion answers (HumanEval), with...
    entry_point: str | None = None  # ...the name of the function it asks for
    extended: ExtendedTests | None = None  # run after the tests, when they all pass


@dataclass(frozen=True)
class StdioTests:
    cases: tuple[tuple[str, str], ...]  # (standard input, expected standard output)
    float_tolerance: float | None = None  # numeric tokens may differ this much (absolute or relative)


CodeTests = FunctionTests | StdioTests


def function_gold(tests: list[str], setup: str = "", prelude: str = "", prompt: str | None = None,
                  entry_point: str | None = None, extended: dict | None = None) -> str:
    """`extended`: {"reference", "entry_point", "inputs", "atol", "oracle"}, as ExtendedTests."""
    data = {"kind": "function", "tests": list(tests), "setup": setup, "prelude": prelude,
            "prompt": prompt, "entry_point": entry_point}
    if extended is not None:
        data["extended"] = extended
    return _dump(data)


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
    extended = None if data.get("extended") is None else _extended_tests(data["extended"])
    return FunctionTests(tuple(tests), _string(data, "setup"), _string(data, "prelude"), prompt, entry_point,
                         extended)


def _extended_tests(data) -> ExtendedTests:
    if not isinstance(data, dict):
        raise InputError("verifier 'code': gold field 'extended' must be an object")
    reference, entry_point = _string(data, "reference", None), _string(data, "entry_point", None)
    if not reference or not entry_point:
        raise InputError("verifier 'code': gold field 'extended' needs strings 'reference' and 'entry_point'")
    inputs = data.get("inputs")
    if not isinstance(inputs, list) or not inputs or not all(isinstance(i, list) for i in inputs):
        raise InputError("verifier 'code': gold field 'extended.inputs' must be a non-empty list of argument lists")
    atol = data.get("atol", 0.0)
    if isinstance(atol, bool) or not isinstance(atol, (int, float)) or atol < 0:
        raise InputError(f"verifier 'code': gold field 'extended.atol' must be a number >= 0, not {atol!r}")
    oracle = data.get("oracle", "equal")
    if oracle not in ORACLES:
        raise InputError(f"verifier 'code': gold field 'extended.oracle' must be one of {', '.join(ORACLES)}, "
                         f"not {oracle!r}")
    return ExtendedTests(reference, entry_point, tuple(inputs), float(atol), oracle)


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
