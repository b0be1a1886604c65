"""Task hook for `humaneval`: each problem's gold carries what running it takes (see
verifiers.code_gold): the prompt the completion continues, the entry point, and the task's
`check` function, called on the entry point. The canonical solution is the problem's reference
(for its time limit). With the option `extended_tests` (HumanEval+'s `HumanEvalPlus.jsonl`, see
verifiers.evalplus), the gold also carries the extended tests, and their reference solution
becomes the problem's."""
from __future__ import annotations

import sys

from thinkbench.harness.data import load_split
from thinkbench.harness.errors import InputError
from thinkbench.verifiers.code_gold import function_gold
from thinkbench.verifiers.evalplus import HUMANEVAL_ORACLES, coverage_note, extended_tests_option

_COLUMNS = ("task_id", "prompt", "entry_point", "test", "canonical_solution")


def load_rows(dataset, data_dir) -> list[dict]:
    extended = extended_tests_option(dataset.options, "humaneval", HUMANEVAL_ORACLES)
    rows = []
    for index, row in enumerate(load_split(dataset.hub, dataset.config, dataset.split, data_dir)):
        missing = [c for c in _COLUMNS if not isinstance(row.get(c), str)]
        if missing:
            raise InputError(f"task humaneval: row {index} has no string column {missing[0]!r}")
        more = extended.get(row["task_id"])
        gold = function_gold([f"check({row['entry_point']})"], setup=row["test"], prompt=row["prompt"],
                             entry_point=row["entry_point"], extended=more)
        rows.append({**row, "gold": gold, "reference": more["reference"] if more else row["canonical_solution"]})
    if extended:
        print(coverage_note("humaneval", extended, [r["task_id"] for r in rows], dataset.options), file=sys.stderr)
    return rows
