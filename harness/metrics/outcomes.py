"""How the samples behind a metric point ended: cut at their token limit or finished, the accuracy of
each kind, why the samples without an answer have none, and their verdicts by reason.

Shares are over samples (not averaged per problem): they say what happened to the generations, and
the point's own value says what it means for accuracy. Peers count a cut-off sample as plainly
wrong; here it is an outcome of its own, so a budget that bounds accuracy is seen as such.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from thinkbench.harness.types import CompletionRow
from thinkbench.verifiers.math_extract import strip_reasoning

# Why a sample has no answer, in the order they are decided: the first that applies.
CUT_OFF = "cut off"  # stopped at its token limit before stating an answer
THINKING_OPEN = "thinking never closed"  # finished, but inside its thinking: no reply at all
EXTRACTION_FAILED = "extraction failed"  # the reply cues an answer the rules did not accept
NO_FINAL_ANSWER = "no final answer"  # the reply states none
NO_ANSWER_REASONS = (CUT_OFF, THINKING_OPEN, EXTRACTION_FAILED, NO_FINAL_ANSWER)

# A reply that says it gives an answer (a box, GSM8K's ####, the word "answer", a code block).
_ANSWER_CUE = re.compile(r"\\(?:boxed|fbox)|####|\banswer\b|```", re.IGNORECASE)

# From this share of cut samples on, the summary and the report warn that the budget bounds accuracy.
CUT_WARNING_SHARE = 0.10


@dataclass(frozen=True)
class Outcomes:
    samples: int
    cut: int  # samples whose generation stopped at its token limit (finish reason "length")
    cut_share: float
    max_tokens: int | None  # the limit the cut samples hit (their largest length); None when unknown or none was cut
    accuracy_finished: float | None  # among samples that finished on their own; None when there are none
    accuracy_cut: float | None  # among cut samples; None when there are none
    no_answer: dict[str, int]  # NO_ANSWER_REASONS -> samples
    verdicts: dict[str, int]  # verdict reason category (the reason up to its first ':') -> samples


def no_answer_reason(row: CompletionRow) -> str | None:
    """Why a graded sample has no answer (one of NO_ANSWER_REASONS); None when it has one."""
    if row.extracted is not None:
        return None
    if row.finish_reason == "length":
        return CUT_OFF
    reply = strip_reasoning(row.text)
    if reply is None:
        return THINKING_OPEN
    return EXTRACTION_FAILED if _ANSWER_CUE.search(reply) else NO_FINAL_ANSWER


def verdict_category(row: CompletionRow) -> str:
    """`failed: test 2 of 3: ...` -> "failed"; a verdict without a reason is "correct" or "wrong"."""
    if row.correct is None:
        return "ungraded"
    if row.verdict_reason:
        return row.verdict_reason.split(":", 1)[0].strip()
    return "correct" if row.correct else "wrong"


def _accuracy(rows: list[CompletionRow]) -> float | None:
    return sum(bool(r.correct) for r in rows) / len(rows) if rows else None


def outcome_stats(rows: Sequence[CompletionRow]) -> Outcomes:
    """Outcomes of graded samples (rows with their texts: the no-answer reasons read them)."""
    cut = [r for r in rows if r.finish_reason == "length"]
    finished = [r for r in rows if r.finish_reason != "length"]
    reasons = Counter(no_answer_reason(r) for r in rows if r.correct is not None)
    return Outcomes(
        samples=len(rows), cut=len(cut), cut_share=len(cut) / len(rows) if rows else 0.0,
        max_tokens=max((r.generated_tokens for r in cut), default=0) or None,  # `score` rows count no tokens
        accuracy_finished=_accuracy(finished), accuracy_cut=_accuracy(cut),
        no_answer={reason: reasons[reason] for reason in NO_ANSWER_REASONS},
        verdicts=dict(Counter(verdict_category(r) for r in rows).most_common()),
    )


def cut_warning(outcomes: dict) -> str | None:
    """"23% of samples hit max_tokens=4096: accuracy is bounded by the budget" when the share is
    CUT_WARNING_SHARE or more (`outcomes` as metrics.json holds it)."""
    if not outcomes or outcomes["cut_share"] < CUT_WARNING_SHARE:
        return None
    limit = f"max_tokens={outcomes['max_tokens']}" if outcomes["max_tokens"] else "their token limit"
    return f"{outcomes['cut_share']:.0%} of samples hit {limit}: accuracy is bounded by the budget"


def stage_label(metric: str, k: int) -> str:
    """What separates points with different samples behind them: "budget=512" for a stage family's
    point (`budget:pass@1`), "k=4" otherwise (a search's budget)."""
    return f"{metric.split(':', 1)[0] if ':' in metric else 'k'}={k:g}"


def outcome_groups(points: Sequence[dict]) -> list[tuple[str, dict]]:
    """The distinct outcomes among a task x strategy's points (as metrics.json holds them), each with
    the stages that share it: one group with label "" when every point reads the same samples."""
    groups: dict[str, tuple[list[str], dict]] = {}
    for p in points:
        if p.get("outcomes"):
            key = repr(sorted(p["outcomes"].items()))
            groups.setdefault(key, ([], p["outcomes"]))[0].append(stage_label(p["metric"], p["k"]))
    if len(groups) == 1:
        return [("", next(iter(groups.values()))[1])]
    return [(", ".join(dict.fromkeys(labels)), outcomes) for labels, outcomes in groups.values()]
