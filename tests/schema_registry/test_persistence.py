"""State lives in `_schemas`: a restarted broker serves the same subjects, ids, configs and
modes, and a `_schemas` topic written in Confluent's record format is served as it is."""

from __future__ import annotations

import json

import httpx
from confluent_kafka import Producer

from tests.support.registry import registry_url, start_registry_broker
from tests.support.topics import make_topic


def schema(name: str) -> str:
    return json.dumps({"type": "record", "name": name, "fields": [{"name": "a", "type": "int"}]})


def snapshot(sr: httpx.Client) -> dict:
    subjects = sr.get("/subjects", params={"deleted": "true"}).json()
    return {
        "subjects": subjects,
        "versions": {
            s: sr.get(f"/subjects/{s}/versions", params={"deleted": "true"}).json()
            for s in subjects
        },
        "live": sr.get("/subjects").json(),
        "schemas": sr.get("/schemas", params={"deleted": "true"}).json(),
        "config": sr.get("/config").json(),
        "subject_config": sr.get("/config/a").json(),
        "mode": sr.get("/mode/b").json(),
    }


def test_restart_reloads_state(tmp_path):
    broker, url = start_registry_broker(tmp_path / "node")
    try:
        with httpx.Client(base_url=url, timeout=30) as sr:
            assert sr.put("/config", json={"compatibility": "NONE"}).status_code == 200
            for subject, name in (("a", "A1"), ("a", "A2"), ("b", "B1"), ("c", "A1")):
                assert (
                    sr.post(
                        f"/subjects/{subject}/versions", json={"schema": schema(name)}
                    ).status_code
                    == 200
                )
            assert sr.put("/config/a", json={"compatibility": "FULL"}).status_code == 200
            assert sr.put("/mode/b", json={"mode": "READONLY"}).status_code == 200
            assert sr.delete("/subjects/a/versions/1").status_code == 200
            assert sr.delete("/subjects/c").status_code == 200
            assert sr.delete("/subjects/c", params={"permanent": "true"}).status_code == 200
            before = snapshot(sr)
        broker.stop()
        broker.start()
        with httpx.Client(base_url=registry_url(broker), timeout=30) as sr:
            assert snapshot(sr) == before
            # ids continue after the restart, never reused
            r = sr.post("/subjects/d/versions", json={"schema": schema("D1")})
            assert r.json()["id"] == max(s["id"] for s in before["schemas"]) + 1
    finally:
        broker.stop()


def _key(keytype: str, subject, version=None, magic=0) -> bytes:
    key = {"keytype": keytype, "subject": subject}
    if version is not None:
        key["version"] = version
    key["magic"] = magic
    return json.dumps(key).encode()  # Jackson-like but with spaces: parsed, not byte-compared


def test_existing_confluent_topic_is_served(tmp_path):
    broker, url = start_registry_broker(tmp_path / "node")
    try:
        make_topic(broker.bootstrap, "_schemas", 1, {"cleanup.policy": "compact"})
        producer = Producer({"bootstrap.servers": broker.bootstrap})
        legacy = {
            "subject": "legacy-value",
            "version": 1,
            "id": 21,
            "schema": schema("L1"),
            "deleted": False,
        }
        js = {
            "subject": "legacy-json", "version": 1, "id": 22, "schemaType": "JSON",
            "schema": json.dumps({"type": "object"}), "deleted": False,
        }  # fmt: skip
        gone = {"subject": "gone", "version": 1, "id": 23, "schema": schema("G1"), "deleted": False}
        records = [
            (_key("NOOP", None), None),
            (_key("SCHEMA", "legacy-value", 1, 1), legacy),
            (_key("SCHEMA", "legacy-json", 1, 1), js),
            (_key("SCHEMA", "gone", 1, 1), gone),
            (_key("DELETE_SUBJECT", "gone"), {"subject": "gone", "version": 1}),
            (_key("CONFIG", None), {"compatibilityLevel": "FORWARD"}),
            (_key("CONFIG", "legacy-value"), {"compatibilityLevel": "NONE"}),
            (_key("MODE", "legacy-json"), {"mode": "READONLY"}),
            (b"not json", b"garbage"),
        ]
        for key, value in records:
            body = value if isinstance(value, bytes | None) else json.dumps(value).encode()
            producer.produce("_schemas", key=key, value=body, partition=0)
        assert producer.flush(10) == 0
        with httpx.Client(base_url=url, timeout=30) as sr:
            assert sr.get("/subjects").json() == ["legacy-json", "legacy-value"]
            assert sr.get("/subjects", params={"deleted": "true"}).json() == [
                "gone",
                "legacy-json",
                "legacy-value",
            ]
            assert sr.get("/schemas/ids/21").json() == {"schema": schema("L1")}
            assert sr.get("/schemas/ids/22").json()["schemaType"] == "JSON"
            assert sr.get("/config").json() == {"compatibilityLevel": "FORWARD"}
            assert sr.get("/config/legacy-value").json() == {"compatibilityLevel": "NONE"}
            assert sr.get("/mode/legacy-json").json() == {"mode": "READONLY"}
            r = sr.post("/subjects/legacy-value/versions", json={"schema": schema("L2")})
            assert r.json() == {"id": 24}  # after the highest id in the topic
            got = sr.get("/subjects/legacy-value/versions/2").json()
            assert (got["id"], got["version"]) == (24, 2)
        assert "Traceback" not in broker.log_text()
    finally:
        broker.stop()


def test_records_written_in_confluent_format(registry_broker, sr):
    from kafka import KafkaConsumer, TopicPartition

    assert sr.post("/subjects/fmt/versions", json={"schema": schema("F1")}).status_code == 200
    consumer = KafkaConsumer(
        bootstrap_servers=registry_broker[0].bootstrap, consumer_timeout_ms=2000
    )
    tp = TopicPartition("_schemas", 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    found = [m for m in consumer if m.key and json.loads(m.key).get("subject") == "fmt"]
    consumer.close()
    assert found[0].key == b'{"keytype":"SCHEMA","subject":"fmt","version":1,"magic":1}'
    value = json.loads(found[0].value)
    assert list(value) == ["subject", "version", "id", "schema", "deleted"]
    assert (value["subject"], value["version"], value["deleted"]) == ("fmt", 1, False)
    assert json.loads(value["schema"]) == json.loads(schema("F1"))
