"""Bad settings never reach the engine: every declared range of every registered strategy and scorer,
of the engines' settings and of the run config fails `thinkbench run` with one line naming the
field and exit 2, before the model is resolved or any engine is built."""
import dataclasses
import os
import signal
import time
import types
import typing

import pytest
import search_fakes  # noqa: F401  (registers the test scorer: it is walked too)
import yaml

from thinkbench.harness import runner
from thinkbench.harness.cli import main
from thinkbench.harness.config import RunConfig, TaskEntry
from thinkbench.harness.engine.openai_engine import OpenAISettings
from thinkbench.harness.engine.ray_engine import RaySettings
from thinkbench.harness.engine.vllm_settings import ModelSettings, VLLMSettings, pooling_settings, vllm_settings
from thinkbench.harness.metrics.compute import Price
from thinkbench.harness.reasoning import Reasoning
from thinkbench.harness.scorers import llm_judge, scorer_classes
from thinkbench.harness.strategies import strategy_classes
from thinkbench.harness.validate import declared_rule

NESTED = {vllm_settings: VLLMSettings, pooling_settings: ModelSettings}  # a field's check -> the class it builds

def _scalar(tp):
    """int, float, str or list of the field's type, without `| None`."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        (tp,) = [a for a in typing.get_args(tp) if a is not type(None)]
    return list if typing.get_origin(tp) is list else tp


def refused(cls) -> list[tuple[str, object, str]]:
    """(field, a value its declared rule refuses, the label the error names) for each bound, choice,
    order and non-empty rule; engine settings inside a field are walked as their own class."""
    hints = typing.get_type_hints(cls)
    defaults = {f.name: f.default if f.default is not dataclasses.MISSING else
                (f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
                for f in dataclasses.fields(cls)}
    cases = []
    for f in dataclasses.fields(cls):
        rule = declared_rule(f)
        if rule is None or not f.init:
            continue
        if rule.check in NESTED:
            cases += [(f.name, {sub: value}, f"{f.name}.{label}") for sub, value, label in refused(NESTED[rule.check])]
            continue
        kind = _scalar(hints[f.name])
        step = 0.5 if kind is float else 1
        values = []
        for key, off in (("ge", -step), ("gt", 0), ("le", step)):
            bound = getattr(rule, key)
            bound = defaults[bound] if isinstance(bound, str) else bound
            if bound is not None:
                values.append([bound + off] if kind is list else bound + off)
        if rule.choices is not None:
            values.append(["no-such-choice"] if kind is list else "no-such-choice")
        if rule.nonempty:
            values.append([] if kind is list else "")
        if rule.increasing:
            values.append([2, 1])
        if rule.distinct:
            values.append([4, 4])
        if isinstance(rule.multiple_of, str) and defaults[rule.multiple_of] > 1:
            values.append([defaults[rule.multiple_of] + 1])
        cases += [(f.name, value, f.name) for value in values]
    return cases


def _required(cls) -> dict:
    """Placeholder values for fields without a default (a scorer's model): they are never used."""
    return {f.name: "some/model" for f in dataclasses.fields(cls)
            if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}


def _cases():
    for name, cls in strategy_classes().items():
        for field, value, label in refused(cls.Params):
            yield f"strategy {name} {label}={value!r}", {"strategies": [{"name": name, field: value}]}, \
                f"strategies[0]({name}).{label}"
    for name, cls in scorer_classes().items():
        for field, value, label in refused(cls.Params):
            scorer = {"name": name, **_required(cls.Params), field: value}
            yield f"scorer {name} {label}={value!r}", {"strategies": [{"name": "best_of_n", "scorer": scorer}]}, \
                f"strategies[0](best_of_n).scorer({name}).{label}"
    engines = [("vllm", VLLMSettings, {}), ("openai", OpenAISettings, {"base_url": "http://127.0.0.1:9/v1"}),
               ("ray", RaySettings, {})]
    for kind, cls, base in engines:
        for field, value, label in refused(cls):
            yield f"engine {kind} {label}={value!r}", \
                {"engine": {"kind": kind, "settings": {**base, field: value}}}, f"engine.settings.{label}"
    for section, cls in (("reasoning", Reasoning), ("price", Price)):
        for field, value, label in refused(cls):
            yield f"{section} {label}={value!r}", {section: {field: value}}, f"{section}.{label}"
    for field, value, label in refused(TaskEntry):
        yield f"task {label}={value!r}", {"tasks": [{"name": "arith", field: value}]}, f"tasks[0].{label}"
    for field, value, label in refused(RunConfig):
        yield f"run {label}={value!r}", {field: value}, label


CASES = list(_cases())


@pytest.fixture
def nothing_loads(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("bad input reached model resolution or the engine")

    monkeypatch.setattr(runner, "resolve_model", never)
    monkeypatch.setattr(runner, "build_engine", never)
    monkeypatch.setattr(llm_judge, "build_engine", never)


def _run(capsys, *argv):
    code = main(list(argv))
    return code, capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize("case, data, field", CASES, ids=[c[0] for c in CASES])
def test_an_out_of_range_setting_fails_in_one_line_before_anything_loads(case, data, field, tmp_path, capsys,
                                                                           nothing_loads):
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"tasks": [{"name": "arith", "limit": 1}], "out": str(tmp_path / "run"),
                                      **data}))
    code, err = _run(capsys, "run", str(config))
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith(f"thinkbench: error: {config}: {field}") and ": must " in err[0], err[0]
    assert not (tmp_path / "run").exists()


def test_every_registered_strategy_and_scorer_is_walked():
    walked = {c[0].split()[1] for c in CASES if c[0].split()[0] in ("strategy", "scorer")}
    assert walked == set(strategy_classes()) | set(scorer_classes())
    assert {c[0].split()[1] for c in CASES if c[0].startswith("engine")} == {"vllm", "openai", "ray"}


@pytest.mark.parametrize("flags, field", [
    (["--n", "-1"], "strategies[0](sample).n: must be >= 1, got -1"),
    (["--n", "0", "--strategy", "best_of_n"], "strategies[0](best_of_n).n: must be >= 1, got 0"),
    (["--max-tokens", "0"], "strategies[0](sample).max_tokens: must be >= 1, got 0"),
    (["--temperature", "-1"], "strategies[0](sample).temperature: must be >= 0, got -1.0"),
    (["--limit", "-3"], "tasks[0].limit: must be >= 1, got -3"),
    (["--seed", "-1"], "seed: must be >= 0, got -1"),
])
def test_bad_flags_fail_in_one_line_naming_the_field(flags, field, capsys, nothing_loads):
    code, err = _run(capsys, "run", "--tasks", "gsm8k", *flags)
    assert code == 2 and err == [f"thinkbench: error: command line: {field}"]


def test_an_unknown_task_is_reported_before_the_model_is_resolved(capsys, nothing_loads):
    code, err = _run(capsys, "run", "--tasks", "gsm8kk")
    assert code == 2 and len(err) == 1 and "unknown task 'gsm8kk'" in err[0]


def test_an_example_config_runs_by_name(capsys, nothing_loads):
    code, err = _run(capsys, "run", "default", "--n", "0")
    assert code == 2 and err[0].endswith("configs/default.yaml: strategies[0](sample).n: must be >= 1, got 0")
    code, err = _run(capsys, "run", "nosuch")
    assert code == 2 and "nor a config that comes with thinkbench (code, default, search, thinking)" in err[0]


def test_sigterm_ends_a_run_like_ctrl_c_with_one_line(capsys, monkeypatch):
    def terminated(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)  # the signal arrives first
        raise AssertionError("SIGTERM did not interrupt the run")

    monkeypatch.setattr(runner, "run", terminated)
    before = signal.getsignal(signal.SIGTERM)
    code, err = _run(capsys, "run", "--tasks", "arith")
    assert code == 1 and err == ["thinkbench: interrupted; finished requests are in the run folder, run again to "
                                 "resume"]
    assert signal.getsignal(signal.SIGTERM) is before
