"""Task hook for `mbpp`: each problem's gold carries its asserts and test imports (see
verifiers.code_gold). The imports also go before the solution, as in MBPP's own harness, where
solutions may use `math` without importing it. The dataset's code is the problem's reference (for
its time limit). With the option `extended_tests` (MBPP+'s `MbppPlus.jsonl`, task ids "Mbpp/N",
see verifiers.evalplus), the gold also carries the extended tests, and their reference solution
becomes the problem's."""
from __future__ import annotations

import sys

from thinkbench.harness.data import load_split
from thinkbench.harness.errors import InputError
from thinkbench.verifiers.code_gold import function_gold
from thinkbench.verifiers.evalplus import MBPP_ORACLES, coverage_note, extended_tests_option


def _mbpp_id(task_id: str) -> str:
    return task_id.rsplit("/", 1)[-1]  # "Mbpp/2" -> "2", MBPP's own task_id


def load_rows(dataset, data_dir) -> list[dict]:
    extended = extended_tests_option(dataset.options, "mbpp", MBPP_ORACLES, _mbpp_id)
    rows = []
    for index, row in enumerate(load_split(dataset.hub, dataset.config, dataset.split, data_dir)):
        tests, imports = row.get("test_list"), row.get("test_imports") or []
        if not isinstance(tests, list) or not tests or not all(isinstance(t, str) for t in tests):
            raise InputError(f"task mbpp: row {index}: 'test_list' must be a non-empty list of asserts")
        if not isinstance(imports, list) or not all(isinstance(i, str) for i in imports):
            raise InputError(f"task mbpp: row {index}: 'test_imports' must be a list of import lines")
        if not isinstance(row.get("code"), str):
            raise InputError(f"task mbpp: row {index}: no string column 'code' (the reference solution)")
        setup = "\n".join(imports)
        more = extended.get(str(row.get("task_id")))
        rows.append({**row, "gold": function_gold(tests, setup=setup, prelude=setup, extended=more),
                     "reference": more["reference"] if more else row["code"]})
    if extended:
        print(coverage_note("mbpp", extended, [str(r.get("task_id")) for r in rows], dataset.options),
              file=sys.stderr)
    return rows
