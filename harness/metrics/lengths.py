"""How long samples think and how long they answer, split by verdict, and for a thinking-budget sweep
how many thinking tokens a sample spent after its forced answer was already right (overthinking).

Distributions are over samples: count, mean, quantiles and a histogram on powers of two (a bin
`[edge, count]` holds the samples with edge/2 < tokens <= edge, and edge 0 those with none).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from thinkbench.harness.types import CompletionRow
from thinkbench.verifiers.math_extract import strip_reasoning

PARTS = ("thinking", "answer")
GROUPS = ("correct", "wrong")
QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class SampleLength:
    thinking: int  # generated tokens
    answer: int
    correct: bool


def text_split(row: CompletionRow) -> SampleLength:
    """One completion split where grading splits it (the last </think>; a thinking never closed is
    all thinking). The run folder keeps no tokenizer, so the row's generated tokens are shared out
    in proportion to characters: an estimate, and labelled so (`exact: false`)."""
    reply = strip_reasoning(row.text)
    thinking_chars = len(row.text) - (0 if reply is None else len(reply))
    thinking = round(row.generated_tokens * thinking_chars / len(row.text)) if row.text else 0
    return SampleLength(thinking, row.generated_tokens - thinking, bool(row.correct))


def _quantile(ordered: Sequence[int], q: float) -> int:
    """Nearest rank: a value some sample has."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _bin_edge(tokens: int) -> int:
    return 0 if tokens <= 0 else 1 << (tokens - 1).bit_length()


def distribution(values: Sequence[int]) -> dict:
    ordered = sorted(values)
    out: dict = {"count": len(ordered), "mean": sum(ordered) / len(ordered) if ordered else None}
    out.update({f"p{round(q * 100)}": _quantile(ordered, q) if ordered else None for q in QUANTILES})
    out["max"] = ordered[-1] if ordered else None
    bins: dict[int, int] = {}
    for v in ordered:
        bins[_bin_edge(v)] = bins.get(_bin_edge(v), 0) + 1
    out["histogram"] = [[edge, count] for edge, count in bins.items()]
    return out


def length_stats(samples: Sequence[SampleLength], exact: bool) -> dict:
    """{"exact", "samples", "thinking": {"correct": distribution, "wrong": ...}, "answer": {...}};
    exact says whether the split was counted in tokens or estimated (text_split)."""
    out: dict = {"exact": exact, "samples": len(samples)}
    for part in PARTS:
        out[part] = {group: distribution([getattr(s, part) for s in samples if s.correct == (group == "correct")])
                     for group in GROUPS}
    return out


@dataclass(frozen=True)
class BudgetTrace:
    """One sample of a thinking-budget sweep: its forced answer's verdict at each budget, and the
    thinking tokens its trajectory spent in all (at most the largest budget)."""

    problem_id: str
    correct: Sequence[bool]  # per budget, in increasing order
    thinking: int


def first_correct(trace: BudgetTrace, budgets: Sequence[int]) -> tuple[int | None, int]:
    """The smallest budget whose forced answer was correct (None if none was), and the thinking
    tokens the trajectory spent after it."""
    for budget, ok in zip(budgets, trace.correct):
        if ok:
            return budget, max(0, trace.thinking - budget)
    return None, 0


def overthinking(traces: Sequence[BudgetTrace], budgets: Sequence[int]) -> dict:
    """Per sample [first correct budget or None, tokens after it] (by problem id, in sample order),
    and over all samples: how many were right at some budget, at which budget first, and the share
    of all thinking tokens spent after the answer was already right."""
    per_sample: dict[str, list] = {}
    after, first = [], {b: 0 for b in budgets}
    for t in traces:
        budget, spent_after = first_correct(t, budgets)
        per_sample.setdefault(t.problem_id, []).append([budget, spent_after])
        if budget is not None:
            first[budget] += 1
            after.append(spent_after)
    thinking = sum(t.thinking for t in traces)
    return {"budgets": list(budgets), "samples": len(traces), "solved": len(after),
            "first_correct": [[b, c] for b, c in first.items()],
            "tokens_after": distribution(after),
            "share_after": sum(after) / thinking if thinking else None,
            "per_sample": per_sample}


def text_lengths(rows: Sequence[CompletionRow]) -> dict:
    """length_stats of completions that each hold a whole sample (pools, search candidates)."""
    return length_stats([text_split(r) for r in rows], exact=False)
