"""Many nodes through Ray: requests spread with Ray Data `map_batches` over an actor pool, one
in-process vLLM engine per actor. Results stream back to this (the driver) process as batches
finish, and are handed to `on_result` here, so the run store and resuming work as with one engine.

Each `generate` call starts its actor pool (and so loads the model) afresh: this suits strategies
that send a task's whole pool in one call (sample, greedy); strategies that call the engine round
after round are better served by a fleet of `vllm serve` behind engine kind `openai`.
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Sequence

from thinkbench.harness.engine.base import EngineInfo, GenRequest, GenResult
from thinkbench.harness.engine.chat_text import TokenizerText
from thinkbench.harness.engine.local_model import local_shape
from thinkbench.harness.engine.vllm_settings import vllm_settings
from thinkbench.harness.validate import build, param

_WHERE = "engine.settings"


@dataclass(frozen=True)
class RaySettings:
    address: str | None = None  # None: a local Ray instance on this machine; "auto" or "ray://head:10001"
    num_actors: int = param(1, ge=1)  # vLLM engines, one per actor
    batch_size: int = param(16, ge=1)  # requests an actor takes at a time
    num_cpus_per_actor: float = param(1.0, ge=0)
    num_gpus_per_actor: float = param(0.0, ge=0)  # on GPUs: tensor_parallel_size x pipeline_parallel_size
    vllm: dict = param(factory=dict, check=vllm_settings)  # each actor's engine settings, as for engine kind vllm


def ray_settings(settings: dict, where: str) -> RaySettings:
    return build(RaySettings, settings, where)


class _Generator:
    """A Ray Data actor: builds its vLLM engine once, then generates batch after batch."""

    def __init__(self, model: str, settings: dict, seed: int) -> None:
        from thinkbench.harness.engine.vllm_engine import VLLMEngine

        self.engine = VLLMEngine(model=model, settings=settings, seed=seed)

    def __call__(self, batch: dict) -> dict:
        # Requests and results travel pickled: they are nested dataclasses, not table rows.
        requests = [pickle.loads(blob) for blob in batch["request"]]
        results: list[GenResult] = []
        self.engine.generate(requests, results.append)
        return {"result": [pickle.dumps(r) for r in results]}


class RayEngine(TokenizerText):
    def __init__(self, model: str, settings: dict, seed: int) -> None:
        self.settings = s = ray_settings(settings, _WHERE)
        self.model, self.seed = model, seed
        import ray

        self._started_ray = not ray.is_initialized()
        if self._started_ray:
            if s.address is None:
                ray.init(include_dashboard=False)  # a local instance with this machine's cores
            else:
                ray.init(address=s.address)
        ray.data.DataContext.get_current().enable_progress_bars = False  # our own progress line suffices
        self.info = EngineInfo(kind="ray", model=model, shape=local_shape(model), extra={
            "address": s.address, "num_actors": s.num_actors, "batch_size": s.batch_size,
            "num_gpus_per_actor": s.num_gpus_per_actor, "vllm_settings": s.vllm})

    @cached_property
    def _tokenizer(self):
        # Prompts are rendered here, on the driver, with the model's own tokenizer.
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(self.model)

    def generate(self, requests: Sequence[GenRequest], on_result: Callable[[GenResult], None]) -> None:
        import ray

        if not requests:
            return
        s = self.settings
        results = ray.data.from_items([{"request": pickle.dumps(r)} for r in requests]).map_batches(
            _Generator,
            fn_constructor_kwargs={"model": self.model, "settings": s.vllm, "seed": self.seed},
            compute=ray.data.ActorPoolStrategy(size=s.num_actors),
            batch_size=s.batch_size, num_cpus=s.num_cpus_per_actor, num_gpus=s.num_gpus_per_actor or None)
        for row in results.iter_rows():
            on_result(pickle.loads(row["result"]))

    def close(self) -> None:
        if self._started_ray:
            import ray

            ray.shutdown()
