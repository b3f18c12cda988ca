"""One broker with the HTTP proxy per test module."""

from __future__ import annotations

import httpx
import pytest

from tests.support.proxy import proxy_url, start_proxy_broker


@pytest.fixture(scope="module")
def proxy_broker(tmp_path_factory):
    broker = start_proxy_broker(tmp_path_factory.mktemp("proxy"))
    try:
        yield broker
    finally:
        broker.stop()
        assert "Traceback" not in broker.log_text(), broker.log_text()[-3000:]


@pytest.fixture(scope="module")
def http(proxy_broker):
    with httpx.Client(base_url=proxy_url(proxy_broker), timeout=30) as client:
        yield client
