"""Finding a task by name or path: a task file of tasks/ or of the user's own, or an
lm-evaluation-harness task (`lm_eval:<name>`, or a task file with an `lm_eval` block)."""
from __future__ import annotations

from pathlib import Path

from thinkbench.harness.errors import InputError
from thinkbench.harness.lm_eval_task import lm_eval_task, lm_eval_task_by_name
from thinkbench.harness.task_spec import Task, TaskSpec
from thinkbench.harness.validate import build, packaged, read_yaml


def available_tasks() -> dict[str, Path]:
    return packaged("tasks")


def load_task(name_or_path: str) -> Task:
    if name_or_path.startswith("lm_eval:"):  # an lm-evaluation-harness task (harness/lm_eval_task.py)
        return lm_eval_task_by_name(name_or_path)
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        known = available_tasks()
        if name_or_path not in known:
            raise InputError(f"unknown task {name_or_path!r} (known: {', '.join(known)})")
        path = known[name_or_path]
    elif not path.exists():
        raise InputError(f"task file {path} does not exist")
    data = read_yaml(path)
    if isinstance(data, dict) and "lm_eval" in data:
        return lm_eval_task(data, path)
    spec = build(TaskSpec, data, str(path))
    return Task(spec, path)
