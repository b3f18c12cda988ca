"""Idle consumer instances expire after pandaproxy.consumer_instance_timeout_ms and leave
their group; used ones stay."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from tests.support.proxy import new_consumer, proxy_url, start_proxy_broker
from tests.support.rpk import run_in_process
from tests.support.topics import admin_client, make_topic
from tests.support.wait import wait_for

TIMEOUT_MS = 1500


@pytest.fixture(scope="module")
def proxy_broker(tmp_path_factory):
    broker = start_proxy_broker(
        tmp_path_factory.mktemp("expiry"),
        "--set",
        f"pandaproxy.consumer_instance_timeout_ms={TIMEOUT_MS}",
    )
    try:
        yield broker
    finally:
        broker.stop()


def _members(bootstrap: str, group: str) -> list:
    admin = admin_client(bootstrap)
    try:
        return admin.describe_groups([group])[group]["members"]
    finally:
        admin.close()


def test_idle_instance_expires_and_leaves(proxy_broker, tmp_path):
    make_topic(proxy_broker.bootstrap, "exp")
    with httpx.Client(base_url=proxy_url(proxy_broker), timeout=30) as http:
        idle = new_consumer(http, "g-exp", name="idle")
        busy = new_consumer(http, "g-exp", name="busy")
        for name in (idle, busy):
            r = http.post(
                f"/consumers/g-exp/instances/{name}/subscription", json={"topics": ["exp"]}
            )
            assert r.status_code == 204
        wait_for(lambda: len(_members(proxy_broker.bootstrap, "g-exp")) == 2, "two members")
        deadline = time.monotonic() + 3 * TIMEOUT_MS / 1000
        while time.monotonic() < deadline:  # keep "busy" in use
            assert (
                http.get(
                    "/consumers/g-exp/instances/busy/records", params={"timeout": 300}
                ).status_code
                == 200
            )
        r = http.get("/consumers/g-exp/instances/idle/subscription")
        assert (r.status_code, r.json()["error_code"]) == (404, 40403)
        assert http.get("/consumers/g-exp/instances/busy/subscription").status_code == 200

        def only_busy_left() -> bool:  # "busy" is used on each look, so it never goes idle
            assert http.get("/consumers/g-exp/instances/busy/subscription").status_code == 200
            return [m["client_id"] for m in _members(proxy_broker.bootstrap, "g-exp")] == ["busy"]

        wait_for(only_busy_left, "the expired member to leave the group")
        # rpk group describe sees the same; "busy" is kept in use meanwhile (rpk takes longer
        # than the idle timeout)
        done = threading.Event()

        def keep_busy() -> None:
            with httpx.Client(base_url=proxy_url(proxy_broker), timeout=30) as other:
                while not done.wait(0.2):
                    other.get("/consumers/g-exp/instances/busy/subscription")

        toucher = threading.Thread(target=keep_busy)
        toucher.start()
        try:
            described = run_in_process(
                ["group", "describe", "g-exp", "-X", f"brokers={proxy_broker.bootstrap}"],
                env={"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)},
            )
        finally:
            done.set()
            toucher.join(10)
        assert described.exit_code == 0, described.stderr
        assert "MEMBERS      1" in described.stdout, described.stdout
        assert "busy" in described.stdout and "idle" not in described.stdout, described.stdout
    assert "expired" in proxy_broker.log_text()
