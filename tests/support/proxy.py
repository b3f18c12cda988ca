"""The HTTP proxy of a test broker: its address from the ready line, an httpx client, helpers."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.broker import BrokerProcess

V2 = "application/vnd.kafka.v2+json"
BINARY = "application/vnd.kafka.binary.v2+json"
JSON = "application/vnd.kafka.json.v2+json"


def proxy_url(broker: BrokerProcess) -> str:
    return broker.listener_url("pandaproxy")


# a group's first join waits group_initial_rebalance_delay (3 s by default); tests need not
FAST_GROUPS = ("--set", "group_initial_rebalance_delay=300")


def start_proxy_broker(tmp: Path, *extra_args: str) -> BrokerProcess:
    return BrokerProcess(
        Path(tmp) / "broker", "--pandaproxy-addr", "127.0.0.1:0", *FAST_GROUPS, *extra_args
    ).start()


def b64(data: bytes | str | None) -> str | None:
    if data is None:
        return None
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


def produce(
    http: httpx.Client, topic: str, records: list[dict[str, Any]], fmt: str = BINARY, path=""
) -> dict[str, Any]:
    r = http.post(
        f"/topics/{topic}{path}",
        json={"records": records},
        headers={"Content-Type": fmt, "Accept": V2},
    )
    assert r.status_code == 200, r.text
    return r.json()


def new_consumer(http: httpx.Client, group: str, **config: Any) -> str:
    r = http.post(f"/consumers/{group}", json=config, headers={"Content-Type": V2})
    assert r.status_code == 200, r.text
    return r.json()["instance_id"]


def consume_until(
    http: httpx.Client, base: str, count: int, fmt: str = BINARY, timeout_s: float = 20.0
) -> list[dict[str, Any]]:
    """GET {base}/records until `count` records came back (a group join takes a moment)."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < count and time.monotonic() < deadline:
        r = http.get(f"{base}/records", params={"timeout": 500}, headers={"Accept": fmt})
        assert r.status_code == 200, r.text
        got.extend(r.json())
    return got
