"""Metric points of a weaker reading of the verdicts (see verifiers.VerdictView), beside the full
ones: code graded with extended tests also reports pass@k on the task's own tests ("base:pass@k"),
and the gap, the share of base-passing samples that the extended tests reject."""
from __future__ import annotations

from dataclasses import replace
from typing import Callable, Sequence

from thinkbench.harness.metrics.point import MetricPoint
from thinkbench.harness.types import CompletionRow
from thinkbench.verifiers import VerdictView


def view_points(rows: Sequence[CompletionRow], views: Sequence[VerdictView],
                metrics: Callable[[list[CompletionRow]], list[MetricPoint]]) -> tuple[list[MetricPoint], dict]:
    """The points of each view, computed by `metrics` on the rows as the view reads them and named
    "<view>:<metric>"; and per view, how many samples pass it and how many of those the full verdict
    rejects."""
    points, gaps = [], {}
    for view in views:
        seen = [replace(r, correct=view.passes(bool(r.correct), r.verdict_reason or "")) for r in rows]
        # The outcomes (cut, no answer, verdicts) are the full points' own: not repeated here.
        points += [replace(p, metric=f"{view.name}:{p.metric}", outcomes=None) for p in metrics(seen)]
        passing = sum(bool(r.correct) for r in seen)
        rejected = sum(bool(v.correct) and not r.correct for v, r in zip(seen, rows))
        gaps[view.name] = {"passing": passing, "rejected": rejected, "rejected_by": view.rejected_by,
                           "gap": rejected / passing if passing else None}
    return points, gaps


def describe_gap(name: str, gap: dict) -> str:
    """"extended tests reject 9 of 50 base-passing samples (18.0%)"."""
    share = "" if gap["gap"] is None else f" ({gap['gap']:.1%})"
    return f"{gap['rejected_by']} reject {gap['rejected']} of {gap['passing']} {name}-passing samples{share}"
