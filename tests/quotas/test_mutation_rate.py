"""controller_mutation_rate enforced as Redpanda enforces it (KIP-599) on CreateTopics and
CreatePartitions, with real clients: a budget starts with one second of its rate; a topic that
finds its client's budget in debt is not created (THROTTLING_QUOTA_EXCEEDED for CreateTopics
v6+ / CreatePartitions v3+, UNKNOWN_SERVER_ERROR for older clients, "Too many partition
mutations requested") and the response carries the throttle time; other clients are not held.
Also the entity types and keys Redpanda refuses, with its codes and texts."""

from __future__ import annotations

import datetime

import pytest
from confluent_kafka import KafkaError
from confluent_kafka.admin import AdminClient, NewTopic
from kafka.admin import KafkaAdminClient, NewPartitions
from kafka.admin import NewTopic as KpNewTopic
from kafka.errors import ThrottlingQuotaExceededError
from kio.schema.alter_client_quotas.v1 import request as acq
from kio.schema.create_topics.v7 import request as ctq
from kio.schema.describe_client_quotas.v1 import request as dcq
from kio.schema.errors import ErrorCode

from tests.support.broker import start_broker
from tests.support.raw_client import RawClient
from tests.support.rpk import run_in_process

REFUSED = "Too many partition mutations requested"


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    proc = start_broker(tmp_path_factory.mktemp("mutation-quota"))
    yield proc
    proc.stop()


def set_rate(broker, client_id: str, rate: int) -> None:
    env = {"RPK_BROKERS": broker.bootstrap, "RPK_GLOBALS_REQUEST_TIMEOUT_OVERHEAD": "15s"}
    args = ["cluster", "quotas", "alter", "--name", f"client-id={client_id}"]
    result = run_in_process([*args, "--add", f"controller_mutation_rate={rate}"], env)
    assert result.exit_code == 0 and "OK" in result.stdout, result.stdout + result.stderr


def kafka_python_admin(broker, client_id: str) -> KafkaAdminClient:
    return KafkaAdminClient(bootstrap_servers=broker.bootstrap, client_id=client_id)


def _codes(result: dict) -> list[tuple[str, int, str | None]]:
    return [(t["name"], t["error_code"], t["error_message"]) for t in result["topics"]]


def _create_v7(broker, client_id: str, name: str, partitions: int):
    request = ctq.CreateTopicsRequest(
        topics=(
            ctq.CreatableTopic(
                name=name,
                num_partitions=partitions,
                replication_factor=1,
                assignments=(),
                configs=(),
            ),
        ),
        timeout=datetime.timedelta(seconds=10),
        validate_only=False,
    )
    client = RawClient(broker.kafka_port)
    try:
        return client.request(request, client_id=client_id)
    finally:
        client.close()


def _fresh(broker, client_id: str, call):
    """`call(admin)` on a new kafka-python admin client: a throttled response pauses the
    connection's node in the client that got it (KIP-219), so each step uses its own."""
    admin = kafka_python_admin(broker, client_id)
    try:
        return call(admin)
    finally:
        admin.close()


def test_create_topics_and_partitions_are_refused_while_the_budget_owes(broker):
    set_rate(broker, "mut-new", 5)

    def create(name: str, partitions: int, **kw):
        topic = KpNewTopic(name, partitions, 1)
        return _fresh(broker, "mut-new", lambda a: a.create_topics([topic], **kw))

    first = create("mut-a", 10, raise_errors=False)
    assert _codes(first) == [("mut-a", 0, None)]  # a full budget: created, now owes
    refused = create("mut-b", 1, raise_errors=False)
    assert _codes(refused) == [("mut-b", ThrottlingQuotaExceededError.errno, REFUSED)]
    raw = _create_v7(broker, "mut-new", "mut-b", 1)
    assert raw.topics[0].error_code == ErrorCode.throttling_quota_exceeded
    assert raw.throttle_time.total_seconds() > 0
    grow = _fresh(
        broker,
        "mut-new",
        lambda a: a.create_partitions({"mut-a": NewPartitions(12)}, raise_errors=False),
    )
    [result] = grow.results
    assert (result.name, result.error_code, result.error_message) == (
        "mut-a",
        ThrottlingQuotaExceededError.errno,
        REFUSED,
    )
    assert grow.throttle_time_ms > 0
    dry = create("mut-c", 1, validate_only=True)
    assert _codes(dry) == [("mut-c", 0, None)]  # validate-only counts and refuses nothing
    free = _create_v7(broker, "mut-free", "mut-free-t", 3)  # another client is not held
    assert free.topics[0].error_code == 0 and free.throttle_time.total_seconds() == 0
    names = set(_fresh(broker, "mut-free", lambda a: a.list_topics()))
    assert "mut-a" in names and "mut-b" not in names and "mut-c" not in names
    described = _fresh(broker, "mut-free", lambda a: a.describe_topics(["mut-a"]))
    assert len(described[0]["partitions"]) == 10


def test_older_create_topics_get_unknown_server_error(broker):
    set_rate(broker, "mut-old", 2)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap, "client.id": "mut-old"})
    assert admin.create_topics([NewTopic("mut-old-a", 4, 1)])["mut-old-a"].result(30) is None
    future = admin.create_topics([NewTopic("mut-old-b", 1, 1)])["mut-old-b"]
    with pytest.raises(Exception) as caught:  # librdkafka sends CreateTopics v4
        future.result(30)
    error = caught.value.args[0]
    assert error.code() == KafkaError.UNKNOWN and error.str() == REFUSED


def _alter(broker, *entity: tuple[str, str | None]):
    entry = acq.EntryData(
        entity=tuple(acq.EntityData(entity_type=t, entity_name=n) for t, n in entity),
        ops=(acq.OpData(key="producer_byte_rate", value=1000.0, remove=False),),
    )
    client = RawClient(broker.kafka_port)
    try:
        response = client.request(
            acq.AlterClientQuotasRequest(entries=(entry,), validate_only=True)
        )
    finally:
        client.close()
    [answer] = response.entries
    return answer.error_code, answer.error_message


def _describe(broker, *components: tuple[str, int, str | None]):
    request = dcq.DescribeClientQuotasRequest(
        components=tuple(
            dcq.ComponentData(entity_type=t, match_type=m, match=n) for t, m, n in components
        ),
        strict=False,
    )
    client = RawClient(broker.kafka_port)
    try:
        response = client.request(request)
    finally:
        client.close()
    return response.error_code, response.error_message, response.entries


PREFIX_DEFAULT = (
    "Invalid quota entity type, client-id-prefix entity should not be used at the default "
    "level (use client-id default instead)."
)


def test_entity_types_redpanda_refuses_read_as_redpanda(broker):
    assert _alter(broker, ("user", "alice")) == (
        ErrorCode.unsupported_version,
        "Entity type 'user' not yet supported",
    )
    assert _alter(broker, ("ip", "10.0.0.1")) == (
        ErrorCode.unsupported_version,
        "Entity type 'ip' not yet supported",
    )
    assert _alter(broker, ("group", "g")) == (
        ErrorCode.invalid_request,
        "Unhandled client quota entity type: group",
    )
    assert _alter(broker, ("client-id", "a"), ("user", "u")) == (
        ErrorCode.invalid_request,
        "Invalid client quota entity",
    )
    assert _alter(broker, ("client-id-prefix", "")) == (ErrorCode.invalid_request, PREFIX_DEFAULT)
    assert _alter(broker, ("client-id", "")) == (ErrorCode.none, None)  # the default entity
    assert _describe(broker, ("user", 2, None)) == (
        ErrorCode.unsupported_version,
        "Entity type 'user' not yet supported",
        (),
    )
    assert _describe(broker, ("group", 0, "g"))[:2] == (
        ErrorCode.unsupported_version,
        "Custom entity type 'group' not supported",
    )
    assert _describe(broker, ("client-id-prefix", 1, None))[:2] == (
        ErrorCode.invalid_request,
        PREFIX_DEFAULT,
    )
    assert _describe(broker, ("client-id", 0, None))[:2] == (
        ErrorCode.invalid_request,
        "Unspecified match field for exact_name match type",
    )
    assert _describe(broker, ("client-id", 2, None), ("client-id-prefix", 2, None))[:2] == (
        ErrorCode.invalid_request,
        "Duplicate filter component for entity type 'client-id-prefix'",
    )


def test_an_empty_client_id_name_is_the_default_and_values_come_in_redpanda_order(broker):
    env = {"RPK_BROKERS": broker.bootstrap, "RPK_GLOBALS_REQUEST_TIMEOUT_OVERHEAD": "15s"}
    alter = ["cluster", "quotas", "alter", "--name", "client-id="]
    adds = ["--add", "consumer_byte_rate=2000", "--add", "producer_byte_rate=1000"]
    assert run_in_process([*alter, *adds], env).exit_code == 0
    shown = run_in_process(["cluster", "quotas", "describe", "--default", "client-id"], env)
    assert shown.stdout == (
        "client-id=<default>\n\tproducer_byte_rate=1000\n\tconsumer_byte_rate=2000\n"
    )
