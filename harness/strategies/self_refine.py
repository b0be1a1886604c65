"""Sequential self-refinement: the model answers, then for `rounds` rounds is shown its previous
answer and asked to check and revise it. Each round thinks (up to `thinking_tokens`) and then gives a
forced short answer; every round's answer is kept, so accuracy after each round comes from the same
chains (`round:pass@1` with k = the round, 0 being the first attempt), with the compute spent up to
that round. With `vote_over_rounds`, `round_vote:*` scores a majority vote over each chain's answers
so far (ties go to the latest round).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from thinkbench.harness.metrics.compute import Price
from thinkbench.harness.metrics.point import MetricPoint
from thinkbench.harness.metrics.stages import Attempt, Part, latest_majority, stage_points
from thinkbench.harness.strategies import register
from thinkbench.harness.strategies.base import RunContext
from thinkbench.harness.strategies.chain import Call, ChainRows, read_chains
from thinkbench.harness.strategies.thinking import (ThinkingParams, ThinkingStrategy, answer_call, first_call, shown_answer,
                                         thinking_call)
from thinkbench.harness.types import CompletionRow, ModelShape, Problem
from thinkbench.harness.validate import param


@dataclass(frozen=True)
class SelfRefineParams(ThinkingParams):
    rounds: int = param(2, ge=0)  # revisions after the first attempt
    thinking_tokens: int = param(512, ge=1)  # per round
    refine_prompt: str = param("Check your previous answer step by step. If you find a mistake, correct it. "
                               "Then state the final answer again.", nonempty=True)
    vote_over_rounds: bool = False


@dataclass
class _Chain:
    """One sample's latest round."""

    first: Call
    sample: int
    messages: tuple
    thinking: str
    think_key: str
    attempt: str = ""
    answer_key: str = ""


@register("self_refine")
class SelfRefine(ThinkingStrategy):
    Params = SelfRefineParams

    def execute(self, ctx: RunContext, problems: Sequence[Problem]) -> list[str]:
        p = self.params
        reasoning, calls = self.begin(ctx)
        firsts = [first_call(ctx, self.label(), problem, reasoning, p, p.thinking_tokens) for problem in problems]
        replies = calls.run(firsts)
        chains = [_Chain(f, s, f.messages, r.text, f.key) for f in firsts for s, r in enumerate(replies[f.key])]
        for round_ in range(p.rounds + 1):
            if round_:
                thinks = []
                for c in chains:
                    c.messages = c.first.messages + (("assistant", c.attempt), ("user", p.refine_prompt))
                    thinks.append(thinking_call(ctx, c.first, f"s{c.sample}.r{round_}.t", c.answer_key, reasoning, p,
                                                p.thinking_tokens, c.messages, settings=p.refine_prompt))
                replies = calls.run(thinks)
                for c, call in zip(chains, thinks):
                    c.thinking, c.think_key = replies[call.key][0].text, call.key
            answers = [answer_call(c.first, f"s{c.sample}.r{round_}.a", c.think_key, reasoning, p, c.messages,
                                   c.thinking) for c in chains]
            replies = calls.run(answers)
            for c, call in zip(chains, answers):
                c.attempt, c.answer_key = shown_answer(reasoning, replies[call.key][0]), call.key
        return calls.keys

    def metrics(self, rows: Sequence[CompletionRow], shape: ModelShape | None, price: Price | None
                ) -> list[MetricPoint]:
        chains = read_chains(rows)
        points = []
        for round_ in range(self.params.rounds + 1):
            attempts = {pid: _attempts(c, round_) for pid, c in chains.items()}
            points += stage_points("round", round_, {pid: [a for a, _ in att] for pid, att in attempts.items()},
                                   shape, price)
            if self.params.vote_over_rounds:
                points += stage_points("round_vote", round_,
                                       {pid: [v for _, v in att] for pid, att in attempts.items()}, shape, price)
        return points

    def final_attempts(self, chains: list[ChainRows]) -> list[Attempt]:
        return [a for c in chains for a, _ in _attempts(c, self.params.rounds)]


def _attempts(chain: ChainRows, round_: int) -> list[tuple[Attempt, Attempt]]:
    """Per sample: its answer after `round_` rounds, and the majority over its answers so far, each
    with the compute of every round up to this one."""
    out = []
    for s, row in enumerate(chain.first):
        parts, answers = [], []
        for r in range(round_ + 1):
            think = Part.of(row, thinking=True, shared=True) if r == 0 else \
                Part.of(chain.follow[f"s{s}.r{r}.t"], thinking=True)
            answers.append(chain.follow[f"s{s}.r{r}.a"])
            parts += [think, Part.of(answers[-1], thinking=False)]
        out.append((Attempt(answers[-1], tuple(parts)), Attempt(latest_majority(answers), tuple(parts))))
    return out

