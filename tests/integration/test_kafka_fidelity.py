"""Kafka fidelity fixes of issue 9, each driven by a real client against one shared broker."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import confluent_kafka as ck
import httpx
import pytest
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    OffsetSpec,
)
from kio.schema.delete_records.v2 import request as dr
from kio.schema.describe_configs.v4 import request as dc
from kio.schema.errors import ErrorCode
from kio.schema.list_offsets.v9 import request as lo
from kio.schema.types import BrokerId, TopicName
from kio.static.primitive import i8, i32, i64

from tests.support.broker import BrokerProcess
from tests.support.raw_client import RawClient


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    b = BrokerProcess(tmp_path_factory.mktemp("fidelity") / "broker").start()
    yield b
    try:
        b.stop()
    except Exception:
        b.kill()


_ADMINS: dict[str, AdminClient] = {}


def admin(broker) -> AdminClient:
    """One AdminClient per broker, kept alive (a dropped client fails its futures)."""
    if broker.bootstrap not in _ADMINS:
        _ADMINS[broker.bootstrap] = AdminClient({"bootstrap.servers": broker.bootstrap})
    return _ADMINS[broker.bootstrap]


def create(broker, name: str, partitions: int = 1, **configs: str) -> None:
    fs = admin(broker).create_topics([ck.admin.NewTopic(name, partitions, 1, config=configs)])
    fs[name].result(10)


def describe_topic(broker, name: str) -> dict:
    res = ConfigResource(ConfigResource.Type.TOPIC, name)
    return admin(broker).describe_configs([res])[res].result(10)


def incremental(broker, topic: str, name: str, value: str | None, op: AlterConfigOpType):
    res = ConfigResource(
        ConfigResource.Type.TOPIC,
        topic,
        incremental_configs=[ConfigEntry(name, value, incremental_operation=op)],
    )
    return admin(broker).incremental_alter_configs([res])[res].result(10)


def set_cluster(broker, **values) -> None:
    r = httpx.put(
        f"{broker.admin_url}/v1/cluster_config",
        json={"upsert": values, "remove": []},
        timeout=10,
    )
    assert r.status_code == 200, r.text


def remove_cluster(broker, *names: str) -> None:
    r = httpx.put(
        f"{broker.admin_url}/v1/cluster_config",
        json={"upsert": {}, "remove": list(names)},
        timeout=10,
    )
    assert r.status_code == 200, r.text


# ---- IncrementalAlterConfigs APPEND / SUBTRACT -------------------------------------------------


def test_append_and_subtract_start_from_the_effective_value(broker):
    create(broker, "ops")
    incremental(broker, "ops", "cleanup.policy", "compact", AlterConfigOpType.APPEND)
    entry = describe_topic(broker, "ops")["cleanup.policy"]
    assert entry.value == "delete,compact"
    assert entry.source == ck.admin.ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    incremental(broker, "ops", "cleanup.policy", "compact", AlterConfigOpType.SUBTRACT)
    assert describe_topic(broker, "ops")["cleanup.policy"].value == "delete"

    create(broker, "ops-empty")
    incremental(broker, "ops-empty", "cleanup.policy", "delete", AlterConfigOpType.SUBTRACT)
    entry = describe_topic(broker, "ops-empty")["cleanup.policy"]
    # Kafka (KIP-1161) stores the empty list: neither deleted nor compacted, kept forever.
    assert entry.value == "" and entry.source == ck.admin.ConfigSource.DYNAMIC_TOPIC_CONFIG.value


def test_append_to_a_non_list_config_is_invalid_config(broker):
    create(broker, "ops-scalar")
    with pytest.raises(ck.KafkaException) as info:
        incremental(broker, "ops-scalar", "retention.ms", "5", AlterConfigOpType.APPEND)
    assert info.value.args[0].code() == ck.KafkaError.INVALID_CONFIG


# ---- DescribeConfigs: never null where Kafka reports a value -----------------------------------


def test_topic_configs_are_never_null(broker):
    remove_cluster(broker, "log_segment_ms", "retention_bytes")
    create(broker, "no-nulls")
    described = describe_topic(broker, "no-nulls")
    assert described["segment.ms"].value == "604800000"
    assert described["retention.bytes"].value == "-1"
    nulls = [name for name, entry in described.items() if entry.value is None]
    assert nulls == []
    set_cluster(broker, raft_replica_max_pending_flush_bytes=None)
    try:
        assert describe_topic(broker, "no-nulls")["flush.bytes"].value == str(256 * 1024)
    finally:
        remove_cluster(broker, "raft_replica_max_pending_flush_bytes")
    set_cluster(broker, log_segment_ms=3_600_000)
    try:
        assert describe_topic(broker, "no-nulls")["segment.ms"].value == "3600000"
    finally:
        remove_cluster(broker, "log_segment_ms")


# ---- DescribeConfigs on the broker: Kafka's names too ------------------------------------------


def test_broker_configs_answer_kafka_names(broker):
    res = ConfigResource(ConfigResource.Type.BROKER, str(broker.node_id))
    described = admin(broker).describe_configs([res])[res].result(10)
    assert described["listeners"].value == f"plain://127.0.0.1:{broker.kafka_port}"
    assert described["advertised.listeners"].value == f"plain://127.0.0.1:{broker.kafka_port}"
    assert described["log.segment.bytes"].value == str(128 * 1024 * 1024)
    assert described["log.retention.ms"].value == "604800000"
    assert described["log.retention.bytes"].value == "-1"
    assert described["num.partitions"].value == "1"
    assert described["default.replication.factor"].value == "1"
    assert Path(described["log.dirs"].value) == broker.data_dir
    assert described["auto.create.topics.enable"].value in ("true", "false")
    assert described["log_segment_size"].value == str(128 * 1024 * 1024)  # Redpanda's names stay
    set_cluster(broker, default_topic_partitions=3)
    try:
        entry = admin(broker).describe_configs([res])[res].result(10)["num.partitions"]
        assert entry.value == "3" and not entry.is_default
    finally:
        remove_cluster(broker, "default_topic_partitions")


def test_broker_configs_of_another_broker_id_are_invalid_request(broker):
    client = RawClient(broker.kafka_port)
    try:
        resp = client.request(
            dc.DescribeConfigsRequest(
                resources=(
                    dc.DescribeConfigsResource(
                        resource_type=i8(4),
                        resource_name=str(broker.node_id + 7),
                        configuration_keys=None,
                    ),
                )
            )
        )
    finally:
        client.close()
    (result,) = resp.results
    assert result.error_code == ErrorCode.invalid_request and result.configs == ()


# ---- segment bounds: accept Kafka's values, clamp the roll ---------------------------------------


def segment_files(broker, topic: str) -> list[Path]:
    """The topic's segment files in offset order (names start with the base offset)."""
    (partition_dir,) = (broker.data_dir / "kafka" / topic).iterdir()
    return sorted(partition_dir.glob("*.log"), key=lambda f: int(f.name.split("-")[0]))


def test_tiny_segment_bytes_is_reported_as_set_and_rolls_at_the_cluster_minimum(broker):
    set_cluster(broker, log_segment_size_min=64 * 1024)
    try:
        create(broker, "tiny-segments", **{"segment.bytes": "100"})
        assert describe_topic(broker, "tiny-segments")["segment.bytes"].value == "100"
        p = ck.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0, "acks": "all"})
        for i in range(40):
            p.produce("tiny-segments", value=bytes(8 * 1024), key=str(i).encode())
            p.flush(10)
        segments = segment_files(broker, "tiny-segments")
        sizes = [f.stat().st_size for f in segments]
        # 40 batches of ~8 KiB: rolled (the bound applies), but never at 100 bytes.
        assert 2 <= len(segments) <= 8, sizes
        assert all(size >= 64 * 1024 - 9 * 1024 for size in sizes[:-1]), sizes
    finally:
        remove_cluster(broker, "log_segment_size_min")


def test_segment_size_max_bounds_a_large_segment_bytes(broker):
    set_cluster(broker, log_segment_size_min=16 * 1024, log_segment_size_max=32 * 1024)
    try:
        create(broker, "capped-segments", **{"segment.bytes": str(1024 * 1024 * 1024)})
        p = ck.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0, "acks": "all"})
        for i in range(20):
            p.produce("capped-segments", value=bytes(8 * 1024), key=str(i).encode())
            p.flush(10)
        deadline = time.monotonic() + 5
        while len(segment_files(broker, "capped-segments")) < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(segment_files(broker, "capped-segments")) >= 4
        described = describe_topic(broker, "capped-segments")
        assert described["segment.bytes"].value == str(1024 * 1024 * 1024)
    finally:
        remove_cluster(broker, "log_segment_size_min", "log_segment_size_max")


def test_segment_ms_rolls_within_log_segment_ms_min_and_max(broker):
    set_cluster(broker, log_segment_ms_min=1000, log_segment_ms_max=1500)
    try:
        create(broker, "roll-tiny-ms", **{"segment.ms": "1"})
        create(broker, "roll-long-ms", **{"segment.ms": "3600000"})
        p = ck.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0, "acks": "all"})
        for _ in range(2):  # 0.4 s apart: segment.ms=1 would roll, the 1 s minimum does not
            p.produce("roll-tiny-ms", value=b"v")
            assert p.flush(10) == 0
            time.sleep(0.4)
        for _ in range(2):  # 1.7 s apart: past the 1.5 s maximum, so the log rolls
            p.produce("roll-long-ms", value=b"v")
            assert p.flush(10) == 0
            time.sleep(1.7)
        assert len(segment_files(broker, "roll-tiny-ms")) == 1
        assert len(segment_files(broker, "roll-long-ms")) == 2
        assert describe_topic(broker, "roll-tiny-ms")["segment.ms"].value == "1"
        assert describe_topic(broker, "roll-long-ms")["segment.ms"].value == "3600000"
    finally:
        remove_cluster(broker, "log_segment_ms_min", "log_segment_ms_max")


# ---- transactional producers fail fast -----------------------------------------------------------


def test_transactional_init_fails_fast_when_transactions_are_off(kafka_broker_factory):
    """enable_transactions: false answers as Redpanda does (TRANSACTIONAL_ID_AUTHORIZATION_FAILED),
    which clients treat as fatal at once instead of retrying for minutes."""
    broker = kafka_broker_factory(
        {"enable_transactions": "false"}, proxy=False, schema_registry=False
    )
    producer = ck.Producer({"bootstrap.servers": broker.bootstrap_servers, "transactional.id": "t"})
    started = time.monotonic()
    with pytest.raises(ck.KafkaException) as info:
        producer.init_transactions(30)
    elapsed_s = time.monotonic() - started
    error = info.value.args[0]
    assert error.code() == ck.KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    assert error.fatal() and not error.retriable()
    assert elapsed_s < 5, elapsed_s


# ---- ListOffsets v7+: MAX_TIMESTAMP ------------------------------------------------------------


def produce_at(broker, topic: str, batches: list[list[int]]) -> None:
    """One batch per inner list (flush between), each record with the given timestamp."""
    p = ck.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 50, "acks": "all"})
    for timestamps in batches:
        for ts in timestamps:
            p.produce(topic, value=b"v", partition=0, timestamp=ts)
        assert p.flush(10) == 0


def list_offset(broker, topic: str, spec) -> tuple[int, int]:
    tp = ck.TopicPartition(topic, 0)
    info = admin(broker).list_offsets({tp: spec})[tp].result(10)
    return info.offset, info.timestamp


def test_list_offsets_max_timestamp_is_the_record_with_the_largest_timestamp(broker):
    create(broker, "max-ts")
    assert list_offset(broker, "max-ts", OffsetSpec.max_timestamp()) == (-1, -1)
    now_ms = int(time.time() * 1000)
    produce_at(
        broker,
        "max-ts",
        [[now_ms - 5000], [now_ms - 4000, now_ms - 1000, now_ms - 3000], [now_ms - 2000]],
    )
    assert list_offset(broker, "max-ts", OffsetSpec.max_timestamp()) == (2, now_ms - 1000)
    assert list_offset(broker, "max-ts", OffsetSpec.earliest()) == (0, -1)
    assert list_offset(broker, "max-ts", OffsetSpec.latest()) == (5, -1)


def test_list_offsets_v9_answers_tiered_specs_as_kafka_without_remote_storage(broker):
    create(broker, "tiers")
    produce_at(broker, "tiers", [[1_700_000_000_000, 1_700_000_000_001]])
    client = RawClient(broker.kafka_port)
    try:
        rows = {}
        for spec in (-4, -5):
            resp = client.request(
                lo.ListOffsetsRequest(
                    replica_id=BrokerId(-1),
                    isolation_level=i8(0),
                    topics=(
                        lo.ListOffsetsTopic(
                            name=TopicName("tiers"),
                            partitions=(
                                lo.ListOffsetsPartition(
                                    partition_index=i32(0), timestamp=i64(spec)
                                ),
                            ),
                        ),
                    ),
                )
            )
            (part,) = resp.topics[0].partitions
            rows[spec] = (part.error_code, part.offset)
    finally:
        client.close()
    assert rows == {-4: (ErrorCode.none, 0), -5: (ErrorCode.none, -1)}


# ---- DeleteRecords past the high watermark -----------------------------------------------------


def delete_records(broker, topic: str, offsets: dict[int, int]):
    client = RawClient(broker.kafka_port)
    try:
        resp = client.request(
            dr.DeleteRecordsRequest(
                topics=(
                    dr.DeleteRecordsTopic(
                        name=TopicName(topic),
                        partitions=tuple(
                            dr.DeleteRecordsPartition(partition_index=i32(p), offset=i64(o))
                            for p, o in offsets.items()
                        ),
                    ),
                ),
                timeout=datetime.timedelta(seconds=10),
            )
        )
    finally:
        client.close()
    return {p.partition_index: (p.error_code, p.low_watermark) for p in resp.topics[0].partitions}


def test_delete_records_past_the_high_watermark_is_offset_out_of_range(broker):
    create(broker, "dr-range", 2)
    for partition in (0, 1):
        p = ck.Producer({"bootstrap.servers": broker.bootstrap, "acks": "all"})
        for _ in range(3):
            p.produce("dr-range", value=b"v", partition=partition)
        assert p.flush(10) == 0
    got = delete_records(broker, "dr-range", {0: 4, 1: 2})
    assert got == {0: (ErrorCode.offset_out_of_range, -1), 1: (ErrorCode.none, 2)}
    assert delete_records(broker, "dr-range", {0: -2}) == {0: (ErrorCode.offset_out_of_range, -1)}
    assert delete_records(broker, "dr-range", {0: -1}) == {0: (ErrorCode.none, 3)}
    low, high = admin_watermarks(broker, "dr-range", 1)
    assert (low, high) == (2, 3)


def admin_watermarks(broker, topic: str, partition: int) -> tuple[int, int]:
    consumer = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "wm"})
    try:
        return consumer.get_watermark_offsets(ck.TopicPartition(topic, partition), timeout=10)
    finally:
        consumer.close()


# ---- kafka_nodelete_topics -----------------------------------------------------------------------


def delete_topic_error(broker, name: str) -> int:
    try:
        admin(broker).delete_topics([name], operation_timeout=10)[name].result(10)
    except ck.KafkaException as exc:
        return exc.args[0].code()
    return ck.KafkaError.NO_ERROR


def test_kafka_nodelete_topics_refuses_deletion(broker):
    create(broker, "keep-me")
    set_cluster(broker, kafka_nodelete_topics=["keep-me", "_schemas", "__consumer_offsets"])
    try:
        assert delete_topic_error(broker, "keep-me") == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED
        assert delete_topic_error(broker, "_schemas") == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED
        assert "keep-me" in admin(broker).list_topics(timeout=10).topics
    finally:
        remove_cluster(broker, "kafka_nodelete_topics")
    assert delete_topic_error(broker, "keep-me") == ck.KafkaError.NO_ERROR
    create(broker, "_schemas")  # the default list protects it
    assert delete_topic_error(broker, "_schemas") == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_broker_listeners_is_the_bound_address_not_the_advertised_one(broker_factory):
    b = broker_factory("--advertise-kafka-addr", "kafka.example:19092", name="advertised")
    client = RawClient(b.kafka_port)
    try:
        resp = client.request(
            dc.DescribeConfigsRequest(
                resources=(
                    dc.DescribeConfigsResource(
                        resource_type=i8(4),
                        resource_name="",
                        configuration_keys=("listeners", "advertised.listeners"),
                    ),
                )
            )
        )
    finally:
        client.close()
    values = {c.name: c.value for c in resp.results[0].configs}
    assert values == {
        "listeners": f"plain://127.0.0.1:{b.kafka_port}",
        "advertised.listeners": "plain://kafka.example:19092",
    }
