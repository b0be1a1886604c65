"""Budget forcing (s1: Muennighoff et al. 2025, "s1: Simple test-time scaling").

Maximum: thinking stops at `max_thinking_tokens`; the thinking is then closed and the answer cue
appended, forcing a final answer. Minimum: when the model ends its thinking (the closing delimiter,
a stop string here, or the end of its output) before `min_thinking_tokens`, the end is dropped and
`wait_text` appended, and the thinking continues (a new call on the same prefix), at most `max_waits`
times. The answer is forced after each stage too, so accuracy is reported for 0, 1, ... `max_waits`
Waits from the same trajectories (`waits:pass@1` with k = the number of Waits).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from thinkbench.harness.metrics.compute import Price
from thinkbench.harness.metrics.point import MetricPoint
from thinkbench.harness.metrics.stages import Attempt, Part, stage_points
from thinkbench.harness.strategies import register
from thinkbench.harness.strategies.base import RunContext
from thinkbench.harness.strategies.chain import Call, ChainRows, read_chains
from thinkbench.harness.strategies.thinking import ThinkingParams, ThinkingStrategy, answer_call, first_call, thinking_call
from thinkbench.harness.types import CompletionRow, ModelShape, Problem
from thinkbench.harness.validate import param


@dataclass(frozen=True)
class BudgetForcingParams(ThinkingParams):
    max_thinking_tokens: int = param(1024, ge=1)
    # None: the whole maximum (every end of thinking gets a Wait)
    min_thinking_tokens: int | None = param(None, ge=0, le="max_thinking_tokens")
    wait_text: str = param("\nWait", nonempty=True)
    max_waits: int = param(2, ge=0)

    @property
    def minimum(self) -> int:
        return self.max_thinking_tokens if self.min_thinking_tokens is None else self.min_thinking_tokens


@dataclass
class _Trace:
    """One sample's thinking so far."""

    first: Call
    sample: int
    text: str
    tokens: int
    finish_reason: str
    last_key: str  # the call that produced the latest thinking
    waits: int = 0


@register("budget_forcing")
class BudgetForcing(ThinkingStrategy):
    Params = BudgetForcingParams

    def execute(self, ctx: RunContext, problems: Sequence[Problem]) -> list[str]:
        p = self.params
        reasoning, calls = self.begin(ctx)
        firsts = [first_call(ctx, self.label(), problem, reasoning, p, p.max_thinking_tokens) for problem in problems]
        replies = calls.run(firsts)
        changed = [_Trace(f, s, r.text, r.tokens, r.finish_reason, f.key)
                   for f in firsts for s, r in enumerate(replies[f.key])]
        while changed:
            # Each trace that just grew gets its answer; those under the minimum also get a Wait and
            # more thinking, in the same batch (both only read the thinking so far).
            answers = [answer_call(t.first, f"s{t.sample}.w{t.waits}.a", t.last_key, reasoning, p, t.first.messages,
                                   t.text) for t in changed]
            growing = [t for t in changed if self._needs_wait(t)]
            more = [thinking_call(ctx, t.first, f"s{t.sample}.w{t.waits + 1}", t.last_key, reasoning, p,
                                  p.max_thinking_tokens - t.tokens, t.first.messages, t.text + p.wait_text,
                                  appended=p.wait_text, settings=p.wait_text) for t in growing]
            replies = calls.run(answers + more)
            for t, call in zip(growing, more):
                (reply,) = replies[call.key]
                t.text += p.wait_text + reply.text
                t.tokens += reply.tokens
                t.finish_reason, t.last_key, t.waits = reply.finish_reason, call.key, t.waits + 1
            changed = growing
        return calls.keys

    def _needs_wait(self, t: _Trace) -> bool:
        p = self.params
        return t.finish_reason != "length" and t.tokens < p.minimum and t.waits < p.max_waits

    def metrics(self, rows: Sequence[CompletionRow], shape: ModelShape | None, price: Price | None
                ) -> list[MetricPoint]:
        chains = read_chains(rows)
        return [point for waits in range(self.params.max_waits + 1)
                for point in stage_points("waits", waits, {pid: _attempts(c, waits) for pid, c in chains.items()},
                                          shape, price)]

    def final_attempts(self, chains: list[ChainRows]) -> list[Attempt]:
        return [a for c in chains for a in _attempts(c, self.params.max_waits)]


def _attempts(chain: ChainRows, waits: int) -> list[Attempt]:
    """Each sample's answer after at most `waits` Waits: a sample that stopped growing earlier keeps
    the answer of its last stage."""
    attempts = []
    for s, row in enumerate(chain.first):
        parts = [Part.of(row, thinking=True, shared=True)]
        reached = 0
        while reached < waits and (segment := chain.follow.get(f"s{s}.w{reached + 1}")) is not None:
            parts.append(Part.of(segment, thinking=True))
            reached += 1
        answer = chain.follow[f"s{s}.w{reached}.a"]
        attempts.append(Attempt(answer, (*parts, Part.of(answer, thinking=False))))
    return attempts
