"""The wheel carries every file of the design card's folders (task files and hooks, example configs,
report templates) under one namespace of our own (the installed wheel at work:
tests/integration/test_installed_wheel.py)."""
import zipfile

from installed import ROOT

FOLDERS = ("harness", "verifiers", "reports", "tasks", "configs")


def test_the_wheel_carries_every_file_of_its_folders_under_thinkbench(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    top = {n.split("/")[0] for n in names}
    assert top == {"thinkbench", wheel.name.split("-py3")[0] + ".dist-info"}  # no harness/, verifiers/, reports/
    assert "thinkbench/__init__.py" not in names  # a namespace package: other distributions may share it
    expected = {f"thinkbench/{p.relative_to(ROOT)}" for folder in FOLDERS for p in (ROOT / folder).rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}
    assert {"thinkbench/tasks/arith.yaml", "thinkbench/tasks/arith.py", "thinkbench/configs/default.yaml",
            "thinkbench/reports/templates/sections/summary.html.j2"} <= expected
    assert expected <= names, sorted(expected - names)
