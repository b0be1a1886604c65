"""One real vLLM engine (the embedded model) for the whole test session."""
import pytest

from harness.models import resolve_model


@pytest.fixture(scope="session")
def model_dir() -> str:
    return resolve_model(None)


@pytest.fixture(scope="session")
def engine(model_dir):
    from harness.engine import build_engine

    eng = build_engine("vllm", model_dir, {"max_model_len": 2048, "kv_cache_gib": 2}, seed=0)
    yield eng
    eng.close()
