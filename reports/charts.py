"""Chart specifications (plain JSON) for the page's own SVG charts in templates/charts.js.

A spec is {xlabel, ylabel, xlog, series: [{name, oracle, style, points: [{x, y, lo, hi, tip}]}], frontier}
or {variants: [{label, ...spec}]} when the reader may switch the x measure. Every point family is
drawn the same way: one series per strategy x metric, x its k or budget, y its value and interval.
A series' optional `style` is "fit" (a fitted curve: thin, dashed, no band) or "policy" (the
compute-optimal policy: heavy); reports/analysis.py adds both.
"""
from __future__ import annotations

import pandas as pd

from thinkbench.harness.metrics.lengths import GROUPS, PARTS
from thinkbench.reports.frontier import MEASURES, ORACLE_METRICS, available_measures, frontier, with_measures
from thinkbench.reports.render import interval, si


def series_name(strategy: str, metric: str) -> str:
    return f"{strategy} · {metric}"


def _tip(point: pd.Series) -> str:
    cost = [f"{si(point['generated_tokens'])} generated tokens"]
    if pd.notna(point["flops"]):
        cost.append(f"{si(point['flops'])}FLOPs")
    if pd.notna(point["cost"]):
        cost.append(f"cost {point['cost']:.4g}")
    exact = "" if point["exact"] else " (Monte Carlo)"
    return (f"{series_name(point['strategy'], point['name'])}: "
            f"{interval(point['value'], point['low'], point['high'])}{exact}\n" + ", ".join(cost) + " per problem")


def _series(points: pd.DataFrame, x_column: str) -> list[dict]:
    out = []
    for (strategy, metric), group in points.groupby(["strategy", "metric"], sort=False):
        group = group.sort_values(x_column)
        out.append({
            "name": series_name(strategy, metric),
            "oracle": metric in ORACLE_METRICS,
            "points": [{"x": float(p[x_column]), "y": p["value"], "lo": p["low"], "hi": p["high"], "tip": _tip(p)}
                       for _, p in group.iterrows()],
        })
    return out


def scaling_charts(points: pd.DataFrame) -> list[dict]:
    """Value against k (samples) or budget, one chart per axis the task's points use."""
    charts = []
    for axis, group in points.groupby("axis", sort=True):
        # Some strategies put their budget (beams, thinking tokens) in k, so k is not always samples.
        label = "k (samples, or the strategy's budget)" if axis == "k" else axis
        charts.append({"title": f"Accuracy against {label}", "axis": axis, "xlabel": label, "ylabel": "accuracy",
                       "xlog": True, "series": _series(group, "x"), "frontier": None})
    return charts


def compute_chart(points: pd.DataFrame) -> dict | None:
    """Every strategy's points against mean compute per problem, one variant per measure the
    points carry, each with its compute-optimal frontier."""
    points = with_measures(points)
    variants = []
    for measure in available_measures(points):
        best = frontier(points, measure)
        variants.append({
            "label": MEASURES[measure], "xlabel": MEASURES[measure], "ylabel": "accuracy", "xlog": True,
            "series": _series(points, measure),
            "frontier": [{"x": float(p[measure]), "y": p["value"], "tip": f"frontier: {_tip(p)}"}
                         for _, p in best.iterrows()],
        })
    if not variants:
        return None
    return {"title": "Accuracy against compute", "variants": variants,
            "note": "The frontier joins the best accuracy reachable at each compute. Oracle metrics "
                    f"({', '.join(sorted(ORACLE_METRICS))}) pick with the gold answer in hand and are left off it."}


def length_chart(lengths: dict[str, dict]) -> dict | None:
    """Histograms of thinking and answer tokens (strategy -> metrics.json `lengths`), one series per
    strategy and verdict, y the share of that verdict's samples in each power-of-two bin."""
    variants = []
    for part in PARTS:
        series = []
        for strategy, stats in lengths.items():
            for group in GROUPS:
                d = stats[part][group]
                if not d["count"]:
                    continue
                bins: dict[int, int] = {}
                for edge, count in d["histogram"]:  # a log axis has no 0: none and one token share a bin
                    bins[max(edge, 1)] = bins.get(max(edge, 1), 0) + count
                points = [{"x": edge, "y": c / d["count"], "lo": c / d["count"], "hi": c / d["count"],
                           "tip": f"{strategy} · {group}: {c} of {d['count']} samples with "
                                  f"{edge // 2 + 1 if edge > 1 else 0}-{edge} {part} tokens"}
                          for edge, c in sorted(bins.items())]
                series.append({"name": series_name(strategy, group), "oracle": False, "points": points})
        if series:
            variants.append({"label": f"{part} tokens", "xlabel": f"{part} tokens (bin's upper edge)",
                             "ylabel": "share of samples", "xlog": True, "series": series, "frontier": None})
    if not variants:
        return None
    estimated = [s for s, stats in lengths.items() if not stats["exact"]]
    note = "Each verdict's samples add up to 1 over the bins."
    if estimated:
        note += (f" For {', '.join(estimated)} the split between thinking and answer is estimated from the text "
                 "(generated tokens shared by characters around the last </think>); thinking strategies count it.")
    return {"title": "Thinking and answer tokens, correct against wrong samples", "variants": variants, "note": note}
