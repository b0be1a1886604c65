"""`pip install` works outside the checkout: the wheel installed into a fresh venv finds its tasks,
configs and hooks from another folder, and runs a small arith run on the real engine.

The run's engine is the session's `vllm serve` (the run is another process, so the in-process
session engine cannot serve it, and an engine of its own would cost a start): no engine start, and at
most 2 problems x 2 samples x 16 tokens = 64 generated tokens.
"""
import json
import subprocess

import yaml

from installed import ROOT, clean_env, site_packages


def _in(folder, *argv):
    return subprocess.run(argv, cwd=folder, env=clean_env(), capture_output=True, text=True, timeout=300)


def test_the_installed_command_finds_its_tasks_and_configs_from_another_folder(installed, tmp_path):
    where = _in(tmp_path, installed / "python", "-c", "import thinkbench.harness as h; print(h.__file__)")
    assert where.stdout.startswith(str(installed.parent)), where.stdout + where.stderr
    for name in ("harness", "verifiers", "reports"):
        assert _in(tmp_path, installed / "python", "-c", f"import {name}").returncode == 1

    tasks = _in(tmp_path, installed / "thinkbench", "tasks")
    assert tasks.returncode == 0, tasks.stderr
    listed = {line.split()[0]: line.split()[1] for line in tasks.stdout.splitlines()}
    assert set(listed) == {p.stem for p in (ROOT / "tasks").glob("*.yaml")} and listed["arith"] == "30"

    # An example config by name, from the installed package; bad input stops before any model loads.
    bad = _in(tmp_path, installed / "thinkbench", "run", "default", "--n", "0")
    assert bad.returncode == 2 and bad.stderr.strip() == (
        f"thinkbench: error: {site_packages(installed)}/thinkbench/configs/"
        "default.yaml: strategies[0](sample).n: must be >= 1, got 0")


def test_the_installed_sandbox_hides_the_package_and_the_working_folder(installed, tmp_path):
    # Where the jail mounts empty folders over them (tests/unit/test_sandbox.py checks that it does).
    code = "import json, thinkbench.harness.sandbox as s; print(json.dumps([str(s._REPO_ROOT), s._hidden_dirs()]))"
    out = _in(tmp_path, installed / "python", "-c", code)
    root, hidden = json.loads(out.stdout)
    assert root == str(site_packages(installed) / "thinkbench"), out.stderr
    assert {root, str(tmp_path)} <= set(hidden)


def test_an_installed_wheel_runs_a_small_arith_run_from_another_folder(installed, vllm_server, tmp_path):
    served = {"engine": {"kind": "openai", "settings": {"base_url": vllm_server.base_url,
                                                         "extra_body": {"return_token_ids": True}}}}
    (tmp_path / "served.yaml").write_text(yaml.safe_dump(served))
    done = subprocess.run([installed / "thinkbench", "run", "served.yaml", "--tasks", "arith", "--limit", "2",
                           "--n", "2", "--max-tokens", "16", "--out", "run"],
                          cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "run" / "report.html").stat().st_size > 0
    (result,) = json.loads((tmp_path / "run" / "metrics.json").read_text())["results"]
    assert (result["task"], result["problems"], result["samples"]) == ("arith", 2, 4)
