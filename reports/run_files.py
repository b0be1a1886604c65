"""What a run leaves in its folder besides the store: metrics.json (every metric point), per_problem.json
(the per-problem values behind each point) and summary.txt (the task x metric table printed at the end).

metrics.json stays small enough to read; per_problem.json holds what grows with the problem count: for
each result (in metrics.json's order) its problem ids once, and for each point (same order) one value per
problem, null where a point has no value for that problem.
"""
from __future__ import annotations

import dataclasses
import json

from thinkbench.harness.metrics.outcomes import cut_warning, outcome_groups
from thinkbench.harness.metrics.point import MetricPoint
from thinkbench.harness.metrics.views import describe_gap
from thinkbench.harness.results import RunResult, TaskResult
from thinkbench.reports.describe import describe_lengths, describe_outcomes, describe_overthinking

PER_PROBLEM_FORMAT = "thinkbench-per-problem/1"


def _headline(result: TaskResult) -> list[str]:
    cells = []
    for p in result.points:
        if p.metric == "accuracy" or p.k in (1, max(q.k for q in result.points)):
            name = p.metric if p.metric == "accuracy" else p.metric.replace("@k", f"@{p.k}")
            cells.append(f"{name} {p.value:.3f} [{p.low:.3f}, {p.high:.3f}]{'' if p.exact else '~'}")
    return cells


def summary_text(outcome: RunResult) -> str:
    lines = [f"run folder: {outcome.run_dir}"]
    header = (f"{'task':<14}{'strategy':<10}{'problems':>9}{'samples':>9}{'gen tok/prob':>13}{'GFLOP/prob':>11}"
              f"{'no answer':>10}  metrics (95% CI)")
    lines += [header, "-" * len(header)]
    for r in outcome.results:
        flops = max((p.compute["flops"] or 0 for p in r.points), default=0)
        lines.append(f"{r.task:<14}{r.strategy:<10}{r.problems:>9}{r.samples:>9}{r.mean_generated_tokens:>13.1f}"
                     f"{flops / 1e9:>11.1f}{r.no_answer_rate:>10.1%}  " + "; ".join(_headline(r)))
    for r in outcome.results:
        lines += [f"{r.task}/{r.strategy}: {describe_gap(name, gap)}" for name, gap in r.views.items()]
    for r in outcome.results:
        if r.reused_requests:
            lines.append(f"{r.task}/{r.strategy}: reused {r.reused_requests} finished requests, "
                         f"generated {r.generated_requests}")
    for r in outcome.results:
        if r.judge_consulted is not None:
            lines.append(f"{r.task}/{r.strategy}: the answer judge decided {r.judge_consulted} verdicts the rules "
                         f"rejected and changed {r.judge_changed} of them to correct")
    for task, why in outcome.skipped.items():
        lines.append(f"skipped {task}: {why}")
    lines += _outcome_lines(outcome.results) + _length_lines(outcome.results)
    return "\n".join(lines) + "\n"


def _outcome_lines(results: list[TaskResult]) -> list[str]:
    lines, warnings = ["", "outcomes of the samples behind the points (cut: stopped at its token limit):"], []
    for r in results:
        for label, o in outcome_groups([_point_json(p) for p in r.points]):
            where = f"{r.task}/{r.strategy}" + (f" {label}" if label else "")
            lines.append(f"  {where}: {describe_outcomes(o)}")
            if (warning := cut_warning(o)) is not None:
                warnings.append(f"warning: {where}: {warning}")
    return lines + warnings if len(lines) > 2 else []


def _length_lines(results: list[TaskResult]) -> list[str]:
    lines = ["", "lengths in generated tokens, median [p10, p90] by verdict:"]
    for r in results:
        if r.lengths and r.lengths["samples"]:
            lines.append(f"  {r.task}/{r.strategy}: {describe_lengths(r.lengths)}")
            if r.lengths.get("overthinking"):
                lines.append(f"  {r.task}/{r.strategy} overthinking: {describe_overthinking(r.lengths['overthinking'])}")
    return lines if len(lines) > 2 else []


def _point_json(point: MetricPoint) -> dict:
    """A point as metrics.json keeps it: everything but its per-problem values."""
    data = dataclasses.asdict(dataclasses.replace(point, per_problem={}))
    del data["per_problem"]
    return data


def _result_json(result: TaskResult) -> dict:
    return {**dataclasses.asdict(dataclasses.replace(result, points=[])),
            "points": [_point_json(p) for p in result.points]}


def _per_problem_json(result: TaskResult) -> dict:
    ids = list(dict.fromkeys(pid for p in result.points for pid in p.per_problem))
    return {"task": result.task, "strategy": result.strategy, "problems": ids,
            "points": [{"metric": p.metric, "k": p.k, "values": [p.per_problem.get(pid) for pid in ids]}
                       for p in result.points]}


def write_run_files(outcome: RunResult) -> str:
    data = {
        "engine": outcome.engine_info,
        "skipped": outcome.skipped,
        "results": [_result_json(r) for r in outcome.results],
    }
    (outcome.run_dir / "metrics.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
    values = {"format": PER_PROBLEM_FORMAT, "results": [_per_problem_json(r) for r in outcome.results]}
    (outcome.run_dir / "per_problem.json").write_text(json.dumps(values, separators=(",", ":")) + "\n")
    text = summary_text(outcome)
    (outcome.run_dir / "summary.txt").write_text(text)
    return text
