"""Compute accounting: what a request cost in tokens and FLOPs.

FLOPs follow the usual decoder estimate (Kaplan et al. 2020): 2N per token for the weights, plus
2 * layers * context * attention_dim for attention over the tokens before it. Prompt tokens served
from the prefix cache are not computed again, and the n samples of one request share one prefill.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from thinkbench.harness.types import CompletionRow, ModelShape
from thinkbench.harness.validate import param


@dataclass(frozen=True)
class Price:
    prompt_per_million: float = param(0.0, ge=0)
    generated_per_million: float = param(0.0, ge=0)


def _attention(shape: ModelShape, start: int, count: int) -> float:
    """Attention FLOPs for `count` tokens at positions start .. start + count - 1."""
    # sum of positions = count * start + count * (count - 1) / 2
    return 2.0 * shape.layers * shape.attention_dim * (count * start + count * (count - 1) / 2)


def prefill_flops(shape: ModelShape, prompt_tokens: int, cached_prompt_tokens: int | None) -> float:
    cached = min(cached_prompt_tokens or 0, prompt_tokens)
    computed = prompt_tokens - cached
    return 2.0 * shape.parameters * computed + _attention(shape, cached, computed)


def decode_flops(shape: ModelShape, prompt_tokens: int, generated_tokens: int) -> float:
    return 2.0 * shape.parameters * generated_tokens + _attention(shape, prompt_tokens, generated_tokens)


def cost(price: Price, prompt_tokens: float, generated_tokens: float) -> float:
    return (prompt_tokens * price.prompt_per_million + generated_tokens * price.generated_per_million) / 1e6


@dataclass(frozen=True)
class ProblemCompute:
    """One problem's request: its shared prompt and each sample's generation."""

    prompt_tokens: int
    cached_prompt_tokens: int | None
    generated: Sequence[int]

    @classmethod
    def of_pool(cls, rows: Sequence[CompletionRow]) -> ProblemCompute:
        """From one problem's samples, which share its request's prompt."""
        return cls(rows[0].prompt_tokens, rows[0].cached_prompt_tokens, [r.generated_tokens for r in rows])


def mean_compute_at_k(problems: Sequence[ProblemCompute], k: int, shape: ModelShape | None,
                      price: Price | None) -> dict[str, float | None]:
    """Mean cost per problem of a k-sample budget read from pools of n >= k samples: one prefill,
    and k samples' worth (the pool's mean per sample) of generation."""
    out: dict[str, float | None] = {"prompt_tokens": 0.0, "cached_prompt_tokens": 0.0, "generated_tokens": 0.0,
                                    "flops": 0.0 if shape else None, "cost": 0.0 if price else None}
    for p in problems:
        n = len(p.generated)
        gen = k * sum(p.generated) / n
        out["prompt_tokens"] += p.prompt_tokens
        out["generated_tokens"] += gen
        out["cached_prompt_tokens"] += p.cached_prompt_tokens or 0
        if shape:
            decode = sum(decode_flops(shape, p.prompt_tokens, g) for g in p.generated) / n
            out["flops"] += prefill_flops(shape, p.prompt_tokens, p.cached_prompt_tokens) + k * decode
        if price:
            out["cost"] += cost(price, p.prompt_tokens, gen)
    return {key: None if v is None else v / max(len(problems), 1) for key, v in out.items()}
