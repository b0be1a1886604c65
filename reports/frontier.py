"""Accuracy against compute: the measures a point's cost can be read in, and the compute-optimal
frontier over strategies (the best accuracy reachable at each amount of compute)."""
from __future__ import annotations

import math

import pandas as pd

# Coverage metrics (any of k samples, or any final candidate of a search, is correct) choose with
# the gold answer in hand, which no deployed system can do: they are drawn, but they never define
# what is reachable at a given compute.
ORACLE_METRICS = frozenset({"pass@k", "coverage@k"})

# Measure column -> how it reads on an axis; total_tokens is derived in `with_measures`.
MEASURES = {
    "generated_tokens": "generated tokens per problem",
    "total_tokens": "prompt + generated tokens per problem",
    "flops": "FLOPs per problem",
    "cost": "cost per problem",
}


def with_measures(points: pd.DataFrame) -> pd.DataFrame:
    out = points.copy()
    out["total_tokens"] = out["prompt_tokens"].fillna(0) + out["generated_tokens"]
    return out


def available_measures(points: pd.DataFrame) -> list[str]:
    """Measures every point has a positive value for (a log axis needs them all above zero)."""
    return [m for m in MEASURES if m in points and len(points) and (points[m] > 0).all()]


def achievable(points: pd.DataFrame) -> pd.DataFrame:
    return points[~points["metric"].isin(ORACLE_METRICS)]


def frontier(points: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The achievable points that no other achievable point matches with less or equal compute
    and beats in value, cheapest first: a staircase that only rises."""
    candidates = achievable(points).dropna(subset=[measure])
    candidates = candidates.sort_values([measure, "value"], ascending=[True, False], kind="stable")
    keep, best = [], -math.inf
    for idx, value in candidates["value"].items():
        if value > best:
            keep.append(idx)
            best = value
    return candidates.loc[keep]


def best_within(points: pd.DataFrame, measure: str, budget: float) -> pd.Series | None:
    """The best achievable point costing at most `budget`, or None when none fits."""
    fits = achievable(points)
    fits = fits[fits[measure] <= budget]
    if fits.empty:
        return None
    return fits.sort_values(["value", measure], ascending=[False, True], kind="stable").iloc[0]
