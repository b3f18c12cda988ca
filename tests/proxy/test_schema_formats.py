"""The avro, jsonschema and protobuf embedded formats, with the Schema Registry in the same
broker: what the proxy writes confluent-kafka's deserializers read, what confluent-kafka's
serializers write the proxy's consumer instances read, and Confluent's errors."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pool, message_factory

from core.schema_registry.types.proto_type import compile_set
from tests.support.proxy import V2, consume_until, proxy_url, start_proxy_broker
from tests.support.registry import REGISTRY_ARGS, registry_url
from tests.support.topics import make_topic

AVRO = "application/vnd.kafka.avro.v2+json"
JSONSCHEMA = "application/vnd.kafka.jsonschema.v2+json"
PROTOBUF = "application/vnd.kafka.protobuf.v2+json"
AVRO_VALUE = {
    "type": "record",
    "name": "Reading",
    "fields": [
        {"name": "id", "type": "int"},
        {"name": "label", "type": ["null", "string"], "default": None},
        {"name": "raw", "type": "bytes"},
    ],
}
JSON_VALUE = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["id"],
    "additionalProperties": False,
}
PROTO = (
    'syntax = "proto3";\npackage sf;\nmessage Reading {\n  int32 id = 1;\n  string label = 2;\n}\n'
)


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    broker = start_proxy_broker(tmp_path_factory.mktemp("proxy-sr"), *REGISTRY_ARGS)
    try:
        yield broker
    finally:
        broker.stop()
        assert "Traceback" not in broker.log_text(), broker.log_text()[-3000:]


@pytest.fixture(scope="module")
def http(broker):
    with httpx.Client(base_url=proxy_url(broker), timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def sr(broker):
    return SchemaRegistryClient({"url": registry_url(broker)})


def new_topic(broker) -> str:
    topic = f"sf-{uuid.uuid4().hex[:8]}"
    make_topic(broker.bootstrap, topic, 1)
    return topic


def post(http, topic: str, ctype: str, body: dict) -> httpx.Response:
    return http.post(f"/topics/{topic}", json=body, headers={"Content-Type": ctype, "Accept": V2})


def read_raw(broker, topic: str, count: int) -> list:
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": topic})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    out = []
    try:
        while len(out) < count:
            msg = consumer.poll(10)
            assert msg is not None and msg.error() is None
            out.append(msg)
    finally:
        consumer.close()
    return out


def write_raw(broker, topic: str, pairs: list[tuple[bytes | None, bytes]]) -> None:
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    for key, value in pairs:
        producer.produce(topic, key=key, value=value)
    assert producer.flush(10) == 0


def proxy_read(http, topic: str, fmt: str, ctype: str, count: int) -> list[dict]:
    group = f"g-{uuid.uuid4().hex[:6]}"
    r = http.post(
        f"/consumers/{group}",
        json={"format": fmt, "auto.offset.reset": "earliest"},
        headers={"Content-Type": V2},
    )
    assert r.status_code == 200, r.text
    base = f"/consumers/{group}/instances/{r.json()['instance_id']}"
    body = {"partitions": [{"topic": topic, "partition": 0}]}
    r = http.post(f"{base}/assignments", json=body, headers={"Content-Type": V2})
    assert r.status_code == 204, r.text
    try:
        return consume_until(http, base, count, fmt=ctype)
    finally:
        http.delete(base, headers={"Content-Type": V2})


def proto_class(text: str, name: str):
    pool = descriptor_pool.DescriptorPool()
    for fdp in compile_set(text, ()).file:
        pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(name))


def test_avro_produce_read_by_confluent(http, broker, sr):
    topic = new_topic(broker)
    body = {
        "key_schema": json.dumps({"type": "string"}),
        "value_schema": json.dumps(AVRO_VALUE),
        "records": [
            {"key": "k1", "value": {"id": 1, "label": {"string": "one"}, "raw": "\u00ff\u0001"}},
            {"key": "k2", "value": {"id": 2, "label": None, "raw": ""}},
        ],
    }
    r = post(http, topic, AVRO, body)
    assert r.status_code == 200, r.text
    ids = r.json()
    assert ids["key_schema_id"] and ids["value_schema_id"]
    assert [o["offset"] for o in ids["offsets"]] == [0, 1]
    assert sr.get_latest_version(f"{topic}-value").schema_id == ids["value_schema_id"]
    again = {"value_schema_id": ids["value_schema_id"], "records": [body["records"][1]]}
    again["records"] = [{"value": body["records"][1]["value"]}]
    r = post(http, topic, AVRO, again)
    assert r.status_code == 200 and r.json()["value_schema_id"] == ids["value_schema_id"], r.text
    deser = AvroDeserializer(sr)
    msgs = read_raw(broker, topic, 3)
    ctx = SerializationContext(topic, MessageField.VALUE)
    values = [deser(m.value(), ctx) for m in msgs]
    assert values[0] == {"id": 1, "label": "one", "raw": b"\xff\x01"}
    assert values[1] == values[2] == {"id": 2, "label": None, "raw": b""}
    assert deser(msgs[0].key(), SerializationContext(topic, MessageField.KEY)) == "k1"


def test_jsonschema_and_protobuf_produce_read_by_confluent(http, broker, sr):
    topic = new_topic(broker)
    body = {
        "value_schema": json.dumps(JSON_VALUE),
        "records": [{"value": {"id": 7, "tags": ["a"]}}],
    }
    r = post(http, topic, JSONSCHEMA, body)
    assert r.status_code == 200, r.text
    deser = JSONDeserializer(None, schema_registry_client=sr)
    ctx = SerializationContext(topic, MessageField.VALUE)
    assert deser(read_raw(broker, topic, 1)[0].value(), ctx) == {"id": 7, "tags": ["a"]}

    topic = new_topic(broker)
    body = {"value_schema": PROTO, "records": [{"value": {"id": 3, "label": "three"}}]}
    r = post(http, topic, PROTOBUF, body)
    assert r.status_code == 200, r.text
    cls = proto_class(PROTO, "sf.Reading")
    deser = ProtobufDeserializer(cls, {"use.deprecated.format": False})
    ctx = SerializationContext(topic, MessageField.VALUE)
    got = deser(read_raw(broker, topic, 1)[0].value(), ctx)
    assert (got.id, got.label) == (3, "three")


def test_confluent_serializers_read_through_proxy(http, broker, sr):
    topic = new_topic(broker)
    ser = AvroSerializer(sr, json.dumps(AVRO_VALUE))
    ctx = SerializationContext(topic, MessageField.VALUE)
    write_raw(broker, topic, [(None, ser({"id": 5, "label": "five", "raw": b"\x01"}, ctx))])
    got = proxy_read(http, topic, "avro", AVRO, 1)
    assert got[0]["value"] == {"id": 5, "label": {"string": "five"}, "raw": "\u0001"}

    topic = new_topic(broker)
    ser = JSONSerializer(json.dumps(JSON_VALUE), sr)
    ctx = SerializationContext(topic, MessageField.VALUE)
    write_raw(broker, topic, [(None, ser({"id": 9, "tags": []}, ctx))])
    assert proxy_read(http, topic, "jsonschema", JSONSCHEMA, 1)[0]["value"] == {"id": 9, "tags": []}

    topic = new_topic(broker)
    cls = proto_class(PROTO, "sf.Reading")
    ser = ProtobufSerializer(cls, sr, {"use.deprecated.format": False})
    ctx = SerializationContext(topic, MessageField.VALUE)
    write_raw(broker, topic, [(None, ser(cls(id=4, label="four"), ctx))])
    got = proxy_read(http, topic, "protobuf", PROTOBUF, 1)
    assert got[0]["value"] == {"id": 4, "label": "four"}


def error(r: httpx.Response, status: int, code: int) -> str:
    assert r.status_code == status, r.text
    assert r.json()["error_code"] == code, r.text
    return r.json()["message"]


def test_errors(http, broker):
    topic = new_topic(broker)
    schema = json.dumps(AVRO_VALUE)
    bad = {"value_schema": schema, "records": [{"value": {"id": "x", "raw": ""}}]}
    assert "id" in error(post(http, topic, AVRO, bad), 422, 42205)
    no_value_schema = {"records": [{"value": {"id": 1}}]}
    error(post(http, topic, AVRO, no_value_schema), 422, 42202)
    no_key_schema = {"value_schema": schema, "records": [{"key": "k", "value": None}]}
    error(post(http, topic, AVRO, no_key_schema), 422, 42201)
    error(post(http, topic, AVRO, {"value_schema": "{not avro", "records": []}), 408, 40801)
    unknown = {"value_schema_id": 99999, "records": [{"value": {"id": 1}}]}
    error(post(http, topic, AVRO, unknown), 408, 40801)
    wrong = {"value_schema": json.dumps(JSON_VALUE), "records": [{"value": {"id": 1, "x": 2}}]}
    assert "x" in error(post(http, new_topic(broker), JSONSCHEMA, wrong), 422, 42205)
    proto = {"value_schema": PROTO, "records": [{"value": {"nope": 1}}]}
    assert "nope" in error(post(http, new_topic(broker), PROTOBUF, proto), 422, 42205)
    incompatible = {"value_schema": json.dumps(JSON_VALUE), "records": [{"value": {"id": 1}}]}
    assert "incompatible" in error(post(http, topic, JSONSCHEMA, incompatible), 408, 40801)
    write_raw(broker, topic, [(None, b"not wire format")])
    group = f"g-{uuid.uuid4().hex[:6]}"
    r = http.post(
        f"/consumers/{group}",
        json={"format": "avro", "auto.offset.reset": "earliest"},
        headers={"Content-Type": V2},
    )
    base = f"/consumers/{group}/instances/{r.json()['instance_id']}"
    body = {"partitions": [{"topic": topic, "partition": 0}]}
    http.post(f"{base}/assignments", json=body, headers={"Content-Type": V2})
    error(http.get(f"{base}/records", headers={"Accept": JSONSCHEMA}), 406, 40601)
    for _ in range(20):
        r = http.get(f"{base}/records", params={"timeout": 500}, headers={"Accept": AVRO})
        if r.status_code != 200 or r.json():
            break
    error(r, 408, 40801)
    http.delete(base, headers={"Content-Type": V2})
