"""Plain data passed between the stages."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    task: str
    id: str  # stable across runs: a dataset id column or the row index
    prompt: str  # the rendered user message
    gold: str  # canonical gold answer, as the task's verifier expects it
    meta: dict = field(default_factory=dict)  # level, subject, choices, ... for breakdowns and grading
    # A known correct answer (code: a reference solution) for the verifier's own use, such as measuring
    # time limits; never shown to the model, never voted with.
    reference: str | None = None
