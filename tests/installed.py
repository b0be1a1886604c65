"""thinkbench as a user gets it: the wheel pip builds from this checkout, installed into a fresh venv.

The venv borrows the dependencies already installed for the tests (vLLM, torch, ...) through a .pth
file that lists their site-packages folders; a .pth line that is a folder only extends the path, so
nothing those folders install at start-up (the editable install of this checkout) is run, and the
only thinkbench the venv can import is the wheel's.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What pyproject.toml builds from; a folder it names that is missing here fails the build.
SOURCES = ("pyproject.toml", "README.md", "harness", "verifiers", "reports", "tasks", "configs")


def build_wheel(out: Path) -> Path:
    """`pip wheel --no-deps` of a copy of the sources (a build writes build/ and egg-info into the
    folder it builds, which should not be the checkout)."""
    src = out / "src"
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, src / name)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)])
    (wheel,) = out.glob("thinkbench-*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> Path:
    """A new venv at `venv` with the wheel installed; returns its bin folder."""
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    borrowed = [p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and os.path.isdir(p)]
    (site_packages(venv / "bin") / "borrowed-dependencies.pth").write_text("".join(p + "\n" for p in borrowed))
    # --no-index: the wheel's declared dependencies must all be met by what is borrowed. pip leaves
    # the borrowed editable thinkbench alone ("outside environment").
    _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q", "--no-index",
          str(wheel)])
    return venv / "bin"


def site_packages(bin_dir: Path) -> Path:
    (site,) = (bin_dir.parent / "lib").glob("python*/site-packages")
    return site


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}"


def clean_env() -> dict[str, str]:
    """The environment for commands of the installed venv: nothing that points back into the checkout."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
