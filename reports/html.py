"""RUN_DIR/report.html: one page (no network) with the summary table, the samples' outcomes, scaling,
compute and length charts, the analysis (compute-optimal policy, coverage fit, adaptive sampling: see
reports/analysis.py), breakdowns by difficulty, level and subject, and a per-problem drill-down whose
samples load from RUN_DIR/report_samples/ when a problem is opened (see reports/problems.py).

The page is built from sections, one template partial each (templates/sections/), in SECTIONS order."""
from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pandas as pd

from thinkbench.harness.metrics.breakdown import DIFFICULTY_BINS, breakdown, difficulty_bins
from thinkbench.harness.metrics.outcomes import NO_ANSWER_REASONS, cut_warning, outcome_groups
from thinkbench.harness.store import Store
from thinkbench.reports.analysis import analysed_task
from thinkbench.reports.charts import length_chart, series_name
from thinkbench.reports.describe import describe_overthinking
from thinkbench.reports.problems import (SAMPLES_DIR, ProblemTable, RunSamples, problem_table, read_samples,
                                         replace_folder, write_sample_files)
from thinkbench.reports.render import environment
from thinkbench.reports.run_folder import RunFolder, load_run

# The sections of a task, in page order: templates/sections/<name>.html.j2, each reading the task's dict.
SECTIONS = ["summary", "outcomes", "scaling", "analysis", "lengths", "breakdowns", "problems"]

# Problem labels that get a breakdown when problems carry them, with their headings.
BREAKDOWNS = {"bin": f"difficulty bin (1 easiest .. {DIFFICULTY_BINS} hardest, by pass rate in the pool)",
              "level": "level", "subject": "subject"}


def _pass_rates(run: RunFolder, task: str) -> dict[str, float]:
    """Each problem's pass rate in the task's largest pool of independent samples, as Snell et al.
    (2024) bin by pass@1 over many samples: the per-problem values of the pass@1 point of the strategy
    with the most samples (ties: the one listed first), else of its accuracy point, else of a thinking
    strategy's pass@1 at its largest stage. Empty when no strategy samples independently (searches)."""
    points = run.points[(run.points["task"] == task) & run.points["per_problem"].notna()]
    results = run.results[run.results["task"] == task]
    samples = dict(zip(results["strategy"], results["samples"]))
    for chosen in (points[(points["metric"] == "pass@k") & (points["x"] == 1)],
                   points[points["metric"] == "accuracy"],
                   points[points["metric"].str.endswith(":pass@1")].sort_values("x").groupby("strategy").tail(1)):
        if not chosen.empty:
            best = max(range(len(chosen)), key=lambda i: (samples.get(chosen["strategy"].iloc[i], 0), -i))
            return chosen["per_problem"].iloc[best]
    return {}


def _breakdowns(points: pd.DataFrame, labels: pd.DataFrame) -> list[dict]:
    """For each label problems carry: per group, the mean and interval of the smallest and the
    largest k (or budget) point of every series."""
    shown = points[points["per_problem"].notna()]
    columns = []
    for _, group in shown.groupby(["strategy", "metric", "axis"], sort=False):
        ends = group.sort_values("x")
        columns += [ends.index[0]] + ([ends.index[-1]] if len(ends) > 1 else [])
    tables = []
    for label, title in BREAKDOWNS.items():
        groups = labels[label].dropna().to_dict()
        if not groups or not columns:
            continue
        stats = {idx: {s.group: s for s in breakdown(points.at[idx, "per_problem"], groups)} for idx in columns}
        order = list(dict.fromkeys(g for idx in columns for g in stats[idx]))
        rows = [{"group": g, "problems": max(stats[idx][g].problems for idx in columns if g in stats[idx]),
                 "cells": [stats[idx].get(g) for idx in columns]} for g in order]
        tables.append({"label": label, "title": title, "rows": rows,
                       "columns": [series_name(points.at[i, "strategy"], points.at[i, "name"]) for i in columns]})
    return tables


def _outcomes(points: pd.DataFrame) -> list[dict]:
    """Per strategy, each distinct set of samples behind its points (one for a pool, one per stage
    of a sweep) with how they ended, and the warning when the token limit cut many of them."""
    rows = []
    for strategy, group in points.groupby("strategy", sort=False):
        for label, o in outcome_groups(group.rename(columns={"x": "k"}).to_dict("records")):
            rows.append({"strategy": strategy, "label": label, **o, "warning": cut_warning(o)})
    return rows


def _lengths(results: pd.DataFrame) -> dict:
    lengths = {r["strategy"]: r["lengths"] for _, r in results.iterrows() if r["lengths"] and r["lengths"]["samples"]}
    return {"chart": length_chart(lengths), "stats": lengths,
            "overthinking": {s: describe_overthinking(v["overthinking"]) for s, v in lengths.items()
                             if v.get("overthinking")}}


def _task_section(run: RunFolder, samples: RunSamples, task: str, index: int) -> tuple[dict, ProblemTable]:
    points = run.points[run.points["task"] == task]
    results = run.results[run.results["task"] == task]
    table = problem_table(samples.tasks[task], difficulty_bins(_pass_rates(run, task)), index)
    labels = table.frame.set_index("id")[list(BREAKDOWNS)]
    values = points["per_problem"].dropna().to_dict()
    analysed = analysed_task(points, values, samples.tasks[task].by_strategy)
    return {
        "name": task, "anchor": f"task-{index}",
        "results": results.to_dict("records"),
        "outcomes": _outcomes(points), "no_answer_reasons": NO_ANSWER_REASONS,
        "lengths": _lengths(results),
        "points": points.to_dict("records"),
        "charts": analysed.charts,
        "compute": analysed.compute,
        "analysis": analysed.section,
        "breakdowns": _breakdowns(points, labels),
        "problems": table.frame.to_dict("records"),
        "strategies": table.strategies,
        "has_level": table.frame["level"].notna().any() if len(table.frame) else False,
        "has_subject": table.frame["subject"].notna().any() if len(table.frame) else False,
    }, table


def render_report(run_dir: Path) -> str:
    """The page alone; write_report also writes the sample files it loads."""
    return _render(run_dir)[0]


def _render(run_dir: Path) -> tuple[str, list[ProblemTable]]:
    run = load_run(run_dir)
    samples = read_samples(run)
    sections = [_task_section(run, samples, task, i) for i, task in enumerate(dict.fromkeys(run.results["task"]))]
    tasks = [section for section, _ in sections]
    written = datetime.datetime.fromtimestamp((run.path / "metrics.json").stat().st_mtime).isoformat(timespec="seconds")
    if (missing := run.without_values()) is not None:
        samples.warnings.append(f"left out of the breakdowns: {missing}")
    html = environment().get_template("report.html.j2").render(
        run=run, tasks=tasks, sections=SECTIONS, written=written, warnings=samples.warnings,
        skipped=run.metrics.get("skipped") or {},
        packages=(run.provenance.get("packages") or {}),
    )
    return html, [table for _, table in sections]


def write_report(run_dir: Path) -> Path:
    """Write RUN_DIR/report.html and the sample files beside it (RUN_DIR/report_samples/); return
    the page's path."""
    run_dir = Path(run_dir)
    path = run_dir / "report.html"
    html, tables = _render(run_dir)
    new = run_dir / f"{SAMPLES_DIR}.tmp"
    if new.exists():
        shutil.rmtree(new)
    new.mkdir()
    store = Store(run_dir / "store.sqlite")
    try:
        for table in tables:
            write_sample_files(new, table, store)
    finally:
        store.close()
    replace_folder(new, run_dir / SAMPLES_DIR)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)  # a reader never sees half a page
    return path
