"""The analysis section of a report and of `thinkbench analyze`: its inputs read from run folders, the
section's sentences and tables, the series it adds to the charts, and a JSON of its numbers."""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from thinkbench.harness.analysis.adaptive_stopping import orders_for
from thinkbench.harness.analysis.analyze import TaskAnalysis, TaskInputs, analyze_task
from thinkbench.harness.analysis.compute_optimal import Headline
from thinkbench.harness.analysis.coverage_fit import HELD_OUT_SHARE, PowerLaw
from thinkbench.harness.analysis.settings import POOL_METRICS, Sample, Setting
from thinkbench.harness.metrics.estimators import mean_ci
from thinkbench.harness.types import CompletionRow
from thinkbench.reports.charts import compute_chart, scaling_charts, series_name
from thinkbench.reports.frontier import MEASURES, ORACLE_METRICS
from thinkbench.reports.render import interval, si

# The one measure the analyses count compute in: every point has it, and pools have it per sample.
MEASURE = "generated_tokens"
POLICY = "compute-optimal policy"


def task_inputs(points: pd.DataFrame, values: Mapping[int, Mapping[str, float]],
                samples: Mapping[str, Mapping[str, Sequence[CompletionRow]]]) -> tuple[TaskInputs, list[str]]:
    """One task's inputs: its points (rows of a run folder's frame, indexed as `values`, which holds
    their per-problem values) and its samples (strategy -> problem id -> rows). Notes say what was left out."""
    notes = []
    settings, coverage, pool_metrics = [], {}, {}
    for idx, point in points.iterrows():
        per_problem = values.get(idx)
        if per_problem is None:
            continue
        if point["metric"] in ORACLE_METRICS:
            if point["metric"] == "pass@k" and point["axis"] == "k":
                coverage.setdefault(point["strategy"], {})[int(point["x"])] = per_problem
            continue
        if point["axis"] == "k" and point["metric"] in POOL_METRICS:
            pool_metrics.setdefault(point["strategy"], [])
            if point["metric"] not in pool_metrics[point["strategy"]]:
                pool_metrics[point["strategy"]].append(point["metric"])
        cost = float(point[MEASURE])
        settings.append(Setting(point["strategy"], point["name"], dict(per_problem),
                                {p: cost for p in per_problem}))
    pools = {}
    for strategy in pool_metrics:
        rows = samples.get(strategy, {})
        if any(r.vote is None and r.extracted is not None for group in rows.values() for r in group):
            notes.append(f"{strategy}: its answers carry no vote groups (a run folder from before 0.2); "
                         "adaptive stopping and the compute-optimal policy leave its pool out")
            continue
        pools[strategy] = {pid: [Sample(r.vote, bool(r.correct), r.generated_tokens, r.score) for r in group]
                           for pid, group in rows.items() if group}
    pool_metrics = {s: m for s, m in pool_metrics.items() if s in pools}
    return TaskInputs(settings, pools, pool_metrics, coverage), notes


# --------------------------------------------------------------------------- words and tables


def _ratio(h: Headline) -> str:
    if h.ratio is None:
        return f"does not reach {h.strategy}'s best accuracy ({h.setting}, {h.accuracy:.3f})"
    verdict = "significant" if h.significant else "not significant"
    return (f"reaches {h.strategy}'s best accuracy ({h.setting}, {h.accuracy:.3f} at {si(h.cost)} tokens) at "
            f"{si(h.policy_cost)} tokens: {h.ratio.mean:.2f}x less compute "
            f"[95% CI {h.ratio.low:.2f}, {h.ratio.high:.2f}], {verdict}")


def _method(analysis: TaskAnalysis) -> str:
    optimal = analysis.compute_optimal
    pools = ", ".join(analysis.pools)
    return (f"Difficulty: each problem's pass rate over half of its {analysis.difficulty_pool} samples (the even "
            f"or the odd ones, {analysis.half}), cut into {len(optimal.bins)} quantile bins (1 easiest). Every pool "
            f"({pools}) is scored on the other half only, cut at the same sample indices since pools seeded alike "
            "hold the same samples; then the halves swap and a problem's value is the mean of the two. The setting "
            f"for a problem's bin is chosen on the other {optimal.folds} folds of problems (cross-fitting), so "
            "neither its bin nor the choice has seen the samples that score it. Strategies without a pool are "
            "scored whole: greedy shares no randomness with the pools, but a search's or thinking strategy's "
            "first request is seeded like a pool's first samples, so their values are not fully independent of "
            "the bins. Compute is generated tokens per problem; finding a problem's bin is not charged (as in "
            "Snell et al. 2024). The table's choices are fitted on all problems: the policy to deploy.")


def _policy_rows(analysis: TaskAnalysis) -> list[dict]:
    return [{"budget": pt.budget, "cost": pt.cost, "accuracy": pt.accuracy, "choice": pt.choice,
             "baseline": pt.baseline, "gain": pt.gain,
             "significant": pt.gain is not None and (pt.gain.low > 0 or pt.gain.high < 0)}
            for pt in analysis.compute_optimal.curve]


def _count(k: float) -> str:
    return si(math.ceil(k)) if math.isfinite(k) else "never"


def _coverage_rows(analysis: TaskAnalysis) -> list[dict]:
    rows = []
    for strategy, fit in analysis.coverage.items():
        held = fit.held_out
        rows.append({"strategy": strategy, "a": fit.a, "b": fit.b, "target": fit.target,
                     "k_text": f"{_count(fit.k_for_target.mean)} [{_count(fit.k_for_target.low)}, "
                               f"{_count(fit.k_for_target.high)}]",
                     "held_out": held and {"ks": held.fit_ks, "n": held.n, "predicted": held.predicted,
                                           "observed": held.observed, "error": held.error}})
    return rows


def _adaptive_rows(analysis: TaskAnalysis) -> list[dict]:
    return [{"strategy": strategy, "rule": s.name, "accuracy": mean_ci(list(s.values.values())), "tokens": s.cost}
            for strategy, rules in analysis.adaptive.items() for s in rules]


def section(analysis: TaskAnalysis, notes: Sequence[str] = ()) -> dict:
    """What the template shows for one task's analysis; `notes` (what its inputs left out) join its own."""
    optimal = analysis.compute_optimal
    out = {"notes": [*notes, *analysis.notes], "coverage": _coverage_rows(analysis),
           "adaptive": _adaptive_rows(analysis), "held_out_share": HELD_OUT_SHARE, "optimal": None}
    problems = max((len(rules[0].values) for rules in analysis.adaptive.values() if rules), default=0)
    if problems:
        orders = orders_for(problems)
        out["orders"] = {"count": orders, "problem_error": 0.5 / math.sqrt(orders),
                         "mean_error": 0.5 / math.sqrt(orders * problems)}
    if optimal is not None:
        headline = optimal.headlines[0] if optimal.headlines else None
        out["optimal"] = {
            "headline": headline and f"The compute-optimal policy {_ratio(headline)}.",
            "headlines": [{"strategy": h.strategy, "text": _ratio(h)} for h in optimal.headlines],
            "method": _method(analysis), "bins": optimal.bins, "rows": _policy_rows(analysis),
            "settings": len(optimal.settings),
        }
    return out


# --------------------------------------------------------------------------- chart series


def add_fits(chart: dict, analysis: TaskAnalysis) -> None:
    """The fitted coverage law, dashed, beside each strategy's pass@k on the chart against k."""
    for strategy, fit in analysis.coverage.items():
        law = PowerLaw(fit.a.mean, fit.b.mean)
        form = (f"exp(a·k^b), a = {interval(fit.a.mean, fit.a.low, fit.a.high)}, "
                f"b = {interval(fit.b.mean, fit.b.low, fit.b.high)}")
        points = [(float(k), law.coverage(k), law.coverage(k), law.coverage(k),
                   f"{strategy} pass@k fit at k = {k:g}: {law.coverage(k):.3f}\n{form}")
                  for k in np.unique(np.round(np.geomspace(1, max(fit.ks), 24), 2))]
        chart["series"].append({**_series(f"{strategy} · pass@k fit", points, "fit"), "oracle": True})


def _series(name: str, points: list[tuple[float, float, float, float, str]], style: str | None = None) -> dict:
    return {"name": name, "oracle": False, "style": style,
            "points": [{"x": x, "y": y, "lo": lo, "hi": hi, "tip": tip} for x, y, lo, hi, tip in sorted(points)]}


def add_analysis_series(chart: dict | None, analysis: TaskAnalysis) -> None:
    """The compute-optimal curve and each pool's adaptive-stopping curves, on the generated-tokens variant
    of the accuracy-against-compute chart."""
    variant = next((v for v in (chart or {}).get("variants", []) if v["label"] == MEASURES[MEASURE]), None)
    if variant is None:
        return
    for strategy, rules in analysis.adaptive.items():
        families: dict[str, list] = {}
        for s in rules:
            ci = mean_ci(list(s.values.values()))
            family = "stop at m votes" if s.name.startswith("stop at") else s.name.rsplit(" ", 1)[0]
            families.setdefault(family, []).append(
                (s.cost, ci.mean, ci.low, ci.high,
                 f"{series_name(strategy, s.name)}: {interval(ci.mean, ci.low, ci.high)}\n{si(s.cost)} generated "
                 "tokens per problem (read from the pool)"))
        for family, points in families.items():
            variant["series"].append(_series(series_name(strategy, family), points))
    optimal = analysis.compute_optimal
    if optimal is not None:
        variant["series"].append(_series(f"{POLICY} (cross-fitted)", [
            (pt.cost, pt.accuracy.mean, pt.accuracy.low, pt.accuracy.high,
             f"{POLICY}: {interval(pt.accuracy.mean, pt.accuracy.low, pt.accuracy.high)}\n{si(pt.cost)} generated "
             "tokens per problem; per bin: " + ", ".join(pt.choice)) for pt in optimal.curve], "policy"))


# --------------------------------------------------------------------------- JSON


def _plain(value):
    """Dataclasses as dicts, infinities as null (JSON has none)."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def analysis_json(analyses: Mapping[str, TaskAnalysis]) -> dict:
    """Task -> every number of its analysis, per-problem values included."""
    return {task: {**_plain(a), "adaptive": {s: [{"name": r.name, "value": r.value, "cost": r.cost,
                                                  "values": dict(r.values), "costs": dict(r.costs)} for r in rules]
                                             for s, rules in a.adaptive.items()},
                   "measure": MEASURE}
            for task, a in analyses.items()}


# --------------------------------------------------------------------------- one task, whole


@dataclass
class AnalysedTask:
    analysis: TaskAnalysis
    section: dict  # for the template
    charts: list[dict]  # against k or budget, the fitted coverage laws added
    compute: dict | None  # against compute, the policy and adaptive curves added


def analysed_task(points: pd.DataFrame, values: Mapping[int, Mapping[str, float]],
                  samples: Mapping[str, Mapping[str, Sequence[CompletionRow]]]) -> AnalysedTask:
    """One task's analysis with the charts that show it (see `task_inputs` for the arguments)."""
    inputs, notes = task_inputs(points, values, samples)
    analysis = analyze_task(inputs)
    charts = scaling_charts(points)
    for chart in charts:
        if chart["axis"] == "k":
            add_fits(chart, analysis)
    compute = compute_chart(points)
    add_analysis_series(compute, analysis)
    return AnalysedTask(analysis, section(analysis, notes), charts, compute)
