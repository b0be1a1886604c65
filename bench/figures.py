"""A figure is a measured value with its unit, target and baseline, printed and saved the same way."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Figure:
    section: str
    name: str
    value: float | None
    unit: str
    target: str = ""  # e.g. "<= 1.05"
    baseline: str = ""  # what it was measured against, with that value
    met: bool | None = None  # None: no target, or not measured
    note: str = ""


def check(value: float | None, op: str, limit: float) -> bool | None:
    if value is None:
        return None
    return {"<=": value <= limit, "<": value < limit, ">=": value >= limit, "==": value == limit}[op]


def table(figures: list[Figure]) -> str:
    lines = [f"{'section':<10} {'figure':<44} {'value':>12} {'unit':<10} {'target':<10} {'met':<4} baseline / note",
             "-" * 120]
    for f in figures:
        value = "n/a" if f.value is None else (f"{f.value:.3f}" if abs(f.value) < 1000 else f"{f.value:,.0f}")
        met = {True: "yes", False: "NO", None: ""}[f.met]
        extra = "; ".join(x for x in (f.baseline, f.note) if x)
        lines.append(f"{f.section:<10} {f.name:<44} {value:>12} {f.unit:<10} {f.target:<10} {met:<4} {extra}")
    return "\n".join(lines)
