"""One broker with the Schema Registry per test module (module-scoped fixtures)."""

from __future__ import annotations

import httpx
import pytest

from tests.support.registry import start_registry_broker


@pytest.fixture(scope="module")
def registry_broker(tmp_path_factory):
    broker, url = start_registry_broker(tmp_path_factory.mktemp("sr") / "node")
    yield broker, url
    broker.stop()


@pytest.fixture(scope="module")
def sr(registry_broker):
    """An httpx client on the registry's base URL."""
    with httpx.Client(base_url=registry_broker[1], timeout=30) as client:
        yield client
