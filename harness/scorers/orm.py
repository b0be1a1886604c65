"""An outcome reward model served by vLLM: one value for a whole solution.

Reward heads (`*ForRewardModel`, a value per token: the last token's is the solution's) and
sequence classifiers (`*ForSequenceClassification`) both work; the value is the probability of the
positive label (a sigmoid of a single reward logit).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from thinkbench.harness.engine.vllm_settings import pooling_settings
from thinkbench.harness.scorers import register
from thinkbench.harness.scorers.base import ScoreCost, Scored, ScorerBase, ScoreRequest
from thinkbench.harness.scorers.pooling import PoolingModel, check_reward_model, positive, render
from thinkbench.harness.validate import param


def _is_outcome_model(architecture: str) -> bool:
    return (architecture.endswith("RewardModel") and not architecture.endswith("ProcessRewardModel")) or \
        architecture.endswith("ForSequenceClassification")


@dataclass(frozen=True)
class ORMParams:
    model: str
    system: str | None = None
    engine: dict = param(factory=dict, check=pooling_settings)  # vLLM settings for the reward model


@register("orm")
class ORM(ScorerBase):
    Params = ORMParams

    def __init__(self, params: ORMParams, where: str) -> None:
        super().__init__(params, where)
        model = check_reward_model(params.model, _is_outcome_model, "an outcome reward model", where)
        self._pool = PoolingModel(model, params.engine, 0)

    def score(self, requests: Sequence[ScoreRequest]) -> list[Scored]:
        tokenizer = self._pool.tokenizer()
        texts = [render(tokenizer, self.params.system, r.question, "\n\n".join(r.steps())) for r in requests]
        out = []
        for result in self._pool.encode(texts):
            data = result.outputs.data
            logits = (data[-1] if data.dim() == 2 else data).tolist()  # per-token heads: the last token
            out.append(Scored((positive(logits),), ScoreCost.of_call(
                self._pool.shape, len(result.prompt_token_ids), getattr(result, "num_cached_tokens", 0))))
        return out

    def close(self) -> None:
        self._pool.close()
