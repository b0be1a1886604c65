"""A process reward model (Qwen2.5-Math-PRM and the like) served by vLLM: one value per step.

The solution is written in the model's chat format with its step token after every step; vLLM's
step pooling returns the classifier's logits at exactly those tokens, and the probability of the
positive label is the step's value.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from thinkbench.harness.engine.vllm_settings import pooling_settings
from thinkbench.harness.scorers import register
from thinkbench.harness.scorers.base import AGGREGATIONS, ScoreCost, Scored, ScorerBase, ScoreRequest
from thinkbench.harness.scorers.pooling import PoolingModel, check_reward_model, positive, render
from thinkbench.harness.validate import param


class PRMError(RuntimeError):
    pass


@dataclass(frozen=True)
class PRMParams:
    model: str
    aggregation: str = param("last", choices=AGGREGATIONS)
    step_token: str = param("<extra_0>", nonempty=True)  # what the Qwen PRMs put after each step
    system: str | None = "Please reason step by step, and put your final answer within \\boxed{}."
    engine: dict = param(factory=dict, check=pooling_settings)  # vLLM settings for the reward model


@register("prm")
class PRM(ScorerBase):
    Params = PRMParams

    def __init__(self, params: PRMParams, where: str) -> None:
        super().__init__(params, where)
        model = check_reward_model(params.model, lambda a: a.endswith("ProcessRewardModel"),
                                   "a process reward model", where)
        self._pool = PoolingModel(model, params.engine, 0)

    def score(self, requests: Sequence[ScoreRequest]) -> list[Scored]:
        tokenizer = self._pool.tokenizer()
        token = self.params.step_token
        tag = tokenizer.convert_tokens_to_ids(token)
        if tag is None or tag == tokenizer.unk_token_id:
            raise PRMError(f"{self.where}.step_token: {token!r} is not a token of {self.params.model}")
        texts = []
        for r in requests:
            # A step that happens to contain the step token would add a row; take it out.
            steps = [s.replace(token, " ") for s in r.steps()]
            texts.append(render(tokenizer, self.params.system, r.question, token.join(steps) + token))
        out = []
        for r, result in zip(requests, self._pool.encode(texts, "token_classify", step_tag_id=tag)):
            rows = result.outputs.data.tolist()
            if len(rows) != len(r.steps()):
                raise PRMError(f"{self.where}: the model returned {len(rows)} step values for {len(r.steps())} steps")
            out.append(Scored(tuple(positive(row) for row in rows),
                              ScoreCost.of_call(self._pool.shape, len(result.prompt_token_ids),
                                                getattr(result, "num_cached_tokens", 0))))
        return out

    def close(self) -> None:
        self._pool.close()
