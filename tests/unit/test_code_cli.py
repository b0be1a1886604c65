"""Code tasks without bubblewrap: a one-line refusal naming the package, unless --unsafe-no-sandbox."""
import json

import pytest

from thinkbench.harness import sandbox
from thinkbench.harness.cli import main
from thinkbench.verifiers.code_gold import function_gold

GOLD = function_gold(["assert add(1, 2) == 3"])


@pytest.fixture
def no_bwrap(monkeypatch):
    monkeypatch.setattr(sandbox, "BWRAP", "/nonexistent/bwrap")
    monkeypatch.setattr(sandbox, "_unsafe_allowed", False)


@pytest.fixture
def predictions(tmp_path):
    path = tmp_path / "preds.jsonl"
    rows = [{"completion": "```python\ndef add(a, b):\n    return a + b\n```", "gold": GOLD},
            {"completion": "```python\ndef add(a, b):\n    return a - b\n```", "gold": GOLD}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_without_bubblewrap_code_tasks_are_refused_in_one_line(no_bwrap, predictions, tmp_path, capsys):
    code = main(["score", "--task", "mbpp", "--predictions", str(predictions), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "apt-get install bubblewrap" in err and "--unsafe-no-sandbox" in err
    assert not (tmp_path / "out").exists()


def test_unsafe_no_sandbox_warns_and_runs_the_code(no_bwrap, predictions, tmp_path, capsys):
    code = main(["score", "--task", "mbpp", "--predictions", str(predictions), "--out", str(tmp_path / "out"),
                 "--unsafe-no-sandbox"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "WITHOUT a jail" in err
    assert "1/2 correct" in out
    verdicts = [json.loads(line) for line in (tmp_path / "out" / "verdicts.jsonl").read_text().splitlines()]
    assert [v["correct"] for v in verdicts] == [True, False]


def test_the_flag_is_accepted_by_run():
    from thinkbench.harness.cli import parser

    assert parser().parse_args(["run", "--unsafe-no-sandbox"]).unsafe_no_sandbox
