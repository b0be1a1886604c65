"""Thinking-budget sweep from one trajectory per sample: each sample thinks once, up to the largest
budget; every smaller budget takes the trajectory's first B thinking tokens, closes the thinking and
forces a short final answer (a small second call whose prompt the prefix cache mostly serves).

Budgets the thinking ended within share one answer: the one after the whole thinking. So the sweep
costs the largest budget's trajectories plus a few answer tokens per smaller budget; every point's
compute carries `sweep_generated_tokens` (the whole sweep) and `largest_budget_generated_tokens`
(the largest budget alone), both for all n samples, whose ratio `make bench` reports.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Sequence

from thinkbench.harness.metrics.compute import Price
from thinkbench.harness.metrics.lengths import BudgetTrace, overthinking
from thinkbench.harness.metrics.point import MetricPoint
from thinkbench.harness.metrics.stages import Attempt, Part, stage_compute, stage_points
from thinkbench.harness.strategies import register
from thinkbench.harness.strategies.base import RunContext
from thinkbench.harness.strategies.chain import ChainRows, read_chains
from thinkbench.harness.strategies.thinking import ThinkingParams, ThinkingStrategy, answer_call, cut_thinking, first_call
from thinkbench.harness.types import CompletionRow, ModelShape, Problem
from thinkbench.harness.validate import param


@dataclass(frozen=True)
class ThinkingBudgetParams(ThinkingParams):
    budgets: list[int] = param(factory=lambda: [128, 256, 512, 1024], nonempty=True, increasing=True,
                               ge=1)  # thinking tokens


def cut_tag(sample: int, tokens: int, finish_reason: str, budget: int) -> str:
    """Which answer a budget reads: after the whole thinking if it ended within the budget, else
    after the budget's first tokens."""
    if finish_reason != "length" and tokens <= budget:
        return f"s{sample}.end"
    return f"s{sample}.b{budget}"


@register("thinking_budget")
class ThinkingBudget(ThinkingStrategy):
    Params = ThinkingBudgetParams

    def execute(self, ctx: RunContext, problems: Sequence[Problem]) -> list[str]:
        p = self.params
        reasoning, calls = self.begin(ctx)
        firsts = [first_call(ctx, self.label(), problem, reasoning, p, p.budgets[-1]) for problem in problems]
        trajectories = calls.run(firsts)
        answers = []
        for first in firsts:
            for s, reply in enumerate(trajectories[first.key]):
                for budget in p.budgets:
                    tag = cut_tag(s, reply.tokens, reply.finish_reason, budget)
                    thinking = reply.text if tag.endswith(".end") else partial(cut_thinking, reply=reply, budget=budget)
                    answers.append(answer_call(first, tag, first.key, reasoning, p, first.messages, thinking))
        calls.run(answers)  # budgets that share an answer share its key: it is sent once
        return calls.keys

    def metrics(self, rows: Sequence[CompletionRow], shape: ModelShape | None, price: Price | None
                ) -> list[MetricPoint]:
        chains = read_chains(rows)
        if not chains:
            return []
        n = min(len(c.first) for c in chains.values())
        largest = stage_compute([_attempts(c, self.params.budgets[-1]) for c in chains.values()], n, shape, price)
        sweep = sum(r.generated_tokens for c in chains.values() for r in [*c.first, *c.follow.values()]) / len(chains)
        extra = {"sweep_generated_tokens": sweep, "largest_budget_generated_tokens": largest["generated_tokens"]}
        return [point for budget in self.params.budgets
                for point in stage_points("budget", budget, {pid: _attempts(c, budget) for pid, c in chains.items()},
                                          shape, price, extra)]

    def final_attempts(self, chains: list[ChainRows]) -> list[Attempt]:
        return [a for c in chains for a in _attempts(c, self.params.budgets[-1])]

    def lengths(self, rows: Sequence[CompletionRow]) -> dict:
        budgets = self.params.budgets
        traces = []
        for chain in read_chains(rows).values():
            at_budget = [_attempts(chain, b) for b in budgets]
            traces += [BudgetTrace(row.problem_id, [bool(att[s].answer.correct) for att in at_budget],
                                   min(row.generated_tokens, budgets[-1])) for s, row in enumerate(chain.first)]
        return {**super().lengths(rows), "overthinking": overthinking(traces, budgets)}


def _attempts(chain: ChainRows, budget: int) -> list[Attempt]:
    attempts = []
    for s, row in enumerate(chain.first):
        answer = chain.follow[cut_tag(s, row.generated_tokens, row.finish_reason, budget)]
        thinking = Part.of(row, thinking=True, shared=True, generated=min(row.generated_tokens, budget))
        attempts.append(Attempt(answer, (thinking, Part.of(answer, thinking=False))))
    return attempts


def sweep_token_ratio(points: Sequence[MetricPoint]) -> float | None:
    """Generated tokens of the whole sweep over those of its largest budget alone (None if the points
    are not a thinking-budget sweep's)."""
    for p in points:
        if p.metric.startswith("budget:") and p.compute.get("largest_budget_generated_tokens"):
            return p.compute["sweep_generated_tokens"] / p.compute["largest_budget_generated_tokens"]
    return None
