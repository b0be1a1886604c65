"""Task hook for `mbpp`: each problem's gold carries its asserts and test imports (see
verifiers.code_gold). The imports also go before the solution, as in MBPP's own harness, where
solutions may use `math` without importing it."""
from __future__ import annotations

from thinkbench.harness.data import load_split
from thinkbench.harness.errors import InputError
from thinkbench.verifiers.code_gold import function_gold


def load_rows(dataset, data_dir) -> list[dict]:
    rows = []
    for index, row in enumerate(load_split(dataset.hub, dataset.config, dataset.split, data_dir)):
        tests, imports = row.get("test_list"), row.get("test_imports") or []
        if not isinstance(tests, list) or not tests or not all(isinstance(t, str) for t in tests):
            raise InputError(f"task mbpp: row {index}: 'test_list' must be a non-empty list of asserts")
        if not isinstance(imports, list) or not all(isinstance(i, str) for i in imports):
            raise InputError(f"task mbpp: row {index}: 'test_imports' must be a list of import lines")
        setup = "\n".join(imports)
        rows.append({**row, "gold": function_gold(tests, setup=setup, prelude=setup)})
    return rows
