"""`thinkbench analyze RUN [RUN ...]`: the analysis across run folders of one model and problem set (for
example different strategies or budgets run separately), as the report's section on a page of its own,
analysis.html, and every number in analysis.json."""
from __future__ import annotations

import datetime
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from thinkbench.harness.errors import InputError
from thinkbench.harness.types import CompletionRow
from thinkbench.reports.analysis import AnalysedTask, analysed_task, analysis_json
from thinkbench.reports.render import environment
from thinkbench.reports.problems import read_samples
from thinkbench.reports.run_folder import RunFolder, load_run, model_label


@dataclass
class MergedTask:
    """One task's points, per-problem values and samples from several run folders."""

    points: pd.DataFrame
    values: dict[int, dict[str, float]]
    samples: dict[str, dict[str, list[CompletionRow]]]  # strategy -> problem id -> rows
    strategies: dict[str, str]  # the label a strategy has here -> "run/strategy" it came from


def _labels(runs: list[RunFolder], task: str) -> dict[tuple[int, str], str]:
    """A strategy keeps its name unless two runs have it; then it is named by run too."""
    owners = defaultdict(list)
    for i, run in enumerate(runs):
        for strategy in run.results.loc[run.results["task"] == task, "strategy"]:
            owners[strategy].append(i)
    return {(i, s): s if len(members) == 1 else f"{runs[i].name}/{s}" for s, members in owners.items()
            for i in members}


def merge(runs: list[RunFolder], task: str) -> MergedTask:
    """The task's points, values and samples from every run that has it; runs on different problem sets
    or models are bad input."""
    having = [i for i, run in enumerate(runs) if task in set(run.results["task"])]
    models = {model_label(runs[i]) for i in having}
    if len(models) > 1:
        raise InputError(f"{task}: the runs are of different models ({', '.join(sorted(models))}); "
                         "analyze compares strategies of one model")
    sets = {runs[i].name: sha for i in having
            for sha in runs[i].results.loc[runs[i].results["task"] == task, "problems_sha256"]}
    if len(set(sets.values())) > 1:
        raise InputError(f"{task}: the runs cover different problem sets ("
                         + ", ".join(f"{name}: {sha[:12]}" for name, sha in sets.items()) + ")")
    labels = _labels(runs, task)
    frames, values, samples, strategies = [], {}, {}, {}
    offset = 0
    for i in having:
        run = runs[i]
        run_samples = read_samples(run)
        run_values = run.points["per_problem"].dropna().to_dict()
        points = run.points[run.points["task"] == task].copy()
        points["strategy"] = [labels[(i, s)] for s in points["strategy"]]
        values.update({offset + n: run_values[idx] for n, idx in enumerate(points.index) if idx in run_values})
        points.index = range(offset, offset + len(points))
        offset += len(points)
        frames.append(points)
        for strategy, groups in run_samples.tasks[task].by_strategy.items():
            samples[labels[(i, strategy)]] = groups
            strategies[labels[(i, strategy)]] = f"{run.name}/{strategy}"
    return MergedTask(pd.concat(frames), values, samples, strategies)


def analyze_runs(run_dirs: list[Path], out: Path) -> tuple[Path, Path]:
    """Write OUT/analysis.html and OUT/analysis.json; return their paths."""
    runs = [load_run(d) for d in run_dirs]
    tasks: dict[str, tuple[MergedTask, AnalysedTask]] = {}
    for task in dict.fromkeys(t for run in runs for t in run.results["task"]):
        merged = merge(runs, task)
        tasks[task] = (merged, analysed_task(merged.points, merged.values, merged.samples))
    out.mkdir(parents=True, exist_ok=True)
    data = {"runs": [str(r.path) for r in runs], "model": model_label(runs[0]) if runs else None,
            "tasks": analysis_json({t: a.analysis for t, (_, a) in tasks.items()})}
    json_path = out / "analysis.json"
    json_path.write_text(json.dumps(data, indent=1, allow_nan=False), encoding="utf-8")
    html_path = out / "analysis.html"
    html_path.write_text(environment().get_template("analysis.html.j2").render(
        runs=runs, model=data["model"], written=datetime.datetime.now().isoformat(timespec="seconds"),
        tasks=[{"name": t, "anchor": f"task-{n}", "strategies": m.strategies, "charts": a.charts,
                "compute": a.compute, "analysis": a.section} for n, (t, (m, a)) in enumerate(tasks.items())],
        ), encoding="utf-8")
    return html_path, json_path
