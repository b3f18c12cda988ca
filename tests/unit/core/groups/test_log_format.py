"""__consumer_offsets records in Kafka's schemas, and group placement."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.groups.log_format import (
    FormatError,
    GroupKey,
    GroupValue,
    MemberValue,
    OffsetKey,
    OffsetValue,
    decode_group_value,
    decode_key,
    decode_offset_value,
    encode_group_key,
    encode_group_value,
    encode_offset_key,
    encode_offset_value,
)
from core.groups.router import java_string_hashcode, partition_for


def _s(text: str) -> bytes:
    data = text.encode()
    return struct.pack(">h", len(data)) + data


def test_offset_key_and_value_bytes_match_kafkas_layout():
    key = encode_offset_key(OffsetKey("grp", "topic", 7))
    assert key == struct.pack(">h", 1) + _s("grp") + _s("topic") + struct.pack(">i", 7)
    value = encode_offset_value(OffsetValue(99, 4, "md", 1_700_000_000_123))
    assert value == struct.pack(">hqi", 3, 99, 4) + _s("md") + struct.pack(">q", 1_700_000_000_123)
    with_expiry = encode_offset_value(OffsetValue(99, -1, "", 10, 20))
    assert with_expiry == struct.pack(">hq", 1, 99) + _s("") + struct.pack(">qq", 10, 20)


def test_group_value_bytes_match_kafkas_layout_v3():
    member = MemberValue("m-1", "inst", "cid", "/h", 300, 100, b"SUB", b"ASG")
    value = encode_group_value(GroupValue("consumer", 5, "range", "m-1", 1234, (member,)))
    expected = (
        struct.pack(">h", 3)
        + _s("consumer")
        + struct.pack(">i", 5)
        + _s("range")
        + _s("m-1")
        + struct.pack(">qi", 1234, 1)
        + _s("m-1")
        + _s("inst")
        + _s("cid")
        + _s("/h")
        + struct.pack(">ii", 300, 100)
        + struct.pack(">i", 3)
        + b"SUB"
        + struct.pack(">i", 3)
        + b"ASG"
    )
    assert value == expected
    assert encode_group_key(GroupKey("grp")) == struct.pack(">h", 2) + _s("grp")


def test_older_value_versions_decode():
    v0 = struct.pack(">hq", 0, 5) + _s("m") + struct.pack(">q", 77)
    assert decode_offset_value(v0) == OffsetValue(5, -1, "m", 77, None)
    g0 = (
        struct.pack(">h", 0)
        + _s("consumer")
        + struct.pack(">i", 2)
        + _s("range")
        + _s("a")
        + struct.pack(">i", 1)
        + _s("a")
        + _s("c")
        + _s("/h")
        + struct.pack(">i", 9000)
        + struct.pack(">i", 0)
        + struct.pack(">i", 1)
        + b"x"
    )
    decoded = decode_group_value(g0)
    assert decoded.members[0] == MemberValue("a", None, "c", "/h", 9000, 9000, b"", b"x")
    assert decoded.state_timestamp_ms == -1


def test_unknown_versions_and_truncation_are_format_errors():
    with pytest.raises(FormatError):
        decode_key(struct.pack(">h", 9) + _s("g"))
    with pytest.raises(FormatError):
        decode_offset_value(struct.pack(">hq", 3, 1))
    with pytest.raises(FormatError):
        decode_group_value(struct.pack(">h", 7))


names = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)


@given(
    names,
    names,
    st.integers(0, 2**31 - 1),
    st.integers(-1, 2**62),
    st.integers(-1, 2**31 - 1),
    names,
    st.integers(0, 2**62),
    st.none() | st.integers(0, 2**62),
)
def test_offset_records_round_trip(
    group, topic, partition, offset, epoch, metadata, commit_ms, expire_ms
):
    key = OffsetKey(group, topic, partition)
    assert decode_key(encode_offset_key(key)) == key
    value = OffsetValue(offset, epoch if expire_ms is None else -1, metadata, commit_ms, expire_ms)
    assert decode_offset_value(encode_offset_value(value)) == value


members = st.builds(
    MemberValue,
    names,
    st.none() | names,
    names,
    names,
    st.integers(0, 2**31 - 1),
    st.integers(0, 2**31 - 1),
    st.binary(max_size=40),
    st.binary(max_size=40),
)


@given(
    names,
    st.integers(0, 2**31 - 1),
    st.none() | names,
    st.none() | names,
    st.integers(0, 2**62),
    st.lists(members, max_size=5),
)
def test_group_records_round_trip(ptype, generation, protocol, leader, state_ms, member_list):
    value = GroupValue(ptype, generation, protocol, leader, state_ms, tuple(member_list))
    assert decode_group_value(encode_group_value(value)) == value


def test_java_string_hashcode_matches_java():
    assert java_string_hashcode("") == 0
    assert java_string_hashcode("a") == 97
    assert java_string_hashcode("hello") == 99162322
    assert java_string_hashcode("Hello World") == -862545276
    assert java_string_hashcode("\U0001f600") == 55357 * 31 + 56832  # UTF-16 surrogate pair


def test_partition_for_is_abs_hash_mod_n():
    assert partition_for("hello", 16) == 99162322 % 16
    assert partition_for("Hello World", 50) == 862545276 % 50
    assert all(0 <= partition_for(f"g{i}", 7) < 7 for i in range(200))


def test_hash_of_int32_min_maps_to_partition_zero():
    assert java_string_hashcode("polygenelubricants") == -(2**31)
    assert partition_for("polygenelubricants", 7) == 0
