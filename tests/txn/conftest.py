"""Transaction tests: a broker of their own (short timeout checks, few coordinator partitions)."""

from __future__ import annotations

import pytest

from core.testing.process import BrokerProcess


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "cluster: starts a multi-node cluster of broker processes (fault tests)"
    )


TXN_PROPERTIES = (
    "--set",
    "tx_timeout_delay_ms=200",
    "--set",
    "transaction_coordinator_partitions=4",
    "--set",
    "transaction_max_timeout_ms=60000",
)


@pytest.fixture(scope="module")
def txn_broker(tmp_path_factory) -> BrokerProcess:
    broker = BrokerProcess(
        tmp_path_factory.mktemp("txn") / "broker", *TXN_PROPERTIES, die_with_parent=True
    ).start()
    try:
        yield broker
    finally:
        broker.stop()
        log = broker.log_text()
        assert "Traceback" not in log, log[-4000:]
