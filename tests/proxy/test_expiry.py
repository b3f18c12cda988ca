"""Idle consumer instances expire after pandaproxy.consumer_instance_timeout_ms and leave
their group; used ones stay."""

from __future__ import annotations

import threading

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
    """'busy' polls for records all along (in a thread, so nothing else the test does can let
    it go idle); 'idle' never is used. Checked with DescribeGroups and with rpk group
    describe."""
    make_topic(proxy_broker.bootstrap, "exp")
    url = proxy_url(proxy_broker)
    with httpx.Client(base_url=url, timeout=30) as http:
        idle = new_consumer(http, "g-exp", name="idle")
        busy = new_consumer(http, "g-exp", name="busy")
        for name in (idle, busy):
            r = http.post(
                f"/consumers/g-exp/instances/{name}/subscription", json={"topics": ["exp"]}
            )
            assert r.status_code == 204
        done = threading.Event()
        lost: list[str] = []

        def keep_busy() -> None:
            with httpx.Client(base_url=url, timeout=30) as other:
                while not done.wait(0.05):
                    r = other.get(
                        "/consumers/g-exp/instances/busy/records", params={"timeout": 100}
                    )
                    if r.status_code != 200:
                        lost.append(r.text)

        poller = threading.Thread(target=keep_busy)
        poller.start()
        try:
            wait_for(lambda: len(_members(proxy_broker.bootstrap, "g-exp")) == 2, "two members")
            # looking at 'idle' would use it: watch the group instead
            wait_for(
                lambda: (
                    [m["client_id"] for m in _members(proxy_broker.bootstrap, "g-exp")] == ["busy"]
                ),
                "the idle instance to expire and leave the group",
            )
            r = http.get("/consumers/g-exp/instances/idle/subscription")
            assert (r.status_code, r.json()["error_code"]) == (404, 40403)
            described = wait_for(
                lambda: _rpk_describe(proxy_broker.bootstrap, tmp_path),
                "rpk group describe to list 'busy' alone",
            )
            assert "idle" not in described, described
        finally:
            done.set()
            poller.join(30)
        assert not lost, lost[:3]  # 'busy' never expired
        assert http.get("/consumers/g-exp/instances/busy/subscription").status_code == 200
    assert "expired" in proxy_broker.log_text()


def _rpk_describe(bootstrap: str, home) -> str | None:
    """rpk group describe's output when it shows one member, 'busy'."""
    described = run_in_process(
        ["group", "describe", "g-exp", "-X", f"brokers={bootstrap}"],
        env={"HOME": str(home), "XDG_CONFIG_HOME": str(home)},
    )
    assert described.exit_code == 0, described.stderr
    out = described.stdout
    return out if "MEMBERS      1" in out and "busy" in out else None
