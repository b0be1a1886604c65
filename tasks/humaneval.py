"""Task hook for `humaneval`: each problem's gold carries what running it takes (see
verifiers.code_gold): the prompt the completion continues, the entry point, and the task's
`check` function, called on the entry point."""
from __future__ import annotations

from thinkbench.harness.data import load_split
from thinkbench.harness.errors import InputError
from thinkbench.verifiers.code_gold import function_gold

_COLUMNS = ("task_id", "prompt", "entry_point", "test")


def load_rows(dataset, data_dir) -> list[dict]:
    rows = []
    for index, row in enumerate(load_split(dataset.hub, dataset.config, dataset.split, data_dir)):
        missing = [c for c in _COLUMNS if not isinstance(row.get(c), str)]
        if missing:
            raise InputError(f"task humaneval: row {index} has no string column {missing[0]!r}")
        gold = function_gold([f"check({row['entry_point']})"], setup=row["test"], prompt=row["prompt"],
                             entry_point=row["entry_point"])
        rows.append({**row, "gold": gold})
    return rows
