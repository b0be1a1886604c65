"""Extended test sets in EvalPlus's published layout: HumanEval+ (`HumanEvalPlus.jsonl`) and MBPP+
(`MbppPlus.jsonl`), one JSON object per line with, among other fields:

    task_id             "HumanEval/0", "Mbpp/2"
    entry_point         the function under test
    prompt              HumanEval+: the function stub; MBPP+: the problem as a docstring
    canonical_solution  completes the prompt into the reference solution
    base_input          argument lists of the original tests
    plus_input          argument lists that EvalPlus added
    atol                tolerance for float outputs (0: exact, yet floats still within 1e-6)

As in EvalPlus, the expected output for an input is the reference solution's (prompt +
canonical_solution) on it, and a solution passes when its output matches on every input of
base_input and plus_input. Two differences, both stated in the README: inputs reach the functions
as JSON gives them (EvalPlus turns the lists of some MBPP+ problems back into tuples, sets or
complex numbers; here the reference and the solution both get the lists), and of EvalPlus's rules
for single problems only those in ORACLES apply; other problems compare outputs plainly.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from thinkbench.harness.data import iter_jsonl
from thinkbench.harness.errors import InputError

# Entry points whose outputs EvalPlus compares in a special way (see verifiers.code_gold.ORACLES).
HUMANEVAL_ORACLES = {"find_zero": "poly_root"}
MBPP_ORACLES = {
    **dict.fromkeys(["similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly", "larg_nnum",
                     "intersection_array", "find_dissimilar", "Diff"], "set"),
    **dict.fromkeys(["check_str", "text_match_three", "text_starta_endb"], "not_none"),
}
_TEXT_FIELDS = ("task_id", "entry_point", "prompt", "canonical_solution")


def _inputs(row: dict, field: str, where: str) -> list:
    value = row.get(field, [])
    if not isinstance(value, list) or not all(isinstance(args, list) for args in value):
        raise InputError(f"{where}: '{field}' must be a list of argument lists")
    return value


def read_extended_tests(path: Path, oracles: dict[str, str], problem_id: Callable[[str], str]) -> dict[str, dict]:
    """Problem id (`problem_id` of the row's task_id) -> the `extended` part of its gold (see
    verifiers.code_gold.function_gold)."""
    tests = {}
    for lineno, row in iter_jsonl(path):
        where = f"{path}:{lineno}"
        missing = [f for f in _TEXT_FIELDS if not isinstance(row.get(f), str)]
        if missing:
            raise InputError(f"{where}: needs a string field {missing[0]!r} (EvalPlus's layout)")
        inputs = _inputs(row, "base_input", where) + _inputs(row, "plus_input", where)
        atol = row.get("atol") or 0
        if isinstance(atol, bool) or not isinstance(atol, (int, float)) or atol < 0:
            raise InputError(f"{where}: 'atol' must be a number >= 0, not {atol!r}")
        if not inputs:
            continue
        entry_point = row["entry_point"]
        tests[problem_id(row["task_id"])] = {
            "reference": row["prompt"] + row["canonical_solution"], "entry_point": entry_point,
            "inputs": inputs, "atol": float(atol), "oracle": oracles.get(entry_point, "equal"),
        }
    return tests


def extended_tests_option(options: dict, task: str, oracles: dict[str, str],
                          problem_id: Callable[[str], str] = str) -> dict[str, dict]:
    """The extended tests named by a code task's option `extended_tests` (a file path), or none."""
    if not options.get("extended_tests"):
        return {}
    path = Path(options["extended_tests"]).expanduser()
    if not path.is_file():
        raise InputError(f"task {task}: options.extended_tests: no file {path}")
    return read_extended_tests(path, oracles, problem_id)


def coverage_note(task: str, tests: dict[str, dict], problem_ids: list[str], options: dict) -> str:
    covered = sum(pid in tests for pid in problem_ids)
    return f"task {task}: extended tests for {covered} of {len(problem_ids)} problems from {options['extended_tests']}"
