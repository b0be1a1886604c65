"""Imports follow the data flow: metrics read plain rows and never load the store or an engine, reports
read run folders and never load the runner, and task loading has no cycle."""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _loaded_after_importing(package: str) -> set[str]:
    """Every thinkbench module a fresh interpreter holds after importing all modules of `package`."""
    code = (f"import importlib, json, pkgutil, sys, {package} as p\n"
            "for m in pkgutil.iter_modules(p.__path__):\n"
            f"    importlib.import_module('{package}.' + m.name)\n"
            "print(json.dumps(sorted(n for n in sys.modules if n.startswith('thinkbench.'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("package, forbidden", [
    ("thinkbench.harness.metrics", {"thinkbench.harness.store", "thinkbench.harness.engine"}),
    ("thinkbench.reports", {"thinkbench.harness.runner"}),
])
def test_a_package_never_loads_what_comes_before_it_in_the_data_flow(package, forbidden):
    assert _loaded_after_importing(package) & forbidden == set()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}


def test_lm_eval_tasks_build_on_the_task_spec_not_on_the_loader_that_finds_them():
    assert "thinkbench.harness.task" not in _imports(ROOT / "harness" / "lm_eval_task.py")
    assert "thinkbench.harness.task" not in _imports(ROOT / "harness" / "task_spec.py")

