"""The wheel carries the task files, hooks, example configs and report templates under one namespace
of our own (the installed wheel at work: tests/integration/test_installed_wheel.py)."""
import zipfile

from installed import ROOT


def test_the_wheel_carries_tasks_hooks_configs_and_templates_under_thinkbench(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    top = {n.split("/")[0] for n in names}
    assert top == {"thinkbench", wheel.name.split("-py3")[0] + ".dist-info"}  # no harness/, verifiers/, reports/
    assert "thinkbench/__init__.py" not in names  # a namespace package: other distributions may share it
    expected = [f"thinkbench/tasks/{p.name}" for p in (ROOT / "tasks").iterdir() if p.suffix in (".yaml", ".py")]
    expected += [f"thinkbench/configs/{p.name}" for p in (ROOT / "configs").glob("*.yaml")]
    expected += [f"thinkbench/{p.relative_to(ROOT)}" for p in (ROOT / "reports" / "templates").rglob("*")
                 if p.is_file()]
    expected += ["thinkbench/verifiers/code_driver.py", "thinkbench/harness/cli.py"]
    assert len(expected) > 20 and set(expected) <= names, sorted(set(expected) - names)
