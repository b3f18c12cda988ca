"""confluent-kafka's SchemaRegistryClient and its Avro, JSON and Protobuf serializers against
this registry, producing and consuming through the same broker."""

from __future__ import annotations

import json
import uuid

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pool, message_factory

from core.schema_registry.types.proto_type import compile_set
from tests.support.topics import make_topic


@pytest.fixture(scope="module")
def client(registry_broker):
    return SchemaRegistryClient({"url": registry_broker[1]})


@pytest.fixture(scope="module")
def bootstrap(registry_broker):
    return registry_broker[0].bootstrap


def round_trip(bootstrap: str, serialize, deserialize, values: list) -> list:
    topic = f"t-{uuid.uuid4().hex[:8]}"
    make_topic(bootstrap, topic, 1)
    producer = Producer({"bootstrap.servers": bootstrap})
    for value in values:
        ctx = SerializationContext(topic, MessageField.VALUE)
        producer.produce(topic, value=serialize(value, ctx))
    assert producer.flush(10) == 0
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": topic, "auto.offset.reset": "earliest"}
    )
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])  # no group join to wait for
    out = []
    try:
        while len(out) < len(values):
            msg = consumer.poll(10)
            assert msg is not None, "no record within 10 s"
            assert msg.error() is None, msg.error()
            out.append(deserialize(msg.value(), SerializationContext(topic, MessageField.VALUE)))
    finally:
        consumer.close()
    return out


def test_client_basics(client):
    schema = Schema(
        json.dumps({"type": "record", "name": "K", "fields": [{"name": "a", "type": "int"}]}),
        "AVRO",
    )
    schema_id = client.register_schema("client-basics", schema)
    assert client.get_schema(schema_id).schema_str
    assert client.get_latest_version("client-basics").schema_id == schema_id
    assert client.lookup_schema("client-basics", schema).version == 1
    assert "client-basics" in client.get_subjects()
    assert client.get_versions("client-basics") == [1]
    assert client.set_compatibility("client-basics", "FULL")
    assert client.get_compatibility("client-basics") == "FULL"
    bad = Schema(
        json.dumps({"type": "record", "name": "K", "fields": [{"name": "a", "type": "string"}]}),
        "AVRO",
    )
    assert client.test_compatibility("client-basics", bad) is False
    with pytest.raises(SchemaRegistryError) as err:
        client.register_schema("client-basics", bad)
    assert err.value.error_code == 409
    with pytest.raises(SchemaRegistryError) as err:
        client.get_version("client-basics", 42)
    assert err.value.error_code == 40402
    assert client.delete_subject("client-basics") == [1]


def test_avro_round_trip(client, bootstrap):
    schema = json.dumps(
        {
            "type": "record",
            "name": "Order",
            "namespace": "shop",
            "fields": [
                {"name": "id", "type": "long"},
                {"name": "item", "type": "string"},
                {"name": "note", "type": ["null", "string"], "default": None},
            ],
        }
    )
    values = [{"id": i, "item": f"thing-{i}", "note": None if i % 2 else "x"} for i in range(5)]
    got = round_trip(bootstrap, AvroSerializer(client, schema), AvroDeserializer(client), values)
    assert got == values


def test_avro_with_references(client, bootstrap):
    address = json.dumps(
        {
            "type": "record",
            "name": "Addr",
            "namespace": "ref",
            "fields": [{"name": "city", "type": "string"}],
        }
    )
    client.register_schema("ref-addr", Schema(address, "AVRO"))
    person = json.dumps(
        {
            "type": "record",
            "name": "Person",
            "namespace": "ref",
            "fields": [{"name": "home", "type": "ref.Addr"}],
        }
    )
    refs = [SchemaReference("ref.Addr", "ref-addr", 1)]
    client.register_schema("ref-person-value", Schema(person, "AVRO", refs))
    serializer = AvroSerializer(client, Schema(person, "AVRO", refs))
    values = [{"home": {"city": "Lyon"}}]
    assert round_trip(bootstrap, serializer, AvroDeserializer(client), values) == values


def test_json_round_trip(client, bootstrap):
    schema = json.dumps(
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": "Event",
            "type": "object",
            "properties": {"kind": {"type": "string"}, "n": {"type": "integer"}},
            "required": ["kind"],
        }
    )
    values = [{"kind": "click", "n": 1}, {"kind": "view"}]
    got = round_trip(bootstrap, JSONSerializer(schema, client), JSONDeserializer(schema), values)
    assert got == values


def _message_class(text: str, name: str):
    pool = descriptor_pool.DescriptorPool()
    for fdp in compile_set(text, ()).file:
        pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(name))


def test_protobuf_round_trip(client, bootstrap):
    text = (
        'syntax = "proto3";\npackage pbtest;\nimport "google/protobuf/timestamp.proto";\n'
        "message Reading {\n  string sensor = 1;\n  double value = 2;\n"
        "  google.protobuf.Timestamp at = 3;\n}\n"
    )
    cls = _message_class(text, "pbtest.Reading")
    serializer = ProtobufSerializer(cls, client, {"use.deprecated.format": False})
    deserializer = ProtobufDeserializer(cls, {"use.deprecated.format": False})
    values = [cls(sensor="s1", value=1.5), cls(sensor="s2", value=-3.0)]
    values[0].at.seconds = 1700000000
    assert round_trip(bootstrap, serializer, deserializer, values) == values
    kinds = {client.get_latest_version(s).schema.schema_type for s in client.get_subjects()}
    assert "PROTOBUF" in kinds
