"""`thinkbench leaderboard`: model x strategy ranked per task at matched compute budgets.

At each budget (round amounts of mean compute per problem: FLOPs when every entry has them,
generated tokens otherwise) an entry scores the best accuracy it reaches within that budget, from
its achievable points (oracle metrics such as pass@k and coverage@k never count). Runs on different problem sets
are ranked in separate tables, and entries whose strategy settings differ between runs are flagged. With
`compute_optimal`, each model also gets the cross-fitted compute-optimal policy over all of its strategies
(reports/analysis.py) as a row, ranked in generated tokens.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from thinkbench.reports.analysis import POLICY, analysed_task
from thinkbench.reports.analyze_runs import merge
from thinkbench.reports.charts import series_name
from thinkbench.reports.frontier import MEASURES, ORACLE_METRICS, achievable, best_within, frontier, with_measures
from thinkbench.reports.html import write_report
from thinkbench.reports.render import environment, interval, si
from thinkbench.reports.run_folder import POINT_COLUMNS, RunFolder, load_run, model_label

# More columns than this stop reading as a table; wider spans skip every other budget, or more.
_MAX_BUDGETS = 8
# Settings that only say how much compute a strategy may spend: matched budgets already account for
# them, so runs that differ only there compare fairly.
BUDGET_SETTINGS = frozenset({"name", "n", "budget", "budgets"})
COLUMNS = ["task", "problem_set", "measure", "budget", "rank", "model", "strategy", "point", "value", "low", "high",
           "compute", "run", "report", "flags"]


@dataclass
class Leaderboard:
    frame: pd.DataFrame  # long form, COLUMNS
    notes: list[str]  # problem-set splits and config differences, in words
    charts: dict[tuple[str, str], dict]  # (task, problem set) -> chart spec


def _strategy_settings(run: RunFolder, strategy: str) -> dict | None:
    """The config entry a strategy label came from, matched by name."""
    for entry in run.config.get("strategies") or []:
        if isinstance(entry, dict) and entry.get("name") == strategy:
            return entry
    return None


def _config_flags(runs: list[RunFolder], task: str) -> tuple[dict[tuple[int, str], str], list[str]]:
    """Entries whose strategy settings differ from another run's same strategy: (run index,
    strategy) -> what differs, and a note per strategy naming the runs."""
    by_strategy: dict[str, list[tuple[int, dict]]] = {}
    for i, run in enumerate(runs):
        for strategy in run.results.loc[run.results["task"] == task, "strategy"]:
            by_strategy.setdefault(strategy, []).append((i, _strategy_settings(run, strategy) or {}))
    flags, notes = {}, []
    for strategy, entries in by_strategy.items():
        keys = sorted({k for _, e in entries for k in e} - BUDGET_SETTINGS)
        differ = [k for k in keys if len({repr(e.get(k)) for _, e in entries}) > 1]
        if differ:
            flags.update({(i, strategy): "settings differ between runs: " + ", ".join(differ) for i, _ in entries})
            notes.append(f"{task}: {strategy} has different settings ({', '.join(differ)}) in runs "
                         + ", ".join(runs[i].name for i, _ in entries))
    return flags, notes


def _budgets(low: float, high: float) -> list[float]:
    """Round budgets (1, 2, 5 x 10^e) from the first that admits a point to the first that admits
    every point, thinned from the top down to at most _MAX_BUDGETS."""
    grid: list[float] = []
    exponent = math.floor(math.log10(low))
    while not grid or grid[-1] < high:
        for m in (1, 2, 5):
            budget = m * 10.0 ** exponent
            if budget >= low and (not grid or grid[-1] < high):
                grid.append(budget)
        exponent += 1
    step = math.ceil(len(grid) / _MAX_BUDGETS)
    return grid[::-1][::step][::-1]  # always keep the budget that covers everything


Entry = tuple[int, str, pd.DataFrame]  # run index, strategy, its achievable points with compute > 0


def _policy_entries(runs: list[RunFolder], task: str) -> list[Entry]:
    """Per model and problem set, the compute-optimal policy over every strategy of its runs, as an entry
    whose points are the policy's curve (attached to the model's first run)."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, run in enumerate(runs):
        for sha in run.results.loc[run.results["task"] == task, "problems_sha256"].unique():
            groups.setdefault((model_label(run), sha), []).append(i)
    entries = []
    for (_, sha), members in groups.items():
        merged = merge([runs[i] for i in members], task)
        optimal = analysed_task(merged.points, merged.values, merged.samples).analysis.compute_optimal
        if optimal is None:
            continue
        over = "" if len(members) == 1 else " over " + ", ".join(runs[i].name for i in members)
        rows = [{"task": task, "strategy": POLICY, "metric": "policy", "axis": "budget", "x": pt.budget,
                 "name": f"{POLICY} at {si(pt.budget)} tokens", "value": pt.accuracy.mean, "low": pt.accuracy.low,
                 "high": pt.accuracy.high, "exact": True, "generated_tokens": pt.cost, "problems_sha256": sha}
                for pt in optimal.curve]
        entries.append((members[0], f"{POLICY} (cross-fitted{over})",
                        with_measures(pd.DataFrame(rows, columns=POINT_COLUMNS))))
    return entries


def _entries(runs: list[RunFolder], task: str, compute_optimal: bool) -> tuple[str, list[Entry]]:
    """The task's entries and the measure they are ranked in: FLOPs when every point has them, and
    generated tokens, the one measure the policy counts, where the compute-optimal rows are shown."""
    entries = [(i, strategy, achievable(with_measures(points))) for i, run in enumerate(runs)
               for strategy, points in run.points[run.points["task"] == task].groupby("strategy", sort=False)]
    entries = [e for e in entries if not e[2].empty]
    if compute_optimal:
        entries += _policy_entries(runs, task)
    measure = "flops" if entries and not compute_optimal and all((p["flops"] > 0).all() for _, _, p in entries) \
        else "generated_tokens"
    # A log budget grid needs positive compute; a point that cost nothing has nothing to rank.
    return measure, [(i, s, p[p[measure] > 0]) for i, s, p in entries if (p[measure] > 0).any()]


def _problem_set(entry: Entry) -> str:
    return entry[2]["problems_sha256"].iloc[0]


def _ranked(group: list[Entry], measure: str, budget: float) -> list[tuple[Entry, pd.Series, int]]:
    """Each entry's best point within `budget`, with its rank (ties share the better rank)."""
    fits = [(entry, best) for entry in group if (best := best_within(entry[2], measure, budget)) is not None]
    ranks = pd.Series([best["value"] for _, best in fits], dtype=float).rank(method="min", ascending=False)
    return [(entry, best, int(rank)) for (entry, best), rank in zip(fits, ranks)]


def build(run_dirs: list[Path], out: Path | None, compute_optimal: bool = False) -> Leaderboard:
    """Rank the runs' entries, with each model's compute-optimal policy as an entry of its own where
    asked; report links are relative to `out`'s folder (or the current one)."""
    runs = [load_run(d) for d in run_dirs]
    base = (out.parent if out else Path(".")).resolve()
    links = []
    for run in runs:
        report = run.path / "report.html"
        if not report.exists():
            write_report(run.path)
        links.append(os.path.relpath(report.resolve(), base))
    rows, notes, charts = [], [], {}
    for task in dict.fromkeys(t for run in runs for t in run.results["task"]):
        flags, flag_notes = _config_flags(runs, task)
        measure, entries = _entries(runs, task, compute_optimal)
        sets = list(dict.fromkeys(_problem_set(e) for e in entries))
        if len(sets) > 1:
            members = "; ".join(f"{sha[:12]}: " + ", ".join(dict.fromkeys(
                runs[e[0]].name for e in entries if _problem_set(e) == sha)) for sha in sets)
            notes.append(f"{task}: the runs cover {len(sets)} different problem sets ({members}); "
                         "each is ranked on its own")
        notes += flag_notes
        for sha in sets:
            group = [e for e in entries if _problem_set(e) == sha]
            low, high = min(p[measure].min() for _, _, p in group), max(p[measure].max() for _, _, p in group)
            for budget in _budgets(low, high):
                for (i, strategy, _), best, rank in _ranked(group, measure, budget):
                    rows.append({"task": task, "problem_set": sha[:12], "measure": measure, "budget": budget,
                                 "rank": rank, "model": model_label(runs[i]), "strategy": strategy,
                                 "point": best["name"], "value": best["value"], "low": best["low"],
                                 "high": best["high"], "compute": best[measure], "run": runs[i].name,
                                 "report": links[i], "flags": flags.get((i, strategy), "")})
            charts[(task, sha[:12])] = _chart(runs, group, measure)
    frame = pd.DataFrame(rows, columns=COLUMNS).sort_values(["task", "problem_set", "budget", "rank"], kind="stable")
    return Leaderboard(frame.reset_index(drop=True), notes, charts)


def _chart(runs: list[RunFolder], group: list[Entry], measure: str) -> dict:
    """Each entry's best accuracy against compute (its own frontier)."""
    series = []
    for i, strategy, points in group:
        best = frontier(points, measure)
        name = series_name(f"{model_label(runs[i])} ({runs[i].name})", strategy)
        series.append({"name": name, "oracle": False, "points": [
            {"x": float(p[measure]), "y": p["value"], "lo": p["low"], "hi": p["high"],
             "tip": f"{name} {p['name']}: {interval(p['value'], p['low'], p['high'])} at {si(p[measure])}"}
            for _, p in best.iterrows()]})
    return {"title": "Best accuracy within compute", "xlabel": MEASURES[measure], "ylabel": "accuracy",
            "xlog": True, "series": series, "frontier": None}


def tables(board: Leaderboard) -> list[dict]:
    """One matrix per task and problem set: entries as rows, budgets as columns."""
    out = []
    for (task, sha), group in board.frame.groupby(["task", "problem_set"], sort=False):
        budgets = sorted(group["budget"].unique())
        entries = []
        for (run, model, strategy), rows in group.groupby(["run", "model", "strategy"], sort=False):
            cells = {b: r for b, r in zip(rows["budget"], rows.to_dict("records"))}
            first = rows.iloc[0]
            entries.append({"run": run, "model": model, "strategy": strategy, "report": first["report"],
                            "flags": first["flags"], "cells": [cells.get(b) for b in budgets],
                            "best": rows["value"].max()})
        entries.sort(key=lambda e: -e["best"])
        out.append({"task": task, "problem_set": sha, "measure": MEASURES[group["measure"].iloc[0]],
                    "budgets": budgets, "entries": entries, "chart": board.charts[(task, sha)]})
    return out


def _cell(c: dict | None) -> str:
    return "" if c is None else f"#{c['rank']} {interval(c['value'], c['low'], c['high'])} ({c['point']})"


def markdown(board: Leaderboard) -> str:
    lines = ["# thinkbench leaderboard", ""]
    lines += [f"- **flag** {n}" for n in board.notes] + ([""] if board.notes else [])
    for t in tables(board):
        lines += [f"## {t['task']} (problem set {t['problem_set']})", "",
                  f"Best accuracy [95% CI] within each budget of {t['measure']}; #rank within the column.", ""]
        lines.append("| model | strategy | run | " + " | ".join(f"≤ {si(b)}" for b in t["budgets"]) + " | flags |")
        lines.append("|---|---|---|" + "---|" * len(t["budgets"]) + "---|")
        for e in t["entries"]:
            cells = " | ".join(_cell(c) for c in e["cells"])
            lines.append(f"| {e['model']} | {e['strategy']} | [{e['run']}]({e['report']}) | {cells} | {e['flags']} |")
        lines.append("")
    return "\n".join(lines)


def html(board: Leaderboard) -> str:
    return environment().get_template("leaderboard.html.j2").render(tables=tables(board), notes=board.notes,
                                                                    oracles=", ".join(sorted(ORACLE_METRICS)))


def write(board: Leaderboard, fmt: str, out: Path | None) -> str | None:
    """Write the leaderboard in `fmt` to `out`; without `out`, return the text (md, csv) to print."""
    text = {"html": html, "md": markdown, "csv": lambda b: b.frame.to_csv(index=False)}[fmt](board)
    if out is None:
        return text
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return None
