"""Task hook for `stdio`: programs that read standard input and print the answer (LiveCodeBench,
Codeforces style), from a JSONL file or a Hub dataset named in the options.

A row gives an id, the problem statement and its tests, a list of {"input": ..., "output": ...}
(or that list as a JSON string, as LiveCodeBench stores it); the column names are options. Tests
marked with a "testtype" other than "stdin" (LiveCodeBench's "functional" ones) cannot run as
programs: problems that have any are left out, and the hook says how many.

Options: `path` (a local JSONL file) or `hub` (+ `config`, `split`: a Hub dataset or its mirror);
`id_field`, `question_field`, `tests_field`; `float_tolerance` (numeric tokens may differ this much,
absolutely or relatively; a row's own "float_tolerance" wins).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from thinkbench.harness.data import DataUnavailable, load_split, read_jsonl
from thinkbench.harness.errors import InputError
from thinkbench.verifiers.code_gold import stdio_gold


def _source_rows(options: dict, data_dir) -> tuple[list[dict], str]:
    if options.get("path"):
        path = Path(options["path"]).expanduser()
        if not path.is_file():
            raise InputError(f"task stdio: options.path: no file {path}")
        return read_jsonl(path), str(path)
    if options.get("hub"):
        hub = options["hub"]
        return load_split(hub, options.get("config"), options.get("split") or "test", data_dir), hub
    raise DataUnavailable("no problems given: set the task option `path` (a JSONL file) or `hub` (a dataset)")


def _tests(value, where: str) -> list[dict]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            raise InputError(f"{where}: not a JSON list of tests ({e.msg})") from None
    if not isinstance(value, list) or not value:
        raise InputError(f"{where}: expected a non-empty list of tests")
    for i, test in enumerate(value):
        if not isinstance(test, dict) or not isinstance(test.get("input"), str) \
                or not isinstance(test.get("output"), str):
            raise InputError(f"{where}[{i}]: a test needs string fields 'input' and 'output'")
    return value


def _tolerance(value, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise InputError(f"{where}: float_tolerance must be a number >= 0, not {value!r}")
    return float(value)


def load_rows(dataset, data_dir) -> list[dict]:
    options = dataset.options
    id_field = options.get("id_field", "id")
    question_field = options.get("question_field", "question")
    tests_field = options.get("tests_field", "tests")
    default_tolerance = _tolerance(options.get("float_tolerance"), "task stdio: options")
    raw, source = _source_rows(options, data_dir)
    rows, left_out = [], 0
    for index, row in enumerate(raw):
        where = f"{source}: row {index}"
        if not isinstance(row.get(question_field), str):
            raise InputError(f"{where}: no string column {question_field!r} (option question_field)")
        if tests_field not in row:
            raise InputError(f"{where}: no column {tests_field!r} (option tests_field)")
        tests = _tests(row[tests_field], f"{where}: {tests_field}")
        if any(t.get("testtype", "stdin") != "stdin" for t in tests):
            left_out += 1
            continue
        tolerance = _tolerance(row.get("float_tolerance"), where)
        gold = stdio_gold([(t["input"], t["output"]) for t in tests],
                          default_tolerance if tolerance is None else tolerance)
        problem_id = str(row[id_field]) if id_field in row else str(index)
        rows.append({"id": problem_id, "question": row[question_field], "gold": gold})
    if left_out:
        print(f"task stdio: left out {left_out} problems of {source} whose tests are not stdin/stdout",
              file=sys.stderr)
    return rows
