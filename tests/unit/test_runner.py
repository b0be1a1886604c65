"""The runner's bookkeeping with a fake engine: resume, reuse, metrics from one pool."""
import pytest
from fakes import FakeEngine

from thinkbench.harness.config import make_run_config
from thinkbench.harness.runner import run


def _config(tmp_path, n=4, per_level=3, strategies=None, out="run"):
    return make_run_config({
        "name": "t", "model": str(_model_dir(tmp_path)), "out": str(tmp_path / out),
        "tasks": [{"name": "arith", "options": {"levels": [1], "per_level": per_level}}],
        "strategies": strategies or [{"name": "sample", "n": n}],
    }, "test")


def _model_dir(tmp_path):
    d = tmp_path / "model"
    d.mkdir(exist_ok=True)
    (d / "config.json").write_text("{}")
    return d


class Dies(Exception):
    pass


class DyingEngine(FakeEngine):
    """Finishes `survive` requests, then dies like a killed process would."""

    def __init__(self, survive):
        super().__init__()
        self.survive = survive

    def generate(self, requests, on_result):
        def counted(result):
            if self.survive == 0:
                raise Dies()
            self.survive -= 1
            on_result(result)

        super().generate(requests, counted)


def test_a_second_run_reuses_every_finished_request(tmp_path):
    config = _config(tmp_path)
    first = run(config, None, tmp_path / "run", engine=FakeEngine())
    engine = FakeEngine()
    second = run(config, None, tmp_path / "run", engine=engine)
    assert engine.calls == []
    assert second.results[0].reused_requests == 3 and second.results[0].generated_requests == 0
    assert second.results[0].points == first.results[0].points


def test_an_interrupted_run_regenerates_only_what_was_missing(tmp_path):
    config = _config(tmp_path, per_level=5)
    with pytest.raises(Dies):
        run(config, None, tmp_path / "run", engine=DyingEngine(survive=2))
    engine = FakeEngine()
    resumed = run(config, None, tmp_path / "run", engine=engine)
    assert len(engine.calls[0]) == 3
    assert resumed.results[0].reused_requests == 2
    uninterrupted = run(_config(tmp_path, per_level=5, out="other"), None, tmp_path / "other", engine=FakeEngine())
    assert resumed.results[0].points == uninterrupted.results[0].points


def test_pool_metrics_cover_every_power_of_two_up_to_n(tmp_path):
    result = run(_config(tmp_path, n=6), None, tmp_path / "run", engine=FakeEngine()).results[0]
    assert sorted({(p.metric, p.k) for p in result.points}) == sorted(
        [(m, k) for m in ("pass@k", "maj@k") for k in (1, 2, 4, 6)])
    pass_values = [p.value for p in result.points if p.metric == "pass@k"]
    assert pass_values == sorted(pass_values)
    for p in result.points:
        assert p.low <= p.value <= p.high


def test_fake_answers_are_graded_against_the_gold(tmp_path):
    # The fake engine answers 0, 1 or 2; one-digit sums are at least 2, so only "2" can be right.
    result = run(_config(tmp_path, n=8, per_level=10), None, tmp_path / "run", engine=FakeEngine()).results[0]
    assert result.samples == 80 and result.no_answer_rate == 0


def test_greedy_reports_accuracy_only(tmp_path):
    result = run(_config(tmp_path, strategies=[{"name": "greedy"}]), None, tmp_path / "run",
                 engine=FakeEngine()).results[0]
    assert [(p.metric, p.k) for p in result.points] == [("accuracy", 1)]
    assert result.samples == 3


def test_progress_bars_count_the_engine_requests_of_each_task_and_strategy(tmp_path, capsys):
    strategies = [{"name": "sample", "n": 2}, {"name": "best_of_n", "n": 2, "scorer": {"name": "llm_judge"}}]
    run(_config(tmp_path, per_level=3, strategies=strategies), None, tmp_path / "run", engine=FakeEngine())
    err = capsys.readouterr().err
    last = {label: line for line in err.replace("\r", "\n").splitlines() for label in ("arith/sample", "arith/best_of_n")
            if line.startswith(label)}
    assert "3/3" in last["arith/sample"] and "tok/s" in last["arith/sample"]
    # The judge's questions go to the same engine: sent and done alike.
    done, total = last["arith/best_of_n"].split("|")[2].split()[0].split("/")
    assert done == total and int(total) > 3
