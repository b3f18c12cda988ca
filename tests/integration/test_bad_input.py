"""Bad input closes only the offending connection or gets the right Kafka error; the
broker keeps serving everyone else."""

from __future__ import annotations

import datetime
import socket
import struct
import time

import psutil
import pytest
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kio.schema.api_versions.v3.request import ApiVersionsRequest
from kio.schema.errors import ErrorCode
from kio.schema.fetch.v12 import request as fetch12
from kio.schema.produce.v7 import request as produce7

from core.model.records import Record, build_batch
from tests.support.raw_client import RawClient, fetch_v11


def api_versions_ok(port: int) -> None:
    client = RawClient(port)
    try:
        resp = client.request(
            ApiVersionsRequest(client_software_name="t", client_software_version="1")
        )
        assert resp.error_code == ErrorCode.none
        assert {k.api_key for k in resp.api_keys} >= {0, 1, 2, 3, 18, 19}
    finally:
        client.close()


def produce_request(topic: str, records: bytes, acks: int = -1):
    return produce7.ProduceRequest(
        transactional_id=None,
        acks=acks,
        timeout=datetime.timedelta(seconds=5),
        topic_data=(
            produce7.TopicProduceData(
                name=topic,
                partition_data=(produce7.PartitionProduceData(index=0, records=records),),
            ),
        ),
    )


def partition_error(resp) -> ErrorCode:
    return resp.responses[0].partition_responses[0].error_code


@pytest.fixture
def topic(broker):
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic("bad", 1, 1, topic_configs={"max.message.bytes": "2048"})])
    admin.close()
    return "bad"


@pytest.mark.parametrize(
    "frame",
    [
        struct.pack(">ihhi", 12, 3, 8, 1) + b"\xff" * 8,  # Metadata v8 with a garbage body
        struct.pack(">i", 2) + b"\x00\x03",  # shorter than a request header
        struct.pack(">i", 200 * 1024 * 1024),  # oversized frame
        struct.pack(">i", -5),  # negative size
    ],
    ids=["garbage-body", "short-header", "oversized", "negative-size"],
)
def test_malformed_frames_close_only_that_connection(broker, frame):
    bystander = RawClient(broker.kafka_port)
    bad = RawClient(broker.kafka_port)
    bad.sock.sendall(frame)
    assert bad.is_closed_by_peer()
    resp = bystander.request(
        ApiVersionsRequest(client_software_name="t", client_software_version="1")
    )
    assert resp.error_code == ErrorCode.none
    api_versions_ok(broker.kafka_port)
    assert "closing connection" in broker.log_text()


def test_unknown_api_key_gets_unsupported_version_and_connection_stays(broker):
    client = RawClient(broker.kafka_port)
    client.send_frame(struct.pack(">hhi", 9999, 0, 77) + struct.pack(">h", -1))
    frame = client.recv_frame()
    assert struct.unpack(">ih", frame) == (77, ErrorCode.unsupported_version.value)
    resp = client.request(ApiVersionsRequest(client_software_name="t", client_software_version="1"))
    assert resp.error_code == ErrorCode.none


def test_api_versions_too_new_gets_error_35_with_key_list(broker):
    client = RawClient(broker.kafka_port)
    client.send_frame(struct.pack(">hhih", 18, 99, 5, -1))
    frame = client.recv_frame()
    correlation, error, count = struct.unpack_from(">ihi", frame)
    assert (correlation, error) == (5, ErrorCode.unsupported_version.value)
    assert count >= 10


def test_unsupported_version_of_known_key(broker):
    client = RawClient(broker.kafka_port)
    req = fetch12.FetchRequest(
        cluster_id=None,
        replica_id=-1,
        max_wait=datetime.timedelta(0),
        min_bytes=1,
        max_bytes=1024,
        isolation_level=0,
        session_id=0,
        session_epoch=-1,
        topics=(),
        forgotten_topics_data=(),
        rack_id="",
    )
    resp = client.request(req)
    assert resp.error_code == ErrorCode.unsupported_version


def test_wrong_crc_is_corrupt_message(broker, topic):
    batch = build_batch([Record(key=b"k", value=b"v" * 100)])
    batch[-1] ^= 0xFF
    client = RawClient(broker.kafka_port)
    assert (
        partition_error(client.request(produce_request(topic, bytes(batch))))
        == ErrorCode.corrupt_message
    )


def test_missing_topic_is_unknown_topic_or_partition(broker):
    batch = build_batch([Record(key=b"k", value=b"v")])
    client = RawClient(broker.kafka_port)
    resp = client.request(produce_request("no-such-topic", bytes(batch)))
    assert partition_error(resp) == ErrorCode.unknown_topic_or_partition


def test_oversized_batch_is_message_too_large(broker, topic):
    batch = build_batch([Record(key=b"k", value=b"x" * 4096)])
    client = RawClient(broker.kafka_port)
    assert (
        partition_error(client.request(produce_request(topic, bytes(batch))))
        == ErrorCode.message_too_large
    )


def test_bad_acks_and_truncated_batch(broker, topic):
    batch = build_batch([Record(key=b"k", value=b"v")])
    client = RawClient(broker.kafka_port)
    assert (
        partition_error(client.request(produce_request(topic, bytes(batch), acks=2)))
        == ErrorCode.invalid_required_acks
    )
    assert (
        partition_error(client.request(produce_request(topic, bytes(batch[:-3]))))
        == ErrorCode.invalid_record
    )


def test_broker_keeps_serving_real_clients_after_abuse(broker, topic):
    for frame in (struct.pack(">i", -1), struct.pack(">ihhi", 12, 0, 7, 1) + b"\x00" * 8):
        bad = RawClient(broker.kafka_port)
        bad.sock.sendall(frame)
        bad.is_closed_by_peer()
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap)
    metadata = producer.send(topic, b"still alive").get(timeout=10)
    producer.close()
    assert metadata.offset == 0


def test_fetches_abandoned_by_a_vanished_client_release_their_file_handles(broker):
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic("fds", 1, 1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap)
    for _ in range(20):
        producer.send("fds", b"x" * 1000)
    producer.flush()
    producer.close()
    proc = psutil.Process(broker.proc.pid)
    before = proc.num_fds()
    req = fetch_v11("fds")
    for _ in range(5):
        client = RawClient(broker.kafka_port)
        for _ in range(30):  # pipelined fetches whose answers are never read
            client.send_request(req)
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()  # reset: the broker's writes fail with responses still queued
    deadline = time.monotonic() + 10
    while proc.num_fds() > before + 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.num_fds() <= before + 2
