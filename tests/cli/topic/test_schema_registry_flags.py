"""`rpk topic produce --schema-id/--schema-key-id/--schema-type` and `rpk topic consume
--use-schema-registry`, against one broker serving the registry; records are checked with
confluent-kafka's serializers and deserializers."""

from __future__ import annotations

import io
import json
import uuid

import httpx
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from cli.records.informat import ByteReader, InputFormat
from tests.support.registry import start_registry_broker
from tests.support.topics import make_topic

AVRO = {
    "type": "record",
    "name": "User",
    "fields": [
        {"name": "name", "type": "string"},
        {"name": "age", "type": "int"},
        {"name": "email", "type": ["null", "string"], "default": None},
    ],
}
JSON_SCHEMA = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "tag": {"type": "string"}},
    "required": ["id"],
}
PROTO = """syntax = "proto3";
package demo;
message Outer { string a = 1; message Inner { int32 n = 1; } }
message Other { int64 x = 1; }
"""


@pytest.fixture(scope="module")
def registry_broker(tmp_path_factory):
    broker, url = start_registry_broker(tmp_path_factory.mktemp("rpk-sr") / "node")
    yield broker, url
    broker.stop()


@pytest.fixture(scope="module")
def url(registry_broker) -> str:
    return registry_broker[1]


@pytest.fixture(scope="module")
def bootstrap(registry_broker) -> str:
    return registry_broker[0].bootstrap


@pytest.fixture
def env(registry_broker) -> dict[str, str]:
    broker = registry_broker[0]
    return {"RPK_BROKERS": broker.bootstrap, "RPK_ADMIN_HOSTS": f"127.0.0.1:{broker.admin_port}"}


def register(url: str, subject: str, schema: str, kind: str) -> int:
    body = {"schema": schema, "schemaType": kind}
    resp = httpx.post(f"{url}/subjects/{subject}/versions", json=body, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()["id"]


def new_topic(bootstrap: str) -> str:
    name = f"t-{uuid.uuid4().hex[:8]}"
    make_topic(bootstrap, name, 1)
    return name


def read_raw(bootstrap: str, topic: str, count: int) -> list[tuple[bytes, bytes]]:
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": topic, "auto.offset.reset": "earliest"}
    )
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    out = []
    try:
        while len(out) < count:
            msg = consumer.poll(10)
            assert msg is not None, "no record within 10 s"
            assert msg.error() is None, msg.error()
            out.append((msg.key(), msg.value()))
    finally:
        consumer.close()
    return out


def rpk_args(url: str, *args: str) -> list[str]:
    return [*args, "-X", f"registry.hosts={url.removeprefix('http://')}"]


def test_produce_avro_by_id_reads_back_with_confluent(rpk, env, url, bootstrap):
    topic = new_topic(bootstrap)
    schema_id = register(url, f"{topic}-value", json.dumps(AVRO), "AVRO")
    # %v reads one JSON value (rpk turns it into %v{json}): a record may span lines
    lines = '{"name":"ann","age":30,"email":null}\n{\n  "name": "bo",\n  "age": 4,\n'
    lines += '  "email": {"string": "b@x"}\n}\n'
    res = rpk(
        rpk_args(url, "topic", "produce", topic, "--schema-id", str(schema_id)),
        env=env,
        input=lines,
    )
    assert res.exit_code == 0, res.stderr
    raw = read_raw(bootstrap, topic, 2)
    assert all(v[:5] == b"\x00" + schema_id.to_bytes(4, "big") for _, v in raw)
    des = AvroDeserializer(SchemaRegistryClient({"url": url}))
    ctx = SerializationContext(topic, MessageField.VALUE)
    assert [des(v, ctx) for _, v in raw] == [
        {"name": "ann", "age": 30, "email": None},
        {"name": "bo", "age": 4, "email": "b@x"},
    ]


def test_produce_json_topic_strategy_key_and_value(rpk, env, url, bootstrap):
    topic = new_topic(bootstrap)
    value_id = register(url, f"{topic}-value", json.dumps(JSON_SCHEMA), "JSON")
    key_id = register(url, f"{topic}-key", json.dumps({"type": "string"}), "JSON")
    args = rpk_args(url, "topic", "produce", topic, "-f", "%k %v\\n")
    res = rpk(
        [*args, "--schema-id=topic", "--schema-key-id", "topic"],
        env=env,
        input='"k1" {"id":7,"tag":"x"}\n',
    )
    assert res.exit_code == 0, res.stderr
    [(key, value)] = read_raw(bootstrap, topic, 1)
    assert key[1:5] == key_id.to_bytes(4, "big") and value[1:5] == value_id.to_bytes(4, "big")
    des = JSONDeserializer(json.dumps(JSON_SCHEMA))
    assert des(value, SerializationContext(topic, MessageField.VALUE)) == {"id": 7, "tag": "x"}


def test_produce_errors_are_rpk_lines(rpk, env, url, bootstrap):
    topic = new_topic(bootstrap)
    schema_id = register(url, f"{topic}-value", json.dumps(JSON_SCHEMA), "JSON")
    bad = rpk(rpk_args(url, "topic", "produce", topic, "--schema-id", "x1"), env=env, input="{}\n")
    assert bad.exit_code == 1
    assert "unable to parse '--schema-id' flag: unable to parse \"x1\"" in bad.stderr
    missing = rpk(
        rpk_args(url, "topic", "produce", topic, "--schema-id", "99999"), env=env, input="{}\n"
    )
    assert missing.exit_code == 1
    assert "unable to retrieve the value schema with ID 99999" in missing.stderr
    invalid = rpk(
        rpk_args(url, "topic", "produce", topic, "--schema-id", str(schema_id)),
        env=env,
        input='{"tag":"no id"}\n',
    )
    assert invalid.exit_code == 1
    assert "unable to encode value: " in invalid.stderr and "id" in invalid.stderr
    assert len(invalid.stderr.strip().splitlines()) == 1


def test_consume_decodes_confluent_serialized_records(rpk, env, url, bootstrap):
    topic = new_topic(bootstrap)
    client = SchemaRegistryClient({"url": url})
    ser = AvroSerializer(client, json.dumps(AVRO))
    jser = JSONSerializer(json.dumps(JSON_SCHEMA), client)
    producer = Producer({"bootstrap.servers": bootstrap})
    value_ctx = SerializationContext(topic, MessageField.VALUE)
    key_ctx = SerializationContext(topic, MessageField.KEY)
    producer.produce(
        topic,
        key=jser({"id": 1}, key_ctx),
        value=ser({"name": "cy", "age": 9, "email": "c@x"}, value_ctx),
    )
    assert producer.flush(10) == 0
    base = rpk_args(url, "topic", "consume", topic, "-n", "1", "-f", "%k|%v\\n")
    both = rpk([*base, "--use-schema-registry"], env=env)
    assert both.exit_code == 0, both.stderr
    key, value = both.stdout.strip().split("|")
    assert json.loads(key) == {"id": 1}
    assert json.loads(value) == {"name": "cy", "age": 9, "email": {"string": "c@x"}}
    only_value = rpk([*base, "--use-schema-registry=value"], env=env)
    assert only_value.exit_code == 0, only_value.stderr
    assert json.loads(only_value.stdout.split("|", 1)[1]) == json.loads(value)
    assert not only_value.stdout.startswith("{")  # the key is left in the wire format
    bad = rpk([*base, "--use-schema-registry=nope"], env=env)
    assert bad.exit_code == 1 and 'unsupported decode type "nope"' in bad.stderr


def test_protobuf_nested_type_round_trips_through_rpk(rpk, env, url, bootstrap):
    topic = new_topic(bootstrap)
    schema_id = register(url, f"{topic}-value", PROTO, "PROTOBUF")
    args = rpk_args(url, "topic", "produce", topic, "--schema-id", str(schema_id))
    res = rpk([*args, "--schema-type", "demo.Outer.Inner"], env=env, input='{"n": 5}\n')
    assert res.exit_code == 0, res.stderr
    [(_, value)] = read_raw(bootstrap, topic, 1)
    # magic, id, message indexes [0, 0] as zigzag varints (count 2), then field 1 = 5
    assert value == b"\x00" + schema_id.to_bytes(4, "big") + b"\x04\x00\x00" + b"\x08\x05"
    out = rpk(
        rpk_args(url, "topic", "consume", topic, "-n", "1", "-f", "%v\\n", "--use-schema-registry"),
        env=env,
    )
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout) == {"n": 5}


def test_json_modifier_reads_one_value_across_chunks():
    fmt = InputFormat("%k{json} %v{json}\n")
    reader = ByteReader(io.BytesIO(b'"k" {\n "a": [1, 2]\n}\n"k2" 42\n'), chunk=3)
    first, second = fmt.read(reader), fmt.read(reader)
    assert (first.key, first.value) == (b'"k"', b'{\n "a": [1, 2]\n}')
    assert (second.key, second.value) == (b'"k2"', b"42")
    assert fmt.read(reader) is None
