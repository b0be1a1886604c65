import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


@pytest.fixture
def data_dir() -> Path:
    value = os.environ.get("THINKBENCH_DATA_DIR")
    if not value or not Path(value).exists():
        pytest.skip("needs THINKBENCH_DATA_DIR pointing at a dataset mirror (e.g. ../shared/data)")
    return Path(value)


@pytest.fixture(autouse=True)
def time_limits_cache(tmp_path_factory, monkeypatch) -> Path:
    """A cold cache of measured code time limits for every test: none depends on what an earlier
    run measured, and none writes into the user's ~/.cache."""
    path = tmp_path_factory.mktemp("time_limits")
    monkeypatch.setenv("THINKBENCH_TIME_LIMITS_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The wheel pip builds from this checkout (once per session)."""
    from installed import build_wheel

    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def installed(wheel, tmp_path_factory) -> Path:
    """The bin folder of a fresh venv with that wheel installed."""
    from installed import install

    return install(wheel, tmp_path_factory.mktemp("installed") / "venv")
