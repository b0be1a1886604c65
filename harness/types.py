"""Plain data passed between the stages, for every stage to use without importing another: a problem,
a stored completion as metrics read it, and the shape of a model as compute accounting needs it."""
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


@dataclass(frozen=True)
class CompletionRow:
    """One stored sample with its verdict, as the run store returns it."""

    key: str
    sample: int
    task: str
    strategy: str
    problem_id: str
    prompt_hash: str
    text: str
    generated_tokens: int
    finish_reason: str
    extracted: str | None
    correct: bool | None
    verdict_reason: str | None
    prompt_tokens: int
    cached_prompt_tokens: int | None
    wall_seconds: float = 0.0  # of the whole request
    score: float | None = None
    compute: dict | None = None  # of the request, when it stands for more than its own tokens
    # The answer's vote group among the problem's answers (see verifiers.grading.vote_groups): answers
    # the verifier judged equivalent to each other share it. None: no answer, or not grouped yet.
    vote: str | None = None
    decided_by: str | None = None  # "rules" or "judge"; None before grading (and in older run folders)


@dataclass(frozen=True)
class ModelShape:
    parameters: int  # non-embedding parameters
    layers: int
    attention_dim: int  # heads * head_dim
