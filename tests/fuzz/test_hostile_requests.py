"""Single hostile requests against a real broker (issue 19): each closes only its own
connection with one warning line naming the field, or is answered normally; the broker
stays up and serves everyone else."""

from __future__ import annotations

import struct

import pytest
from kafka.admin import KafkaAdminClient, NewTopic
from kio.schema.api_versions.v3.request import ApiVersionsRequest
from kio.schema.errors import ErrorCode

from core.protocol import codec, guard
from tests.support.broker import BrokerProcess
from tests.support.frame_mutations import with_claim
from tests.support.fuzz_harness import FuzzTarget, decode_reply, wait_for_log
from tests.support.kafka_requests import one_batch
from tests.support.kio_minimal import minimal_entity
from tests.support.kio_strategies import frame, request_bytes
from tests.support.raw_client import RawClient

TOPIC = "hostile"
# Produce v9, header v2 with a null client id, acks 1, timeout 1000 ms, and a topic_data
# compact array claiming 2^32 - 2 topics: 23 bytes that aborted the whole broker.
PRODUCE_V9_HUGE = (
    struct.pack(">hhih", 0, 9, 1, -1) + b"\0" + b"\0" + struct.pack(">hi", 1, 1000)
) + b"\xff\xff\xff\xff\x0f"


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    broker = BrokerProcess(tmp_path_factory.mktemp("hostile") / "broker").start()
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic(TOPIC, 1, 1)])
    admin.close()
    yield FuzzTarget(broker)
    broker.stop()


def test_the_23_byte_request_closes_its_connection_only(target):
    assert len(PRODUCE_V9_HUGE) == 23
    bystander = RawClient(target.broker.kafka_port)  # connected before, served after
    since = len(target.broker.log_text())
    outcome = target.exchange(frame(PRODUCE_V9_HUGE))
    assert outcome.kind == "closed"
    logged = wait_for_log(target.broker, "topic_data", since)
    warnings = [line for line in logged.splitlines() if "topic_data" in line]
    assert len(warnings) == 1 and "WARNING" in warnings[0], logged
    assert "Traceback" not in logged
    resp = bystander.request(
        ApiVersionsRequest(client_software_name="t", client_software_version="1")
    )
    assert resp.error_code == ErrorCode.none
    bystander.close()
    target.probe("after the 23-byte request")


REAL_VALUES = {
    "name": TOPIC,
    "acks": 1,
    "timeout": __import__("datetime").timedelta(seconds=5),
    "records": one_batch(),
    "allow_auto_topic_creation": False,
}


def _add_unknown_tag(payload: bytes, pos: int) -> bytes:
    count = payload[pos]
    entry = bytes([0x80 | (300 & 0x7F), 300 >> 7, 6]) + b"future"  # tag 300, 6 bytes
    return payload[:pos] + bytes([count + 1]) + entry + payload[pos + 1 :]


@pytest.mark.parametrize(
    "key,version,section",
    [
        (0, 9, "RequestHeader.<tags>"),  # Produce v9: in the request header
        (0, 9, "ProduceRequest.<tags>"),  # ... in the body
        (0, 9, "TopicProduceData.<tags>"),  # ... in a nested struct
        (0, 9, "PartitionProduceData.<tags>"),  # ... in a struct nested in that
        (18, 3, "ApiVersionsRequest.<tags>"),
        (15, 5, "DescribeGroupsRequest.<tags>"),
    ],
)
def test_unknown_tagged_fields_are_answered_normally(target, key, version, section):
    cls = codec.request_class(key, version)
    request = minimal_entity(cls, array_len=1, overrides=REAL_VALUES, fill_null=False)
    payload = request_bytes(request, 77)
    (pos,) = [p for p, _, name in guard.length_positions(payload, cls) if name == section]
    outcome = target.exchange(frame(_add_unknown_tag(payload, pos)), wait_s=10)
    assert outcome.kind == "reply", outcome
    response = decode_reply(outcome.payload, key, version, 77)
    assert getattr(response, "error_code", ErrorCode.none) == ErrorCode.none
    target.probe(section)


FORMS = [
    ("i32count", 0, 3, "ProduceRequest.topic_data"),
    ("uvarcount", 0, 9, "ProduceRequest.topic_data"),
    ("i32count", 3, 4, "MetadataRequest.topics"),
    ("uvarcount", 15, 5, "DescribeGroupsRequest.groups"),
    ("i16len", 3, 4, "MetadataRequestTopic.name"),
    ("uvarlen", 15, 5, "DescribeGroupsRequest.groups[]"),
    ("i16len", 0, 3, "RequestHeader.client_id"),
    ("i32len", 0, 3, "PartitionProduceData.records"),
    ("uvarlen", 0, 9, "PartitionProduceData.records"),
    ("uvarcount", 15, 5, "DescribeGroupsRequest.<tags>"),
]


@pytest.mark.parametrize("kind,key,version,field", FORMS, ids=[f"{f[0]}-{f[3]}" for f in FORMS])
def test_huge_claims_close_the_connection_with_one_warning(target, kind, key, version, field):
    cls = codec.request_class(key, version)
    payload = request_bytes(minimal_entity(cls, array_len=1, overrides={"acks": 1}), 5)
    (pos,) = [p for p, k, n in guard.length_positions(payload, cls) if (k, n) == (kind, field)]
    since = len(target.broker.log_text())
    outcome = target.exchange(frame(with_claim(payload, pos, kind)))
    assert outcome.kind == "closed", outcome
    short = field.split(".")[1].strip("<>[]")
    logged = wait_for_log(target.broker, "closing connection", since)
    assert short in logged or "tag" in logged, logged
    assert "Traceback" not in logged
    target.probe(field)
