"""Raft messages on the wire (core.rpc.raft_codec): every kind round-trips; data entries
come back as views of the received blob (no copy); malformed input is a FrameError."""

from __future__ import annotations

import pytest

from core.raft.types import (
    AppendReply,
    AppendRequest,
    Entry,
    TimeoutNow,
    VoteReply,
    VoteRequest,
)
from core.rpc.frame import FrameError
from core.rpc.raft_codec import decode, encode

GROUP = 2**40 + 7

MESSAGES = [
    VoteRequest(1, 2, 9, (120, 8), prevote=True),
    VoteRequest(1, 2, 9, (0, 0), transfer=True),
    VoteReply(2, 1, 9, granted=True, prevote=True),
    VoteReply(2, 1, 9, granted=False),
    AppendReply(2, 1, 9, True, (130, 9), flushed=125, dirty=130, seq=44),
    AppendReply(2, 1, 9, False, (-1, -1), flushed=0, dirty=0, seq=1),
    TimeoutNow(1, 3, 9),
    AppendRequest(1, 2, 9, (100, 8), (), commit=90, visible=90, seq=3),  # a heartbeat
]


@pytest.mark.parametrize("m", MESSAGES, ids=lambda m: type(m).__name__)
def test_round_trip(m) -> None:
    meta, blob = encode(GROUP, m)
    assert blob == []
    assert decode(meta, b"") == (GROUP, m)


def test_append_entries_travel_as_blob_parts_and_come_back_as_views() -> None:
    batches = [bytes(range(61)) * 3, b"\xff" * 1000]
    entries = (
        Entry(8, 100, 104, batches[0]),
        Entry(9, 105, 104, (1, 2, 3)),  # the term start of term 9 (zero-width)
        Entry(9, 105, 110, batches[1]),
    )
    m = AppendRequest(1, 2, 9, (100, 8), entries, commit=100, visible=99, seq=12)
    meta, blob = encode(GROUP, m)
    assert blob == batches  # not joined
    received = bytearray(b"".join(blob))
    group, out = decode(meta, memoryview(received))
    assert group == GROUP and out == m
    assert out.entries[1].payload == (1, 2, 3)
    data = out.entries[2].payload
    assert isinstance(data, memoryview) and data.obj is received  # a view, not a copy


def test_heartbeat_meta_is_small() -> None:
    meta, _ = encode(GROUP, MESSAGES[-1])
    assert len(meta) < 80


@pytest.mark.parametrize("cut", [1, 10, 30, 40])
def test_truncated_meta_is_a_frame_error(cut: int) -> None:
    meta, _ = encode(GROUP, AppendRequest(1, 2, 9, (1, 1), (Entry(9, 1, 1, b"x"),), 0, 0, 1))
    with pytest.raises(FrameError):
        decode(meta[:-cut], b"x")


def test_blob_must_match_the_entries() -> None:
    meta, _ = encode(GROUP, AppendRequest(1, 2, 9, (1, 1), (Entry(9, 1, 1, b"abc"),), 0, 0, 1))
    with pytest.raises(FrameError, match="past the blob"):
        decode(meta, b"ab")
    with pytest.raises(FrameError, match="past the entries"):
        decode(meta, b"abcd")
    with pytest.raises(FrameError, match="trailing"):
        decode(encode(GROUP, MESSAGES[0])[0] + b"\0", b"")
    with pytest.raises(FrameError, match="kind"):
        decode(b"\x09" + encode(GROUP, MESSAGES[0])[0][1:], b"")
