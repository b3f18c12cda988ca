"""The request guard: no claimed length or count reaches kio's reader unchecked.

kio's native reader reserves memory for every element an array claims, so a claim the
frame cannot hold used to abort the broker (issue 19); unknown tagged fields used to
raise KeyError out of the decoder.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from kio.serial import entity_reader

from core.protocol import codec, guard
from tests.support.frame_mutations import huge_claims, with_claim
from tests.support.kio_minimal import minimal_entity
from tests.support.kio_strategies import entity_strategy, request_bytes

ALL_CLASSES = [
    cls
    for key in range(100)
    for version in range(20)
    if (cls := codec.request_class(key, version)) is not None
]
IDS = [f"{c.__api_key__}v{c.__version__}" for c in ALL_CLASSES]

# Produce v9: header v2 (client_id null), no transactional id, acks 1, timeout 1000 ms,
# and a topic_data compact array claiming 2^32 - 2 topics: 23 bytes that aborted the broker.
HEADER_V2 = struct.pack(">hhih", 0, 9, 1, -1) + b"\0"
PRODUCE_V9_HUGE = HEADER_V2 + b"\0" + struct.pack(">hi", 1, 1000) + b"\xff\xff\xff\xff\x0f"


def test_the_23_byte_request_is_refused_naming_the_field():
    assert len(PRODUCE_V9_HUGE) == 23
    with pytest.raises(codec.DecodeError, match=r"topic_data \(4294967294 elements\)"):
        codec.decode_request(PRODUCE_V9_HUGE, 0, 9)


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=IDS)
def test_every_claim_made_huge_is_a_decode_error(cls):
    payload = request_bytes(minimal_entity(cls, array_len=1), 3)
    mutated = huge_claims(payload, cls)
    assert mutated, "every request has at least the header's client_id length"
    for where, bad in mutated:
        with pytest.raises(codec.DecodeError):
            codec.decode_request(bad, cls.__api_key__, cls.__version__)
            pytest.fail(f"accepted huge claim at {where}")


@pytest.mark.parametrize(
    "kind,key,version,field",
    [
        ("i32count", 0, 3, "ProduceRequest.topic_data"),  # classic array
        ("uvarcount", 0, 9, "ProduceRequest.topic_data"),  # compact array
        ("i16len", 3, 4, "MetadataRequestTopic.name"),  # classic string
        ("uvarlen", 3, 9, "MetadataRequestTopic.name"),  # compact string
        ("i32len", 0, 3, "PartitionProduceData.records"),  # classic bytes
        ("uvarlen", 0, 9, "PartitionProduceData.records"),  # compact bytes
        ("i32len", 36, 1, "SaslAuthenticateRequest.auth_bytes"),  # classic bytes
        ("uvarlen", 36, 2, "SaslAuthenticateRequest.auth_bytes"),  # compact bytes
    ],
)
def test_huge_claims_of_each_form(kind, key, version, field):
    cls = codec.request_class(key, version)
    payload = request_bytes(minimal_entity(cls, array_len=1), 3)
    (pos,) = [
        p for p, k, name in guard.length_positions(payload, cls) if (k, name) == (kind, field)
    ]
    for value in (None, 2**31 - 1, 2**16, len(payload)):
        if kind == "i16len" and value not in (None, len(payload)):
            continue
        with pytest.raises(codec.DecodeError, match=field.split(".")[1]):
            codec.decode_request(with_claim(payload, pos, kind, value), key, version)


def test_negative_and_null_claims_for_non_nullable_fields():
    cls = codec.request_class(3, 4)  # Metadata v4: topic name is a non-nullable string
    payload = request_bytes(minimal_entity(cls, array_len=1), 3)
    (pos,) = [p for p, k, n in guard.length_positions(payload, cls) if n.endswith("Topic.name")]
    for value in (-1, -2):
        with pytest.raises(codec.DecodeError, match="name"):
            codec.decode_request(with_claim(payload, pos, "i16len", value), 3, 4)


def _with_unknown_tag(payload: bytes, pos: int, tag: int, value: bytes) -> bytes:
    """Add one tagged field to the tag section whose count sits at `pos` (count < 128)."""
    count = payload[pos]
    assert count < 0x7F
    entry = bytes([0x80 | (tag & 0x7F), tag >> 7, len(value)]) + value  # 2-byte tag varint
    return payload[:pos] + bytes([count + 1]) + entry + payload[pos + 1 :]


@pytest.mark.parametrize("where", ["RequestHeader", "ProduceRequest", "PartitionProduceData"])
def test_unknown_tagged_fields_are_skipped(where):
    cls = codec.request_class(0, 9)
    entity = minimal_entity(cls, array_len=1, overrides={"acks": 1})
    payload = request_bytes(entity, 3)
    (pos,) = [p for p, k, n in guard.length_positions(payload, cls) if n == f"{where}.<tags>"]
    tagged = _with_unknown_tag(payload, pos, 300, b"future")
    header, body = codec.decode_request(tagged, 0, 9)
    assert (header, body) == codec.decode_request(payload, 0, 9)
    assert body == entity


def test_unknown_tag_inside_a_known_tagged_struct_keeps_sizes_right():
    cls = codec.request_class(1, 15)  # Fetch v15: replica_state is a tagged struct
    state = __import__(cls.__module__, fromlist=["x"]).ReplicaState(replica_id=5)
    entity = minimal_entity(cls, overrides={"replica_state": state})
    payload = request_bytes(entity, 3)
    positions = guard.length_positions(payload, cls)
    (pos,) = [p for p, k, n in positions if n == "ReplicaState.<tags>"]
    tagged = _with_unknown_tag(payload, pos, 200, b"xyz")
    size_pos = [p for p, k, n in positions if n.endswith("<tag 1 size>")][0]
    tagged = tagged[:size_pos] + bytes([tagged[size_pos] + 6]) + tagged[size_pos + 1 :]
    assert codec.decode_request(tagged, 1, 15)[1] == entity


def test_known_tagged_value_must_be_exactly_its_size():
    cls = codec.request_class(1, 12)  # Fetch v12: cluster_id is tagged field 0
    entity = minimal_entity(cls, overrides={"cluster_id": "abc"})
    payload = request_bytes(entity, 3)
    (pos,) = [p for p, k, n in guard.length_positions(payload, cls) if n.endswith("<tag 0 size>")]
    with pytest.raises(codec.DecodeError, match="cluster_id"):
        codec.decode_request(
            payload[:pos] + bytes([payload[pos] + 1]) + payload[pos + 1 :] + b"x", 1, 12
        )


def test_kio_errors_are_decode_errors():
    cls = codec.request_class(10, 0)  # FindCoordinator v0: key is a string
    payload = request_bytes(minimal_entity(cls, overrides={"key": "ab"}), 3)
    bad = payload[:-2] + b"\xff\xfe"  # not UTF-8
    with pytest.raises(codec.DecodeError, match="UTF-8|Unicode"):
        codec.decode_request(bad, 10, 0)


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=IDS)
@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=__import__("hypothesis").strategies.data())
def test_guard_accepts_what_kio_writes_unchanged(cls, data):
    body = data.draw(entity_strategy(cls))
    payload = request_bytes(body, 9)
    assert guard.check_request(payload, cls) is payload
    header, used = entity_reader(cls.__header_schema__)(payload, 0)
    assert header.correlation_id == 9


def _produce_v9_null_partitions(count: int) -> bytes:
    """Produce v9, one topic "t" with `count` partitions whose records are null (6 bytes each)."""
    varint = bytearray()
    n = count + 1
    while n >= 0x80:
        varint.append((n & 0x7F) | 0x80)
        n >>= 7
    varint.append(n)
    partition = struct.pack(">i", 0) + b"\0" + b"\0"  # index, null records, no tags
    topic = b"\x02t" + bytes(varint) + partition * count + b"\0"
    return HEADER_V2 + b"\0" + struct.pack(">hi", 1, 1000) + b"\x02" + topic + b"\0"


def test_a_request_may_hold_at_most_the_element_cap_in_all():
    """Decoded, small elements take ~14x their wire bytes: one request is capped in elements."""
    cap = guard.MAX_ELEMENTS_PER_REQUEST
    header, body = codec.decode_request(_produce_v9_null_partitions(cap - 1), 0, 9)
    assert len(body.topic_data[0].partition_data) == cap - 1
    with pytest.raises(codec.DecodeError, match="array elements in one request"):
        codec.decode_request(_produce_v9_null_partitions(cap), 0, 9)
