"""lm-evaluation-harness generation tasks as thinkbench tasks.

lm-eval supplies the documents, the prompt (with its few-shot examples) and the target, all from its
own task definition; thinkbench adds sampling, strategies, compute accounting and reports. A task
file (or `--tasks lm_eval:<name>` for the defaults):

    name: gsm8k_lm
    lm_eval:
      task: gsm8k              # an lm-eval task name, or the path of an lm-eval task YAML
      include_path: my_tasks   # more lm-eval task folders (relative to this file)
      num_fewshot: 0           # instead of the task's own
    verifier: lm_eval          # the task's own filter and metric (default), or a thinkbench verifier

With a data mirror (--data-dir), a task whose `dataset_path` is a Hub id reads
<mirror>/<dataset_path>/[<dataset_name>/]<split>.jsonl instead of the Hub, like thinkbench's own tasks,
and a local one (`dataset_path: json`) finds relative `data_files` in the mirror.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from thinkbench.harness.data import DataUnavailable, _hub_reachable, mirror_path
from thinkbench.harness.errors import InputError
from thinkbench.harness.task_spec import FieldMap, Task, TaskSpec
from thinkbench.harness.validate import build
from thinkbench.verifiers import SameByForm, Verdict

OWN_METRIC = "lm_eval"  # the `verifier` that means: lm-eval's filter pipeline and metric
PREFIX = "lm_eval:"  # task names like lm_eval:gsm8k
_PROMPT, _GOLD = "lm_eval_prompt", "lm_eval_gold"  # columns added to each document
_LOCAL_BUILDERS = {"json", "csv", "parquet", "text", "arrow"}  # `datasets` builders that read local files
_SPLITS = ("test_split", "validation_split", "training_split", "fewshot_split")


@dataclass(frozen=True)
class LmEvalOptions:
    task: str
    include_path: str | None = None
    num_fewshot: int | None = None
    filter: str | None = None  # which of the task's filter pipelines extracts the answer (default: the first)
    metric: str | None = None  # which of its metrics decides (default: the first)
    threshold: float = 1.0  # a sample is correct when the metric reaches this (exact_match: 1)
    fewshot_seed: int = 1234  # lm-eval's own default, so that prompts match lm-eval's


def lm_eval_task(data: dict, path: Path) -> "LmEvalTask":
    """A task from a thinkbench task file's mapping that has an `lm_eval` block."""
    data = dict(data)
    options = build(LmEvalOptions, data.pop("lm_eval"), f"{path}: lm_eval")
    if "dataset" in data:
        raise InputError(f"{path}: dataset: an lm_eval task reads the data its lm-eval definition names")
    fields = dict(data.pop("fields", None) or {})
    if {"question", "gold"} & set(fields):
        raise InputError(f"{path}: fields: question and gold come from lm-eval (only id and meta may be set)")
    data.setdefault("prompt", "{{ question }}")
    data.setdefault("verifier", OWN_METRIC)
    spec = build(TaskSpec, {**data, "dataset": {"hook": "lm-eval"}}, str(path))
    return LmEvalTask(replace_fields(spec, build(FieldMap, fields, f"{path}: fields")), path, options)


def lm_eval_task_by_name(name: str) -> "LmEvalTask":
    """`lm_eval:gsm8k`: an lm-eval task with thinkbench's defaults."""
    task = name[len(PREFIX):]
    if not task:
        raise InputError(f"task {name!r}: name an lm-eval task after {PREFIX}")
    return lm_eval_task({"name": f"lm_eval_{Path(task).stem}", "lm_eval": {"task": task}}, Path(name))


def replace_fields(spec: TaskSpec, fields: FieldMap) -> TaskSpec:
    return dataclasses.replace(spec, fields=dataclasses.replace(fields, question=_PROMPT, gold=_GOLD))


class LmEvalTask(Task):
    def __init__(self, spec: TaskSpec, path: Path, options: LmEvalOptions) -> None:
        super().__init__(spec, path)
        self.options = options
        self._lm = None  # the lm-eval task object, once its documents are loaded

    def with_options(self, options: dict) -> "LmEvalTask":
        """Run-config `options` override the lm_eval block (e.g. num_fewshot)."""
        merged = build(LmEvalOptions, {**dataclasses.asdict(self.options), **options}, f"{self.path}: options")
        return LmEvalTask(self.spec, self.path, merged)

    @cached_property
    def verifier(self):
        return LmEvalVerifier(self) if self.spec.verifier == OWN_METRIC else super().verifier

    def rows(self, data_dir: Path | None) -> list[dict]:
        lm = self.lm_task(data_dir)
        shots = self.options.num_fewshot if self.options.num_fewshot is not None else lm.config.num_fewshot or 0
        lm.set_fewshot_seed(self.options.fewshot_seed)  # the same shots for the same document, every run
        rows = []
        for doc in lm.eval_docs:
            target = lm.doc_to_target(doc)
            if self.spec.verifier == OWN_METRIC:
                # The whole document: lm-eval metrics may read any of its fields, and the run folder
                # can then be re-graded without the data.
                gold = json.dumps({"doc": doc, "target": target}, default=str)
            else:
                gold = str(target[0] if isinstance(target, list) else target)
            rows.append({**doc, _PROMPT: lm.fewshot_context(doc=doc, num_fewshot=shots), _GOLD: gold})
        return rows

    def lm_task(self, data_dir: Path | None = None):
        if self._lm is None:
            self._lm = self._load(data_dir)
        return self._lm

    def _load(self, data_dir: Path | None):
        from lm_eval.tasks import TaskManager
        # lm-eval has no public way to change a registered task's config before it fetches its data
        # (which it does while building the task); its own YAML loader resolves includes and functions.
        from lm_eval.tasks._yaml_loader import load_yaml

        where = f"{self.path}: lm_eval.task"
        here = self.path.parent
        include = str(here / self.options.include_path) if self.options.include_path else None
        spec = self.options.task
        by_path = spec.endswith((".yaml", ".yml"))
        manager = TaskManager(include_path=include, include_defaults=not by_path)
        if by_path:
            yaml_path = next((p for p in (here / spec, Path(spec)) if p.is_file()), None)
            if yaml_path is None:
                raise InputError(f"{where}: no lm-eval task file {spec}")
        else:
            entry = manager.task_index.get(spec)
            if entry is None:
                raise InputError(f"{where}: lm-eval has no task {spec!r}")
            if entry.yaml_path is None or entry.kind.name not in ("TASK", "PY_TASK"):
                raise InputError(f"{where}: {spec!r} is an lm-eval {entry.kind.name.lower()}; name one task")
            yaml_path = entry.yaml_path
        config = load_yaml(yaml_path, resolve_func=True)
        if config.get("output_type", "generate_until") != "generate_until":
            raise InputError(f"{where}: {spec!r} is a {config['output_type']} task; thinkbench samples "
                             "generations, so it takes generate_until tasks")
        config.update(_data_source(config, data_dir, where))
        return next(iter(manager.load(config)["tasks"].values()))


def _data_source(config: dict, data_dir: Path | None, where: str) -> dict:
    """Overrides that make lm-eval read the mirror instead of the Hub (empty for local data)."""
    source = config.get("dataset_path")
    if source in _LOCAL_BUILDERS:
        return _mirror_data_files(config, data_dir)
    if source is None or Path(source).exists():
        return {}
    if data_dir is None:
        if os.environ.get("HF_HUB_OFFLINE") == "1" or not _hub_reachable():
            raise DataUnavailable(f"{source}: the Hugging Face Hub cannot be reached and no --data-dir was given")
        return {}
    splits = {config[k] for k in _SPLITS if config.get(k)}
    files = {split: mirror_path(data_dir, source, config.get("dataset_name"), split) for split in splits}
    missing = [str(p) for p in files.values() if not p.exists()]
    if missing:
        raise DataUnavailable(f"no mirror file {missing[0]}")
    kwargs = {**(config.get("dataset_kwargs") or {}), "data_files": {k: str(v) for k, v in files.items()}}
    return {"dataset_path": "json", "dataset_name": None, "dataset_kwargs": kwargs}


def _mirror_data_files(config: dict, data_dir: Path | None) -> dict:
    """Relative `data_files` that exist in the mirror are read from there (lm-eval alone would look
    in the working directory), so one task file serves every machine that has the mirror."""
    kwargs = config.get("dataset_kwargs") or {}
    files = kwargs.get("data_files")
    if data_dir is None or not isinstance(files, dict):
        return {}
    moved = {split: str(data_dir / f) if isinstance(f, str) and not Path(f).is_absolute()
             and (data_dir / f).exists() else f for split, f in files.items()}
    return {"dataset_kwargs": {**kwargs, "data_files": moved}}


class LmEvalVerifier(SameByForm):
    """Grades with the task's own filter pipeline (answer extraction) and metric."""

    name = OWN_METRIC

    def __init__(self, task: LmEvalTask) -> None:
        self._task = task

    @cached_property
    def _parts(self):
        lm = self._task.lm_task()
        # The pipelines lm-eval built from the task's filter_list (or its take_first default).
        filters = {f.name: f for f in lm._filters}
        chosen = self._task.options.filter or next(iter(filters))
        if chosen not in filters:
            raise InputError(f"{self._task.path}: lm_eval.filter: no filter {chosen!r} (has: {', '.join(filters)})")
        metrics = list(lm.aggregation())
        metric = self._task.options.metric or metrics[0]
        if metric not in metrics:
            raise InputError(f"{self._task.path}: lm_eval.metric: no metric {metric!r} (has: {', '.join(metrics)})")
        return lm, filters[chosen], metric

    def gold(self, raw: str) -> str:
        return raw

    def extract(self, completion: str, doc: dict | None = None) -> str | None:
        from lm_eval.api.instance import Instance

        _, pipeline, _ = self._parts
        instance = Instance("generate_until", doc or {}, ("", {}), 0, resps=[completion])
        pipeline.apply([instance])
        answer = instance.filtered_resps[pipeline.name]
        answer = answer[0] if isinstance(answer, list) else answer
        # lm-eval's regex filter says "[invalid]" when it finds no answer.
        return None if not str(answer).strip() or answer == "[invalid]" else str(answer)

    def grade(self, completion: str, gold: str, **_) -> Verdict:
        lm, _, metric = self._parts
        doc = json.loads(gold)["doc"]
        answer = self.extract(completion, doc)
        if answer is None:
            return Verdict(None, False, "no answer")
        value = lm.process_results(doc, [answer])[metric]
        return Verdict(answer, float(value) >= self._task.options.threshold)
