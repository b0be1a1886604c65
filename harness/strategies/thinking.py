"""What the thinking strategies share: the prompt that opens the thinking, the first request of n
samples, continuing a sample's thinking, and closing it to force a short final answer.

Stored texts say what they are: thinking rows start with the opening delimiter (graders see thinking
that never closed: no answer), answer rows start with the answer cue (graders see the answer alone).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable, ClassVar, Sequence

from thinkbench.harness.engine.base import Engine, SamplingSpec
from thinkbench.harness.errors import InputError
from thinkbench.harness.metrics.stages import Attempt, attempt_lengths
from thinkbench.harness.reasoning import Reasoning
from thinkbench.harness.strategies.base import RunContext, derive_seed, prompt_hash
from thinkbench.harness.strategies.chain import Call, Calls, ChainRows, Reply, follow_key, read_chains
from thinkbench.harness.types import CompletionRow, Problem
from thinkbench.harness.validate import param


@dataclass(frozen=True)
class ThinkingParams:
    """Parameters every thinking strategy has."""

    n: int = param(4, ge=1)  # trajectories per problem
    temperature: float | None = param(None, ge=0)  # None: the run's reasoning settings
    top_p: float | None = param(None, gt=0, le=1)
    answer_tokens: int = param(32, ge=1)  # the most tokens of a forced final answer


class ThinkingStrategy:
    """Base of the strategies in this family: one Calls per execute, the run's reasoning settings."""

    name: ClassVar[str]

    def __init__(self, params: ThinkingParams) -> None:
        self.params = params

    def label(self) -> str:
        return self.name

    def begin(self, ctx: RunContext) -> tuple[Reasoning, Calls]:
        reasoning = ctx.reasoning or Reasoning()

        def start(engine: Engine, messages: tuple) -> str:
            return thinking_start(engine, reasoning, messages)

        return reasoning, Calls(ctx, self.label(), start)

    def final_attempts(self, chains: list[ChainRows]) -> list[Attempt]:
        """Every sample's attempt at the strategy's last stage (largest budget, most waits, last round)."""
        raise NotImplementedError

    def lengths(self, rows: Sequence[CompletionRow]) -> dict:
        return attempt_lengths(self.final_attempts(list(read_chains(rows).values())))


def chat(problem: Problem, reasoning: Reasoning) -> tuple[tuple[str, str], ...]:
    system = (("system", reasoning.system_prompt),) if reasoning.system_prompt else ()
    return system + (("user", problem.prompt),)


def thinking_start(engine: Engine, reasoning: Reasoning, messages: tuple) -> str:
    """The chat rendered for the assistant's turn, with the thinking opened (unless the template
    opens it itself, as newer DeepSeek-R1 templates do)."""
    kwargs = reasoning.template_kwargs
    if kwargs and "template_kwargs" not in inspect.signature(engine.render).parameters:
        raise InputError(f"reasoning.template_kwargs: the {engine.info.kind} engine cannot pass arguments to "
                         "the chat template")
    rendered = engine.render(messages, kwargs) if kwargs else engine.render(messages)
    tail = rendered.rstrip()
    if tail.endswith(reasoning.think_close):
        raise InputError("reasoning.template_kwargs: the chat template closes the thinking before the model "
                         "starts (thinking switched off?); thinking strategies need it on")
    return rendered if tail.endswith(reasoning.think_open) else rendered + reasoning.think_open + "\n"


def thinking_sampling(params: ThinkingParams, reasoning: Reasoning, n: int, max_tokens: int,
                      seed: int) -> SamplingSpec:
    """Thinking stops at the closing delimiter, so every budget is a count of thinking tokens."""
    return SamplingSpec(n=n, max_tokens=max_tokens, seed=seed, stop=(reasoning.think_close,),
                        temperature=reasoning.temperature if params.temperature is None else params.temperature,
                        top_p=reasoning.top_p if params.top_p is None else params.top_p)


def first_call(ctx: RunContext, label: str, problem: Problem, reasoning: Reasoning, params: ThinkingParams,
               max_tokens: int) -> Call:
    """The chain's first request: n samples of thinking, up to `max_tokens`."""
    messages = chat(problem, reasoning)
    seed = derive_seed(ctx.seed, problem.task, problem.id)
    sampling = thinking_sampling(params, reasoning, params.n, max_tokens, seed)
    # What shapes this request besides its sampling: the chat, the template switch and the prefill.
    shape = (messages, reasoning.template_kwargs, reasoning.think_open)
    key = f"{problem.task}/{label}/{problem.id}/{prompt_hash(shape, sampling, ctx.model)}"
    return Call(key, problem, messages, sampling, shown=reasoning.think_open)


def thinking_call(ctx: RunContext, first: Call, tag: str, after: str, reasoning: Reasoning, params: ThinkingParams,
                  max_tokens: int, messages: tuple, continuation: str = "", appended: str = "",
                  settings: object = None) -> Call:
    """More thinking for one sample, up to `max_tokens` tokens: after the thinking start of `messages`
    it continues `continuation`, which ends with `appended` (text we added, such as "Wait"). `after`
    is the key of the call this one builds on: its key changes whenever anything upstream does."""
    sampling = thinking_sampling(params, reasoning, 1, max_tokens,
                                 derive_seed(ctx.seed, first.problem.task, first.problem.id, tag))
    key = follow_key(first.key, tag, {"after": after, "sampling": sampling, "settings": settings})
    return Call(key, first.problem, messages, sampling, continuation, reasoning.think_open + appended)


def answer_call(first: Call, tag: str, after: str, reasoning: Reasoning, params: ThinkingParams, messages: tuple,
                thinking: str | Callable[[Engine], str]) -> Call:
    """Close the thinking, append the answer cue and let the model say its final answer (greedy: it
    reads the answer off the thinking, and sampling it would add noise the thinking did not cause)."""
    sampling = SamplingSpec(n=1, temperature=0.0, max_tokens=params.answer_tokens,
                            stop=tuple(reasoning.answer_stop))
    suffix = reasoning.think_close + reasoning.answer_cue
    key = follow_key(first.key, tag, {"after": after, "sampling": sampling, "suffix": suffix})
    continuation = (lambda engine: thinking(engine) + suffix) if callable(thinking) else thinking + suffix
    return Call(key, first.problem, messages, sampling, continuation, reasoning.answer_cue)


def cut_thinking(engine: Engine, reply: Reply, budget: int) -> str:
    """The text of a trajectory's first `budget` tokens (the engine's own ids when generated in this
    invocation, else the stored text tokenized again)."""
    ids = reply.token_ids if reply.token_ids is not None else engine.tokenize(reply.text)
    text = engine.detokenize(list(ids[:budget]))
    # Tokens past the returned text are the closing delimiter the thinking stopped on: not thinking.
    return reply.text if text.startswith(reply.text) else text


def shown_answer(reasoning: Reasoning, reply: Reply) -> str:
    """A forced answer as the model said it, cue included."""
    return (reasoning.answer_cue + reply.text).strip()
