"""`schema_registry_always_normalize` (Redpanda's cluster property, formerly
`schema_registry_normalize_on_startup`): every register and lookup normalizes as if it asked
`?normalize=true`, read live."""

from __future__ import annotations

import httpx

from tests.schema_registry.helpers import register
from tests.support.registry import start_registry_broker

A = '{"name":"N","type":"record","fields":[{"type":"int","name":"x"}]}'
B = '{"type":"record","name":"N","fields":[{"name":"x","type":"int"}]}'  # A, keys reordered


def _set(admin_url: str, value: bool) -> None:
    r = httpx.put(
        f"{admin_url}/v1/cluster_config",
        json={"upsert": {"schema_registry_always_normalize": value}, "remove": []},
        timeout=30,
    )
    assert r.status_code == 200, r.text


def test_lookup_and_register_normalize_when_the_property_is_on(tmp_path):
    broker, url = start_registry_broker(tmp_path / "node")
    try:
        with httpx.Client(base_url=url, timeout=30) as sr:
            sid = register(sr, "norm-always", A)
            assert sr.post("/subjects/norm-always", json={"schema": B}).status_code == 404
            _set(broker.admin_url, True)
            found = sr.post("/subjects/norm-always", json={"schema": B})
            assert found.status_code == 200, found.text
            assert found.json()["id"] == sid
            assert register(sr, "norm-always", B) == sid  # no new version
            assert sr.get("/subjects/norm-always/versions").json() == [1]
            _set(broker.admin_url, False)
            assert sr.post("/subjects/norm-always", json={"schema": B}).status_code == 404
    finally:
        broker.stop()
