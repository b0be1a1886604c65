import pytest

from thinkbench.harness.engine import ledger


@pytest.fixture(autouse=True)
def no_engine_ledger(monkeypatch) -> None:
    """Unit tests build fake engines only; what they start must not count against the integration
    suite's engine budget when both run in one session (`make test`)."""
    monkeypatch.delenv(ledger.VARIABLE, raising=False)
