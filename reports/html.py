"""RUN_DIR/report.html: one self-contained page (no network) with the summary table, scaling and
compute charts, breakdowns by difficulty, level and subject, and a per-problem drill-down."""
from __future__ import annotations

import datetime
from pathlib import Path

import pandas as pd

from thinkbench.harness.metrics.breakdown import DIFFICULTY_BINS, breakdown, difficulty_bins
from thinkbench.harness.metrics.per_problem import pool_pass_rates
from thinkbench.reports.charts import compute_chart, scaling_charts, series_name
from thinkbench.reports.problems import problem_table
from thinkbench.reports.render import environment
from thinkbench.reports.run_folder import RunFolder, load_run
from thinkbench.reports.run_samples import RunSamples, TaskSamples, point_values, read_samples

# Problem labels that get a breakdown when problems carry them, with their headings.
BREAKDOWNS = {"bin": f"difficulty bin (1 easiest .. {DIFFICULTY_BINS} hardest, by pass rate in the pool)",
              "level": "level", "subject": "subject"}


def _bins(run: RunFolder, task: str, samples: TaskSamples) -> dict[str, int]:
    """Difficulty from the task's largest pool of independent samples, as Snell et al. (2024) bin by
    pass@1 over many samples: a strategy reporting pass@k has one; otherwise the strategy with the
    most samples stands in. Ties go to the strategy listed first."""
    results = run.results[run.results["task"] == task]
    pools = set(run.points.loc[(run.points["task"] == task) & (run.points["metric"] == "pass@k"), "strategy"])
    if pools:
        results = results[results["strategy"].isin(pools)]
    if results.empty:
        return {}
    largest = results.loc[results["samples"].idxmax(), "strategy"]
    return difficulty_bins(pool_pass_rates(samples.by_strategy.get(largest, {})))


def _breakdowns(points: pd.DataFrame, values: dict[int, dict[str, float]], labels: pd.DataFrame) -> list[dict]:
    """For each label problems carry: per group, the mean and interval of the smallest and the
    largest k (or budget) point of every series that has per-problem values."""
    shown = points[points.index.isin(list(values))]
    columns = []
    for _, group in shown.groupby(["strategy", "metric", "axis"], sort=False):
        ends = group.sort_values("x")
        columns += [ends.index[0]] + ([ends.index[-1]] if len(ends) > 1 else [])
    tables = []
    for label, title in BREAKDOWNS.items():
        groups = labels[label].dropna().to_dict()
        if not groups or not columns:
            continue
        stats = {idx: {s.group: s for s in breakdown(values[idx], groups)} for idx in columns}
        order = list(dict.fromkeys(g for idx in columns for g in stats[idx]))
        rows = [{"group": g, "problems": max(stats[idx][g].problems for idx in columns if g in stats[idx]),
                 "cells": [stats[idx].get(g) for idx in columns]} for g in order]
        tables.append({"label": label, "title": title, "rows": rows,
                       "columns": [series_name(points.at[i, "strategy"], points.at[i, "name"]) for i in columns]})
    return tables


def _task_section(run: RunFolder, samples: RunSamples, values: dict[int, dict[str, float]], task: str,
                  index: int) -> dict:
    points = run.points[run.points["task"] == task]
    task_samples = samples.tasks[task]
    table = problem_table(task_samples, _bins(run, task, task_samples))
    labels = table.frame.set_index("id")[list(BREAKDOWNS)]
    return {
        "name": task, "anchor": f"task-{index}",
        "results": run.results[run.results["task"] == task].to_dict("records"),
        "points": points.to_dict("records"),
        "charts": scaling_charts(points),
        "compute": compute_chart(points),
        "breakdowns": _breakdowns(points, {i: v for i, v in values.items() if i in points.index}, labels),
        "problems": table.frame.to_dict("records"),
        "strategies": table.strategies,
        "has_level": table.frame["level"].notna().any() if len(table.frame) else False,
        "has_subject": table.frame["subject"].notna().any() if len(table.frame) else False,
        "payloads": table.payloads,
    }


def render_report(run_dir: Path) -> str:
    run = load_run(run_dir)
    samples = read_samples(run)
    values = point_values(run, samples)
    tasks = [_task_section(run, samples, values.values, task, i)
             for i, task in enumerate(dict.fromkeys(run.results["task"]))]
    written = datetime.datetime.fromtimestamp((run.path / "metrics.json").stat().st_mtime).isoformat(timespec="seconds")
    unreproduced = [f"{p['task']}/{p['strategy']} {p['name']}"
                    for _, p in run.points.loc[values.unreproduced].iterrows()]
    if unreproduced:
        samples.warnings.append("left out of the breakdowns, as the stored samples do not reproduce their value in "
                                "metrics.json: " + ", ".join(unreproduced))
    return environment().get_template("report.html.j2").render(
        run=run, tasks=tasks, written=written, warnings=samples.warnings,
        skipped=run.metrics.get("skipped") or {},
        packages=(run.provenance.get("packages") or {}),
    )


def write_report(run_dir: Path) -> Path:
    """Write RUN_DIR/report.html and return its path."""
    path = Path(run_dir) / "report.html"
    html = render_report(Path(run_dir))
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)  # a reader never sees half a report
    return path
