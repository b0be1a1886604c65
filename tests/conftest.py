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
