"""Metrics by group of problems: difficulty bins from each problem's own pass rate, MATH level,
subject, or any other label a problem carries."""
from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from thinkbench.harness.metrics.estimators import mean_ci

# Snell et al. (2024) split problems into five difficulty levels by quantiles of pass@1.
DIFFICULTY_BINS = 5


def difficulty_bins(pass_rates: Mapping[str, float], bins: int = DIFFICULTY_BINS) -> dict[str, int]:
    """Bin 1 (easiest) .. `bins` (hardest) by quantiles of each problem's pass rate in the pool.

    Problems are ordered from the highest pass rate to the lowest and cut into `bins` equal shares.
    Problems with the same pass rate always share a bin (the one holding the middle of their tie
    block), so a pool where many problems are never solved puts all of those in one bin instead of
    splitting them by accident of order.
    """
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    rates = sorted(pass_rates.values())
    n = len(rates)
    out = {}
    for pid, rate in pass_rates.items():
        below = bisect.bisect_left(rates, rate)
        ties = bisect.bisect_right(rates, rate) - below
        easier = n - below - ties
        middle = easier + ties / 2  # position of the tie block's middle, easiest first
        out[pid] = min(bins, int(middle * bins / n) + 1)
    return out


@dataclass(frozen=True)
class GroupStat:
    group: Hashable
    problems: int
    mean: float
    low: float  # 95% bootstrap interval over the group's problems
    high: float


def _order(group: Hashable) -> tuple:
    """Numbers in numeric order (level 2 before level 10), then everything else as text."""
    try:
        return (0, float(group), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(group))


def breakdown(values: Mapping[str, float], groups: Mapping[str, Hashable]) -> list[GroupStat]:
    """Mean and bootstrap interval of per-problem `values` within each group of `groups`
    (problem id -> group). Problems without a group, or without a value, are left out."""
    members: dict[Hashable, list[float]] = defaultdict(list)
    for pid, group in groups.items():
        if group is not None and pid in values:
            members[group].append(values[pid])
    stats = []
    for group in sorted(members, key=_order):
        ci = mean_ci(members[group])
        stats.append(GroupStat(group, len(members[group]), ci.mean, ci.low, ci.high))
    return stats
