"""A recorded-like pool without a model: completions in the shape of real model output for real
problems, so grading, metrics and reports meet realistic answer variety at full scale."""
from __future__ import annotations

import random
from typing import Sequence

from thinkbench.harness.engine.base import EngineInfo, GenOutput, GenRequest, GenResult
from thinkbench.harness.types import ModelShape

_FILLER = ("First, let us restate the problem and collect what is given. We then set up the relevant "
           "equation and simplify step by step, checking each intermediate value. ")


class SyntheticEngine:
    """Answers each problem with its gold (in a few spellings), plausible wrong answers, or none."""

    def __init__(self, golds: dict[str, str]) -> None:
        self.golds = golds  # problem id -> gold answer text
        self.info = EngineInfo(kind="synthetic", model="synthetic", shape=ModelShape(100_000_000, 30, 576))

    def render(self, messages) -> str:
        return "".join(content for _, content in messages)

    def tokenize(self, text: str) -> list[int]:
        return list(range(len(text.split())))

    def detokenize(self, token_ids) -> str:
        raise NotImplementedError("the synthetic pool never continues a prompt")

    def _answer(self, gold: str, rng: random.Random) -> str | None:
        roll = rng.random()
        if roll < 0.35:
            return gold
        if roll < 0.45:
            return f"{gold}." if gold.isdigit() else f"{{{gold}}}"
        if roll < 0.90:
            if gold.lstrip("-").isdigit():
                return str(int(gold) + rng.choice([-2, -1, 1, 2, 10]))
            return rng.choice(["0", "1", "2", "\\frac{1}{2}", "\\sqrt{2}", "x + 1"])
        return None

    def generate(self, requests: Sequence[GenRequest], on_result) -> None:
        for r in requests:
            pid = r.key.split("/", 2)[2].rsplit("/", 1)[0]  # keys are task/strategy/problem id/hash
            rng = random.Random(r.key)
            outputs = []
            for _ in range(r.sampling.n):
                answer = self._answer(self.golds[pid], rng)
                text = _FILLER * rng.randint(1, 4) + (f"The final answer is $\\boxed{{{answer}}}$." if answer
                                                      else "I could not finish.")
                outputs.append(GenOutput(text=text, tokens=len(text.split()), finish_reason="stop"))
            on_result(GenResult(key=r.key, prompt_tokens=120, cached_prompt_tokens=0, outputs=tuple(outputs)))

    def close(self) -> None:
        pass
