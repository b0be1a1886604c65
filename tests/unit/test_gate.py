"""`thinkbench gate`: exit 0 for a run against itself, 1 for a significant drop beyond the
tolerance, 2 for bad input such as different problem sets."""
import json
import xml.etree.ElementTree as ET

import pytest
from run_folders import answering, arith_golds, fake_run

from thinkbench.harness.cli import main

PER_LEVEL = 5  # 15 problems
STRATEGIES = [{"name": "greedy"}, {"name": "sample", "n": 4}]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("gate")

    def made(name, right):
        return fake_run(root, name, per_level=PER_LEVEL, strategies=STRATEGIES, engine=answering(PER_LEVEL, right))

    first = next(iter(arith_golds(PER_LEVEL)))
    return {
        "good": made("good", lambda prompt, i: True),
        "bad": made("bad", lambda prompt, i: False),
        # Wrong on one problem of 15: a drop of 0.067, beyond 0.02 but far from significant.
        "slip": made("slip", lambda prompt, i: prompt != first),
        "other": fake_run(root, "other", per_level=PER_LEVEL + 1, strategies=STRATEGIES),
    }


def _gate(baseline, candidate, *extra):
    return main(["gate", "--baseline", str(baseline), "--candidate", str(candidate), *extra])


def test_a_run_against_itself_passes(runs, capsys):
    assert _gate(runs["good"], runs["good"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("PASS: 0 significant drop(s)")
    suite = ET.parse(runs["good"] / "gate.xml").getroot().find("testsuite")
    assert suite.get("failures") == "0" and int(suite.get("tests")) > 0


def test_a_significant_drop_fails_with_junit_and_markdown(runs, tmp_path, capsys):
    junit, md = tmp_path / "gate.xml", tmp_path / "gate.md"
    assert _gate(runs["good"], runs["bad"], "--junit", str(junit), "--markdown", str(md)) == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    failed = {case.get("classname") + " " + case.get("name") for case in suite.iter("testcase")
              if case.find("failure") is not None}
    assert "arith.greedy accuracy" in failed and "arith.sample pass@1" in failed
    text = md.read_text()
    assert text.startswith("## thinkbench gate: **FAIL**") and "McNemar, Holm p=" in text


def test_a_drop_beyond_tolerance_that_is_not_significant_passes(runs, capsys):
    assert _gate(runs["good"], runs["slip"]) == 0
    out = capsys.readouterr().out
    assert "not significant" in out


def test_a_large_tolerance_passes_even_a_significant_drop(runs):
    assert _gate(runs["good"], runs["bad"], "--max-drop", "1.0") == 0


def test_a_saved_baseline_json_gates_like_its_run_folder(runs, tmp_path):
    baseline = tmp_path / "baseline.json"
    assert main(["gate", "--save-baseline", str(baseline), "--candidate", str(runs["good"])]) == 0
    data = json.loads(baseline.read_text())
    assert data["tasks"]["arith"]["problems_sha256"] and baseline.stat().st_size < 50_000
    assert _gate(baseline, runs["good"]) == 0
    assert _gate(baseline, runs["bad"]) == 1


def test_different_problem_sets_are_bad_input(runs, capsys):
    assert _gate(runs["good"], runs["other"]) == 2
    err = capsys.readouterr().err.strip()
    assert "different problem sets" in err and "\n" not in err


@pytest.mark.parametrize("extra", [["--alpha", "1.5"], ["--max-drop", "-0.1"]])
def test_settings_out_of_range_are_bad_input(runs, extra):
    assert _gate(runs["good"], runs["good"], *extra) == 2


def test_a_missing_baseline_is_bad_input(runs, tmp_path):
    assert _gate(tmp_path / "nowhere.json", runs["good"]) == 2
    assert main(["gate", "--candidate", str(runs["good"])]) == 2


def test_a_folder_holding_samples_of_several_runs_is_gated_on_its_last_run(tmp_path, capsys):
    reused = fake_run(tmp_path, "reused", per_level=4)
    fake_run(tmp_path, "reused", per_level=2)  # same folder: the store keeps the first run's samples
    fresh = fake_run(tmp_path, "fresh", per_level=2)
    assert _gate(fresh, reused, "--max-drop", "0") == 0
