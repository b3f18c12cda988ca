"""The Admin API is bound at start but loaded at its first connection (core.app.lazy_admin):
requests that arrive together while it loads are all answered, it serves after a restart, a
broker stopped before anyone used it stops cleanly, and a broker that serves Kafka only never
loads aiohttp (its memory stays lower)."""

from __future__ import annotations

import concurrent.futures
import time
from pathlib import Path

import psutil
import requests

from core.testing.process import BrokerProcess


def _get(url: str) -> int:
    return requests.get(url, timeout=60).status_code


def _maps_aiohttp(pid: int) -> bool:
    """Whether aiohttp's compiled parts are mapped in the process (loaded)."""
    return any("aiohttp" in m.path for m in psutil.Process(pid).memory_maps())


def test_first_requests_arrive_together_while_loading(tmp_path: Path) -> None:
    with BrokerProcess(tmp_path / "b") as broker:
        assert broker.proc is not None
        assert not _maps_aiohttp(broker.proc.pid)
        urls = [f"{broker.admin_url}/v1/brokers"] * 4 + [f"{broker.admin_url}/v1/status/ready"]
        with concurrent.futures.ThreadPoolExecutor(len(urls)) as pool:
            assert list(pool.map(_get, urls)) == [200] * len(urls)
        assert _maps_aiohttp(broker.proc.pid)
        broker.restart()
        assert _get(f"{broker.admin_url}/v1/brokers") == 200
    assert "Traceback" not in broker.log_text()


def test_stop_before_the_admin_api_was_used(tmp_path: Path) -> None:
    broker = BrokerProcess(tmp_path / "b").start()
    time.sleep(0.2)
    assert broker.stop() == 0
    text = broker.log_text()
    assert "stopped cleanly" in text and "Traceback" not in text
