"""The stored samples of a run folder, and the per-problem values behind its metric points.

Per-problem values come from the point itself when it carries `per_problem` (problem id -> value),
and are otherwise recomputed from the samples for the pool metrics. Either way they are used only if
their mean reproduces the point's value in metrics.json, so a breakdown or a paired test never rests
on numbers that differ from the headline.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from thinkbench.harness.errors import InputError
from thinkbench.harness.metrics.per_problem import pool_problem_values
from thinkbench.harness.metrics.pool import by_problem
from thinkbench.harness.store import CompletionRow, Store
from thinkbench.reports.run_folder import RunFolder

# metrics.json rounds nothing, so a faithful recomputation agrees to float noise.
_AGREEMENT = 1e-9


@dataclass
class TaskSamples:
    task: str
    problems: dict[str, tuple[str, dict]]  # problem id -> (gold, meta)
    by_strategy: dict[str, dict[str, list[CompletionRow]]]  # strategy -> problem id -> samples
    prompts: dict[str, list] = field(default_factory=dict)  # prompt hash -> messages


@dataclass
class RunSamples:
    tasks: dict[str, TaskSamples]
    warnings: list[str]


def read_samples(run: RunFolder) -> RunSamples:
    """Every sample of each task x strategy in metrics.json, with problems and prompts; without
    their texts (a pool of long traces is gigabytes: what reads a text reads it from the store)."""
    path = run.path / "store.sqlite"
    if not path.exists():
        raise InputError(f"{path}: not found (a run folder keeps its samples there)")
    store = Store(path)
    tasks: dict[str, TaskSamples] = {}
    warnings = []
    try:
        for task, strategy, problems in run.results[["task", "strategy", "problems"]].itertuples(index=False):
            entry = tasks.get(task) or tasks.setdefault(task, TaskSamples(task, store.problems(task), {}))
            groups = by_problem(store.completions(task, strategy, texts=False))
            entry.by_strategy[strategy] = groups
            # The store keeps every invocation's samples; metrics.json describes the last one only.
            # (Several requests per problem are no sign of that: searches store one per budget.)
            if len(groups) != problems:
                warnings.append(f"{task}/{strategy}: the store holds samples of {len(groups)} problems, "
                                f"metrics.json counts {problems}: this folder holds runs with different "
                                "settings; all samples are shown")
            for rows in groups.values():
                for h in {r.prompt_hash for r in rows} - entry.prompts.keys():
                    entry.prompts[h] = store.prompt(h) or []
    finally:
        store.close()
    return RunSamples(tasks, warnings)


@dataclass
class PointValues:
    values: dict[int, dict[str, float]]  # row index in run.points -> {problem id: value}
    unreproduced: list[int]  # points whose per-problem values do not average to their value


def point_values(run: RunFolder, samples: RunSamples) -> PointValues:
    """Per-problem values of every point that has them: carried by the point, or recomputed from
    the samples for the pool metrics; kept only where they reproduce the point's value."""
    out: dict[int, dict[str, float]] = {}
    pool_rows: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for idx, point in run.points.iterrows():
        if point["per_problem"] is not None:
            out[idx] = {str(k): float(v) for k, v in point["per_problem"].items()}
        elif point["axis"] == "k":
            pool_rows[(point["task"], point["strategy"], point["metric"])].append(idx)
    for (task, strategy, metric), indices in pool_rows.items():
        groups = samples.tasks[task].by_strategy.get(strategy, {})
        ks = sorted({int(run.points.at[i, "x"]) for i in indices})
        table = pool_problem_values(groups, metric, ks) if groups else None
        if table is not None:
            for i in indices:
                out[i] = table[int(run.points.at[i, "x"])]
    good = {i: v for i, v in out.items() if v and _reproduces(v, run.points.at[i, "value"])}
    return PointValues(good, sorted(set(out) - set(good)))


def _reproduces(values: dict[str, float], value: float) -> bool:
    return abs(sum(values.values()) / len(values) - value) <= _AGREEMENT

