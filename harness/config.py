"""The run config: YAML validated once into typed objects; the CLI flags override it."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from thinkbench.harness.engine import ENGINE_KINDS, check_engine_settings
from thinkbench.harness.errors import InputError
from thinkbench.harness.metrics.compute import Price
from thinkbench.harness.reasoning import Reasoning, expand_preset
from thinkbench.harness.strategies import check_strategy
from thinkbench.harness.validate import build, packaged, param, read_yaml
from thinkbench.verifiers.judge import JudgeSpec


@dataclass(frozen=True)
class TaskEntry:
    name: str  # a task name from tasks/, or a path to a task YAML file
    limit: int | None = param(None, ge=1)  # first N problems
    options: dict = field(default_factory=dict)  # overrides the task's dataset.options (hook tasks)


@dataclass(frozen=True)
class EngineConfig:
    kind: str = param("vllm", choices=ENGINE_KINDS)
    settings: dict = field(default_factory=dict)  # passed to the engine (e.g. vllm.LLM arguments)


def _check_engine(engine: EngineConfig, where: str) -> None:
    check_engine_settings(engine.kind, engine.settings, f"{where}.settings")


@dataclass(frozen=True)
class RunConfig:
    name: str = "run"
    model: str | None = None  # a local folder, a Hub id, or None for the embedded default
    seed: int = param(0, ge=0, le=2**32 - 1)  # the engine seeds numpy with it
    tasks: list[TaskEntry] = param(factory=lambda: [TaskEntry("arith")], nonempty=True)
    # {name: ..., <the strategy's own parameters>}, checked against the strategy's Params
    strategies: list[dict] = param(factory=lambda: [{"name": "sample"}], nonempty=True, check=check_strategy)
    engine: EngineConfig = param(factory=EngineConfig, check=_check_engine)
    out: str | None = None  # run folder; default runs/<name>
    price: Price | None = None  # per million tokens, to put a price on every metric point
    reasoning: Reasoning | None = None  # thinking delimiters, template switch, sampling (a preset by name)
    judge: JudgeSpec | None = None  # a model asked about answers the rules reject; off when absent


def config_file(name_or_path: str) -> Path:
    """A run config by path, or one that comes with thinkbench by name (`default`, `search`, ...)."""
    path = Path(name_or_path)
    if path.exists() or path.suffix in (".yaml", ".yml"):
        return path
    known = packaged("configs")
    if name_or_path not in known:
        raise InputError(f"no run config {name_or_path!r}: not a file, nor a config that comes with thinkbench "
                         f"({', '.join(known)})")
    return known[name_or_path]


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


def make_run_config(data: dict, source: str) -> RunConfig:
    """The checked config; `source` (a file, "command line") leads every error line."""
    try:
        if data.get("reasoning") is not None:
            data = {**data, "reasoning": expand_preset(data["reasoning"], "reasoning")}
        return build(RunConfig, data, "")
    except InputError as e:
        raise InputError(f"{source}: {e}") from None
