"""The admin and data-path APIs of issue 2, each driven by a real client against a real broker."""

from __future__ import annotations

import asyncio
import datetime
import io
import struct
import time

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
)
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient
from kio.index import load_response_schema
from kio.schema.create_topics.v7 import request as ct
from kio.schema.errors import ErrorCode
from kio.schema.offset_for_leader_epoch.v4 import request as olep
from kio.serial import entity_reader, entity_writer

from tests.support.raw_client import RawClient


def admin(broker) -> AdminClient:
    return AdminClient({"bootstrap.servers": broker.bootstrap})


def create(broker, name: str, partitions: int = 1, **configs: str) -> None:
    a = admin(broker)
    fs = a.create_topics([ck.admin.NewTopic(name, partitions, 1, config=configs)])
    fs[name].result(10)


def produce(broker, topic: str, values: list[bytes], partition: int = 0, **conf) -> list[int]:
    offsets = []
    p = ck.Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 0, **conf})
    for v in values:
        p.produce(
            topic,
            value=v,
            partition=partition,
            on_delivery=lambda e, m: offsets.append(m.offset()) if e is None else None,
            **({"timestamp": int(v.split(b"@")[1])} if b"@" in v else {}),
        )
        p.poll(0)
    assert p.flush(20) == 0
    return offsets


def test_create_validate_only_and_errors(broker):
    a = admin(broker)
    fs = a.create_topics([ck.admin.NewTopic("vo", 2, 1)], validate_only=True)
    fs["vo"].result(10)
    assert "vo" not in a.list_topics(timeout=10).topics
    create(broker, "dup")
    with pytest.raises(ck.KafkaException) as info:
        a.create_topics([ck.admin.NewTopic("dup", 1, 1)])["dup"].result(10)
    assert info.value.args[0].code() == ck.KafkaError.TOPIC_ALREADY_EXISTS
    with pytest.raises(ck.KafkaException) as info:
        a.create_topics([ck.admin.NewTopic("rf2", 1, 2)])["rf2"].result(10)
    assert info.value.args[0].code() == ck.KafkaError.INVALID_REPLICATION_FACTOR
    with pytest.raises(ck.KafkaException) as info:
        a.create_topics([ck.admin.NewTopic("badcfg", 1, 1, config={"retention.ms": "soon"})])[
            "badcfg"
        ].result(10)
    assert info.value.args[0].code() == ck.KafkaError.INVALID_CONFIG


def test_auto_create_is_off_by_default(broker):
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, max_block_ms=2000)
    with pytest.raises(Exception):
        producer.send("never-created", b"x").get(timeout=5)
    producer.close()
    assert "never-created" not in admin(broker).list_topics(timeout=10).topics


def test_auto_create_in_developer_mode(broker_factory):
    dev = broker_factory("--dev", name="dev")
    producer = KafkaProducer(bootstrap_servers=dev.bootstrap)
    assert producer.send("auto-made", b"x").get(timeout=10).offset == 0
    producer.close()


def test_fetch_long_poll_waits_for_data(broker):
    create(broker, "lp")
    consumer = ck.Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": "lp",
            "fetch.wait.max.ms": 3000,
            "enable.auto.commit": False,
            "fetch.min.bytes": 1,
        }
    )
    consumer.assign([ck.TopicPartition("lp", 0, 0)])
    assert consumer.poll(0.5) is None
    started = time.monotonic()
    produce(broker, "lp", [b"late"])
    msg = None
    while msg is None and time.monotonic() - started < 10:
        msg = consumer.poll(0.5)
    consumer.close()
    assert msg is not None and msg.value() == b"late"


def test_list_offsets_earliest_latest_and_by_timestamp(broker):
    create(broker, "lo")
    base = 1_700_000_000_000
    produce(broker, "lo", [f"r{i}@{base + i * 1000}".encode() for i in range(10)])
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap)
    tp = TopicPartition("lo", 0)
    assert consumer.beginning_offsets([tp])[tp] == 0
    assert consumer.end_offsets([tp])[tp] == 10
    found = consumer.offsets_for_times({tp: base + 4500})[tp]
    assert found.offset == 5
    assert consumer.offsets_for_times({tp: base + 60_000})[tp] is None
    consumer.close()


def test_delete_records_moves_log_start(broker):
    create(broker, "dr")
    produce(broker, "dr", [b"v%d" % i for i in range(20)])
    a = admin(broker)
    fs = a.delete_records([ck.TopicPartition("dr", 0, 12)])
    assert fs[ck.TopicPartition("dr", 0, 12)].result(10).low_watermark == 12
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap)
    tp = TopicPartition("dr", 0)
    assert consumer.beginning_offsets([tp])[tp] == 12
    consumer.close()
    broker.restart()
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap)
    assert consumer.beginning_offsets([tp])[tp] == 12
    consumer.close()


def test_describe_alter_and_incremental_alter_configs(broker):
    create(broker, "cfg", **{"retention.ms": "3600000"})
    a = admin(broker)
    res = ConfigResource(ConfigResource.Type.TOPIC, "cfg")
    described = a.describe_configs([res])[res].result(10)
    assert described["retention.ms"].value == "3600000"
    assert described["cleanup.policy"].value == "delete"
    assert described["max.message.bytes"].value == "1048576"
    a.incremental_alter_configs(
        [
            ConfigResource(
                ConfigResource.Type.TOPIC,
                "cfg",
                incremental_configs=[
                    ConfigEntry(
                        "segment.bytes", "2097152", incremental_operation=AlterConfigOpType.SET
                    ),
                    ConfigEntry(
                        "retention.ms", None, incremental_operation=AlterConfigOpType.DELETE
                    ),
                ],
            )
        ]
    )[res].result(10)
    described = a.describe_configs([res])[res].result(10)
    assert described["segment.bytes"].value == "2097152"
    assert described["retention.ms"].value == "604800000"
    bad = ConfigResource(
        ConfigResource.Type.TOPIC,
        "cfg",
        incremental_configs=[
            ConfigEntry("cleanup.policy", "shred", incremental_operation=AlterConfigOpType.SET)
        ],
    )
    with pytest.raises(ck.KafkaException) as info:
        a.incremental_alter_configs([bad])[res].result(10)
    assert info.value.args[0].code() == ck.KafkaError.INVALID_CONFIG
    broker.restart()
    a = admin(broker)
    described = a.describe_configs([res])[res].result(10)
    assert described["segment.bytes"].value == "2097152"


def test_create_partitions_and_delete_topics(broker):
    create(broker, "grow", 2)
    a = admin(broker)
    a.create_partitions([NewPartitions("grow", 5)])["grow"].result(10)
    assert len(a.list_topics("grow", timeout=10).topics["grow"].partitions) == 5
    produce(broker, "grow", [b"in-new-partition"], partition=4)
    a.delete_topics(["grow"])["grow"].result(10)
    assert "grow" not in a.list_topics(timeout=10).topics
    with pytest.raises(ck.KafkaException):
        a.delete_topics(["grow"])["grow"].result(10)


def test_offset_for_leader_epoch_and_terms_across_restarts(broker):
    create(broker, "ep")
    produce(broker, "ep", [b"a", b"b", b"c"])
    broker.restart()
    produce(broker, "ep", [b"d", b"e"])
    client = RawClient(broker.kafka_port)

    def end_of(epoch: int):
        req = olep.OffsetForLeaderEpochRequest(
            replica_id=-1,
            topics=(
                olep.OffsetForLeaderTopic(
                    topic="ep",
                    partitions=(
                        olep.OffsetForLeaderPartition(
                            partition=0, current_leader_epoch=-1, leader_epoch=epoch
                        ),
                    ),
                ),
            ),
        )
        p = client.request(req).topics[0].partitions[0]
        assert p.error_code == ErrorCode.none
        return p.leader_epoch, p.end_offset

    first_epoch, first_end = end_of(0)
    assert first_end == 3
    latest_epoch, latest_end = end_of(1000)
    assert latest_epoch > first_epoch and latest_end == 5


def test_describe_log_dirs(broker):
    create(broker, "ld", 2)
    produce(broker, "ld", [b"x" * 1000] * 10)
    a = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    dirs = a.describe_log_dirs()
    a.close()
    text = repr(dirs)
    assert "ld" in text and str(broker.data_dir) in text


def test_idempotent_producer_dedups_retried_batches(broker):
    """A replayed batch (same producer id, epoch, sequence) is answered with its first offset."""
    from kio.schema.produce.v7 import request as produce7

    from core.model.records import Record, build_batch

    create(broker, "idem")
    client = RawClient(broker.kafka_port)
    from kio.schema.init_producer_id.v4.request import InitProducerIdRequest

    init = client.request(
        InitProducerIdRequest(
            transactional_id=None,
            transaction_timeout=datetime.timedelta(seconds=60),
            producer_id=-1,
            producer_epoch=-1,
        )
    )
    assert init.error_code == ErrorCode.none

    def send(seq: int, n: int = 2):
        batch = build_batch(
            [Record(key=None, value=b"s%d" % (seq + i)) for i in range(n)],
            producer_id=init.producer_id,
            producer_epoch=init.producer_epoch,
            base_sequence=seq,
        )
        req = produce7.ProduceRequest(
            transactional_id=None,
            acks=-1,
            timeout=datetime.timedelta(seconds=5),
            topic_data=(
                produce7.TopicProduceData(
                    name="idem",
                    partition_data=(produce7.PartitionProduceData(index=0, records=bytes(batch)),),
                ),
            ),
        )
        p = client.request(req).responses[0].partition_responses[0]
        return p.error_code, p.base_offset

    assert send(0) == (ErrorCode.none, 0)
    assert send(2) == (ErrorCode.none, 2)
    assert send(0) == (ErrorCode.none, 0)  # duplicate of the first batch
    assert send(7)[0] == ErrorCode.out_of_order_sequence_number
    broker.restart(crash=True)
    client = RawClient(broker.kafka_port)
    assert send(2) == (
        ErrorCode.none,
        2,
    )  # still a duplicate after a crash: state rebuilt from the log
    assert send(4) == (ErrorCode.none, 4)


def test_retention_by_bytes_deletes_closed_segments(broker_factory):
    b = broker_factory("--set", "log_compaction_interval_ms=200", name="ret")
    create(b, "ret", **{"segment.bytes": str(1024 * 1024), "retention.bytes": str(1024 * 1024)})
    produce(b, "ret", [b"z" * 10_000] * 400)
    consumer = KafkaConsumer(bootstrap_servers=b.bootstrap)
    tp = TopicPartition("ret", 0)
    deadline = time.monotonic() + 15
    while consumer.beginning_offsets([tp])[tp] == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    start = consumer.beginning_offsets([tp])[tp]
    end = consumer.end_offsets([tp])[tp]
    consumer.close()
    assert 0 < start < end == 400


def test_data_survives_clean_restart_and_dir_is_locked(broker, tmp_path):
    import subprocess
    import sys

    create(broker, "keep", 3)
    for p in range(3):
        produce(broker, "keep", [b"p%d-%d" % (p, i) for i in range(50)], partition=p)
    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "--data-dir",
            str(broker.data_dir),
            "--kafka-addr",
            "127.0.0.1:0",
            "--admin-addr",
            "127.0.0.1:0",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert second.returncode == 1 and "in use by another process" in second.stderr
    assert broker.stop() == 0
    assert "stopped cleanly" in broker.log_text()
    broker.start()
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, consumer_timeout_ms=3000)
    consumer.assign([TopicPartition("keep", p) for p in range(3)])
    consumer.seek_to_beginning()
    got = sorted(m.value for m in consumer)
    consumer.close()
    assert got == sorted(b"p%d-%d" % (p, i) for p in range(3) for i in range(50))


def test_concurrent_creates_of_one_name_succeed_once(broker):
    async def one() -> ErrorCode:
        reader, writer = await asyncio.open_connection("127.0.0.1", broker.kafka_port)
        req = ct.CreateTopicsRequest(
            topics=(
                ct.CreatableTopic(
                    name="race", num_partitions=1, replication_factor=1, assignments=(), configs=()
                ),
            ),
            timeout=datetime.timedelta(seconds=10),
            validate_only=False,
        )
        buf = io.BytesIO()
        entity_writer(req.__header_schema__)(
            buf,
            req.__header_schema__(
                request_api_key=19, request_api_version=7, correlation_id=1, client_id="race"
            ),
        )
        entity_writer(type(req))(buf, req)
        writer.write(struct.pack(">i", len(buf.getvalue())) + buf.getvalue())
        size = struct.unpack(">i", await reader.readexactly(4))[0]
        frame = await reader.readexactly(size)
        writer.close()
        cls = load_response_schema(19, 7)
        _, used = entity_reader(cls.__header_schema__)(frame, 0)
        return entity_reader(cls)(frame, used)[0].topics[0].error_code

    async def race() -> list:
        return await asyncio.gather(*(one() for _ in range(8)))

    codes = asyncio.run(race())
    assert sorted(codes).count(ErrorCode.none) == 1
    assert codes.count(ErrorCode.topic_already_exists) == 7
