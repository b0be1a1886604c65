"""One real vLLM engine (the embedded model) for the whole test session."""
import pytest

from thinkbench.harness.models import resolve_model


@pytest.fixture(scope="session")
def model_dir() -> str:
    return resolve_model(None)


@pytest.fixture(scope="session")
def engine(model_dir):
    from thinkbench.harness.engine import build_engine

    eng = build_engine("vllm", model_dir, {"max_model_len": 2048, "kv_cache_gib": 2}, seed=0)
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def vllm_server(model_dir, tmp_path_factory):
    """One `vllm serve` on loopback for the whole session; tests may kill and restart it."""
    from vllm_server import VLLMServer

    server = VLLMServer(model_dir, tmp_path_factory.mktemp("vllm-serve"))
    server.start()
    yield server
    server.kill()
