"""`thinkbench run --rerun RUN_DIR` repeats a run from its folder alone."""
import json

from fakes import FakeEngine

from thinkbench.harness import runner
from thinkbench.harness.cli import main


def test_rerun_repeats_the_config_into_a_new_folder_with_the_same_results(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "build_engine", lambda *a, **k: FakeEngine())
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    first = tmp_path / "first"
    assert main(["run", "--tasks", "arith", "--limit", "4", "--n", "4", "--model", str(model),
                 "--out", str(first)]) == 0
    assert main(["run", "--rerun", str(first)]) == 0
    again = tmp_path / "first-rerun"
    def results(run_dir):
        return [{k: v for k, v in r.items() if k != "generation_seconds"}
                for r in json.loads((run_dir / "metrics.json").read_text())["results"]]

    assert results(again) == results(first)
    assert (again / "config.yaml").read_text().replace(str(again), "") == \
        (first / "config.yaml").read_text().replace(str(first), "")
