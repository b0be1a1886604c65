"""The run config: YAML validated once into typed objects; the CLI flags override it."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from thinkbench.harness.errors import InputError
from thinkbench.harness.metrics.compute import Price
from thinkbench.harness.reasoning import Reasoning, expand_preset
from thinkbench.harness.validate import build, read_yaml


@dataclass(frozen=True)
class TaskEntry:
    name: str  # a task name from tasks/, or a path to a task YAML file
    limit: int | None = None  # first N problems
    options: dict = field(default_factory=dict)  # overrides the task's dataset.options (hook tasks)


@dataclass(frozen=True)
class EngineConfig:
    kind: str = "vllm"
    settings: dict = field(default_factory=dict)  # passed to the engine (e.g. vllm.LLM arguments)


@dataclass(frozen=True)
class RunConfig:
    name: str = "run"
    model: str | None = None  # a local folder, a Hub id, or None for the embedded default
    seed: int = 0
    tasks: list[TaskEntry] = field(default_factory=lambda: [TaskEntry("arith")])
    strategies: list[dict] = field(default_factory=lambda: [{"name": "sample"}])  # validated by each strategy
    engine: EngineConfig = field(default_factory=EngineConfig)
    out: str | None = None  # run folder; default runs/<name>
    price: Price | None = None  # per million tokens, to put a price on every metric point
    reasoning: Reasoning | None = None  # thinking delimiters, template switch, sampling (a preset by name)


def load_run_config(path: Path | None) -> dict:
    """The raw mapping of a config file (empty without one), with shorthand expanded."""
    if path is None:
        return {}
    data = read_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top level")
    if isinstance(data.get("tasks"), list):
        data["tasks"] = [{"name": t} if isinstance(t, str) else t for t in data["tasks"]]
    if isinstance(data.get("strategies"), list):
        data["strategies"] = [{"name": s} if isinstance(s, str) else s for s in data["strategies"]]
    return data


def make_run_config(data: dict, where: str) -> RunConfig:
    if data.get("reasoning") is not None:
        data = {**data, "reasoning": expand_preset(data["reasoning"], f"{where}.reasoning")}
    config = build(RunConfig, data, where)
    if not config.tasks:
        raise InputError(f"{where}.tasks: needs at least one task")
    if not config.strategies:
        raise InputError(f"{where}.strategies: needs at least one strategy")
    return config
