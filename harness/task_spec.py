"""A task as data: the spec of one YAML file in tasks/ (dataset, fields, prompt, verifier; plus an
optional Python hook beside it), and the Problems it makes."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import jinja2

from thinkbench.harness.data import load_split
from thinkbench.harness.errors import InputError
from thinkbench.harness.types import Problem
from thinkbench.verifiers import Verifier, get_verifier


@dataclass(frozen=True)
class DatasetSpec:
    hub: str | None = None  # Hub id, also the mirror folder
    config: str | None = None
    split: str = "test"
    hook: str | None = None  # a Python file beside the task file defining load_rows(dataset, data_dir)
    options: dict = field(default_factory=dict)  # passed to the hook


@dataclass(frozen=True)
class FieldMap:
    id: str = "index"  # a column, or "index" for the row's position in the split
    question: str = "question"
    gold: str = "answer"
    meta: list[str] = field(default_factory=list)  # columns kept for breakdowns (level, subject)
    reference: str | None = None  # a column with a known correct answer for the verifier (code: time limits)


@dataclass(frozen=True)
class TaskSpec:
    name: str
    prompt: str  # jinja2; sees every column of the row, plus `question`
    verifier: str
    dataset: DatasetSpec = field(default_factory=DatasetSpec)
    fields: FieldMap = field(default_factory=FieldMap)
    description: str = ""
    verifier_options: dict = field(default_factory=dict)


class Task:
    def __init__(self, spec: TaskSpec, path: Path) -> None:
        self.spec = spec
        self.path = path
        self.name = spec.name
        env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False)
        try:
            self._template = env.from_string(spec.prompt)
        except jinja2.TemplateSyntaxError as e:
            raise InputError(f"{path}: prompt: template error line {e.lineno}: {e.message}") from None
        if spec.dataset.hook is None and spec.dataset.hub is None:
            raise InputError(f"{path}: dataset: needs `hub` or `hook`")

    @cached_property
    def verifier(self) -> Verifier:
        try:
            return get_verifier(self.spec.verifier, **self.spec.verifier_options)
        except InputError as e:
            raise InputError(f"{self.path}: {e}") from None

    def with_options(self, options: dict) -> "Task":
        """The same task with hook options overridden from a run config."""
        dataset = replace(self.spec.dataset, options={**self.spec.dataset.options, **options})
        return Task(replace(self.spec, dataset=dataset), self.path)

    def rows(self, data_dir: Path | None) -> list[dict]:
        ds = self.spec.dataset
        if ds.hook:
            return _load_hook(self.path.parent / ds.hook, self.path).load_rows(ds, data_dir)
        return load_split(ds.hub, ds.config, ds.split, data_dir)

    def problems(self, data_dir: Path | None, limit: int | None = None) -> list[Problem]:
        rows = self.rows(data_dir)
        if limit is not None:
            rows = rows[:limit]
        return [self.problem(i, row) for i, row in enumerate(rows)]

    def problem(self, index: int, row: dict) -> Problem:
        f = self.spec.fields
        where = f"task {self.name}: row {index}"
        optional = [column for column in (None if f.id == "index" else f.id, f.reference) if column]
        for column in [f.question, f.gold, *optional]:
            if column not in row:
                raise InputError(f"{where}: no column {column!r} (columns: {', '.join(row)})")
        try:
            prompt = self._template.render({**row, "question": row[f.question]})
        except jinja2.UndefinedError as e:
            raise InputError(f"{where}: prompt template: {e.message}") from None
        pid = str(index) if f.id == "index" else str(row[f.id])
        meta = {k: row[k] for k in f.meta if k in row}
        if "choices" in row:
            meta["choices"] = row["choices"]
        reference = None if f.reference is None or row[f.reference] is None else str(row[f.reference])
        return Problem(task=self.name, id=pid, prompt=prompt, gold=self.verifier.gold(str(row[f.gold])), meta=meta,
                       reference=reference)


def _load_hook(hook_path: Path, task_path: Path):
    if not hook_path.exists():
        raise InputError(f"{task_path}: dataset.hook: no file {hook_path.name} beside the task file")
    spec = importlib.util.spec_from_file_location(f"thinkbench_task_hook_{hook_path.stem}", hook_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "load_rows"):
        raise InputError(f"{hook_path}: a task hook must define load_rows(dataset, data_dir)")
    return module
