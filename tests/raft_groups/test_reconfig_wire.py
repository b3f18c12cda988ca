"""Configuration entries (core.raft.config) on the wire and on disk: positions at a
configuration entry (offset, term, seq) and the entries themselves round-trip through
core.rpc.raft_codec, positions without one keep their old encoding, a malformed
configuration is a FrameError, and the hard state keeps configurations and a forced one."""

from __future__ import annotations

import struct

import pytest

from core.raft.hard_state import decode_configs, encode
from core.raft.types import (
    AppendReply,
    AppendRequest,
    Config,
    ConfigAt,
    Entry,
    HardState,
    TermStart,
    VoteRequest,
)
from core.rpc.frame import FrameError
from core.rpc.raft_codec import decode
from core.rpc.raft_codec import encode as encode_message

JOINT = Config((1, 2, 3), old=(0, 1, 2))
LEARNERS = Config((0, 1, 2), learners=(3,), target=(1, 2, 3))


@pytest.mark.parametrize(
    "m",
    [
        VoteRequest(1, 2, 9, (120, 8, 2), prevote=True),
        AppendReply(2, 1, 9, True, (130, 9, 1), flushed=125, dirty=130, seq=44),
        AppendRequest(1, 2, 9, (100, 8, 3), (), commit=90, visible=90, seq=3),
    ],
    ids=lambda m: type(m).__name__,
)
def test_positions_at_configuration_entries_round_trip(m) -> None:
    meta, _ = encode_message(5, m)
    assert decode(meta, b"") == (5, m)


def test_positions_without_a_configuration_entry_keep_their_encoding() -> None:
    meta, _ = encode_message(5, VoteRequest(1, 2, 9, (120, 8)))
    assert struct.unpack_from("<qqB", meta, 25) == (120, 8, 0)  # after the common prefix


def test_configuration_entries_and_a_snapshot_configuration_round_trip() -> None:
    entries = (
        Entry(9, 100, 104, b"\x01" * 61),
        Entry(9, 105, 104, ConfigAt(9, 105, 1, LEARNERS)),
        Entry(9, 105, 104, ConfigAt(9, 105, 2, JOINT)),
        Entry(9, 105, 106, b"\x02" * 61),
    )
    m = AppendRequest(1, 2, 9, (100, 9), entries, 100, 100, 7)
    meta, blob = encode_message(5, m)
    _, out = decode(meta, b"".join(blob))
    assert out == m and [e.end for e in out.entries][1:3] == [(105, 9, 1), (105, 9, 2)]
    snap = AppendRequest(
        1,
        2,
        9,
        (500, 8),
        (),
        600,
        600,
        8,
        500,
        (TermStart(8, 0, (0, 1, 2)),),
        (ConfigAt(8, 300, 1, JOINT),),
    )
    assert decode(*encode_message(5, snap)[:1], b"") == (5, snap)
    no_start = AppendRequest(1, 2, 9, (0, 8), (), 6, 6, 8, 0, (), (ConfigAt(8, 0, 1, JOINT),))
    assert decode(encode_message(5, no_start)[0], b"") == (5, no_start)


def test_a_malformed_configuration_is_a_frame_error() -> None:
    m = AppendRequest(1, 2, 9, (0, 9), (Entry(9, 0, -1, ConfigAt(9, 0, 1, JOINT)),), 0, 0, 1)
    meta, _ = encode_message(5, m)
    with pytest.raises(FrameError):
        decode(meta[:-3], b"")


def test_hard_state_keeps_configurations_and_a_forced_one() -> None:
    configs = (ConfigAt(3, 10, 1, LEARNERS), ConfigAt(3, 10, 2, JOINT))
    hard = HardState(4, 1, (TermStart(3, 0, (0, 1, 2)),), configs, Config((1,)))
    stored = encode(hard, (0, 1, 2))
    assert decode_configs(stored) == (configs, Config((1,)))
    assert decode_configs(encode(HardState(4, 1, ()), (0,))) == ((), None)
    assert "configs" not in encode(HardState(4, 1, ()), (0,))  # the old form when unused
