"""Several GPUs, several nodes: parallel settings reach vllm.LLM as given, and the ray engine checks
its actors' settings before any actor starts."""
import sys
import types

import pytest

from thinkbench.harness.engine import build_engine
from thinkbench.harness.errors import InputError


def test_tensor_and_pipeline_parallel_settings_reach_vllm(monkeypatch):
    received = {}

    class FakeLLM:
        def __init__(self, **kwargs):
            received.update(kwargs)
            config = types.SimpleNamespace(hidden_size=64, num_hidden_layers=2, intermediate_size=128,
                                           num_attention_heads=4)
            self.llm_engine = types.SimpleNamespace(model_config=types.SimpleNamespace(hf_config=config))

        def get_tokenizer(self):
            return None

    envs = types.SimpleNamespace(disable_envs_cache=lambda: None)
    monkeypatch.setitem(sys.modules, "vllm", types.SimpleNamespace(LLM=FakeLLM, envs=envs))
    settings = {"tensor_parallel_size": 4, "pipeline_parallel_size": 2, "distributed_executor_backend": "ray"}
    engine = build_engine("vllm", "some/model", settings, seed=3)
    assert {k: received[k] for k in settings} == settings and received["seed"] == 3
    assert engine.info.extra["vllm_settings"]["tensor_parallel_size"] == 4


def test_the_ray_engine_refuses_unknown_actor_settings_before_starting_anything():
    with pytest.raises(InputError, match=r"engine.settings.vllm: unknown field 'tensor_parallel'"):
        build_engine("ray", "m", {"vllm": {"tensor_parallel": 2}}, seed=0)
    with pytest.raises(InputError, match="engine.settings.num_actors"):
        build_engine("ray", "m", {"num_actors": 0}, seed=0)
    with pytest.raises(InputError, match="'actors'"):
        build_engine("ray", "m", {"actors": 2}, seed=0)
