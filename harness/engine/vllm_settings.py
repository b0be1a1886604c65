"""What a run config may pass to an in-process vLLM engine (arguments of `vllm.LLM`, plus our own
`kv_cache_gib`), with types and ranges, so a bad value fails before any model is loaded. Reward
models' pooling engines take the per-model part."""
from __future__ import annotations

from dataclasses import dataclass, fields

from thinkbench.harness.validate import build, param

DTYPES = ("auto", "half", "float16", "bfloat16", "float", "float32")  # vLLM's ModelDType
EXECUTOR_BACKENDS = ("mp", "ray", "uni", "external_launcher")  # vLLM's DistributedExecutorBackend


@dataclass(frozen=True)
class ModelSettings:
    """Settings of one model's engine on one machine; None: vLLM's (or thinkbench's) default."""

    max_model_len: int | None = param(None, ge=1)
    dtype: str | None = param(None, choices=DTYPES)
    enforce_eager: bool | None = None
    max_num_seqs: int | None = param(None, ge=1)
    gpu_memory_utilization: float | None = param(None, gt=0, le=1)
    trust_remote_code: bool | None = None
    kv_cache_gib: float | None = param(None, gt=0)  # on the CPU: the KV cache in GiB (VLLM_CPU_KVCACHE_SPACE)


@dataclass(frozen=True)
class VLLMSettings(ModelSettings):
    """The policy's engine, which may also span devices and nodes."""

    tensor_parallel_size: int | None = param(None, ge=1)
    pipeline_parallel_size: int | None = param(None, ge=1)
    enable_chunked_prefill: bool | None = None
    max_num_batched_tokens: int | None = param(None, ge=1)
    # "ray" for a model split over several nodes, "mp" on one
    distributed_executor_backend: str | None = param(None, choices=EXECUTOR_BACKENDS)


LLM_SETTINGS = frozenset(f.name for f in fields(VLLMSettings))
POOLING_SETTINGS = frozenset(f.name for f in fields(ModelSettings))


def vllm_settings(settings: dict, where: str) -> None:
    build(VLLMSettings, settings, where)


def pooling_settings(settings: dict, where: str) -> None:
    build(ModelSettings, settings, where)
