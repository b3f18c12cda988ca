"""Modes beyond the basics: a global READONLY_OVERRIDE wins over subject modes (Confluent's
getModeInScope), and `schema_registry.mode_mutability: false` freezes modes (Redpanda: 42205
"Mode changes are not allowed" unless ?force=true)."""

from __future__ import annotations

import httpx
import pytest

from tests.schema_registry.helpers import avro_record, error, register
from tests.support.registry import start_registry_broker


def test_global_readonly_override_wins_over_subject_modes(sr):
    register(sr, "ovr", avro_record("Ovr", ("a", "int")))
    assert sr.put("/mode/ovr", json={"mode": "READWRITE"}).status_code == 200
    assert sr.put("/mode", json={"mode": "READONLY"}).json() == {"mode": "READONLY"}
    # plain READONLY globally: a subject's own READWRITE still lets it register
    assert register(sr, "ovr", avro_record("Ovr", ("a", "int"), ("b", "int", 0))) > 0
    error(sr.post("/subjects/other/versions", json={"schema": avro_record("O", ("a", "int"))}),
          422, 42205)  # fmt: skip
    assert sr.put("/mode", json={"mode": "READONLY_OVERRIDE"}).status_code == 200
    try:
        schema = avro_record("Ovr", ("a", "int"), ("b", "int", 0), ("c", "int", 0))
        error(sr.post("/subjects/ovr/versions", json={"schema": schema}), 422, 42205)
        error(sr.delete("/subjects/ovr/versions/1"), 422, 42205)
        assert sr.get("/mode/ovr").json() == {"mode": "READONLY_OVERRIDE"}
        assert sr.get("/mode/unset").json() == {"mode": "READONLY_OVERRIDE"}
        assert sr.get("/subjects/ovr/versions").json() == [1, 2]  # reads still served
    finally:
        assert sr.put("/mode", json={"mode": "READWRITE"}).status_code == 200
    assert sr.get("/mode/ovr").json() == {"mode": "READWRITE"}
    error(sr.get("/mode/unset"), 404, 40409)
    assert sr.delete("/mode/ovr").status_code == 200


@pytest.fixture(scope="module")
def frozen(tmp_path_factory):
    broker, url = start_registry_broker(
        tmp_path_factory.mktemp("sr-frozen") / "node",
        "--set",
        "schema_registry.mode_mutability=false",
    )
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client
    finally:
        broker.stop()


def test_mode_mutability_false_refuses_mode_changes(frozen):
    message = error(frozen.put("/mode", json={"mode": "READONLY"}), 422, 42205)
    assert message == "Mode changes are not allowed"
    error(frozen.put("/mode/s", json={"mode": "READONLY"}), 422, 42205)
    assert frozen.get("/mode").json() == {"mode": "READWRITE"}
    assert register(frozen, "s", avro_record("S", ("a", "int"))) > 0  # schemas still register
    # ?force=true overrides, as in Redpanda
    r = frozen.put("/mode/s", params={"force": "true"}, json={"mode": "READONLY"})
    assert r.json() == {"mode": "READONLY"}
    error(frozen.delete("/mode/s"), 422, 42205)
    assert frozen.delete("/mode/s", params={"force": "true"}).json() == {"mode": "READONLY"}
    error(frozen.put("/mode", json={"mode": "BOGUS"}), 422, 42204)  # the value is checked first
