"""Method.raft_batch: every Raft message one node has for one peer, in one one-way frame.

Sent by core.cluster.raft_groups once per event-loop iteration per peer, so the heartbeats
of all the groups two nodes share travel together (Redpanda's heartbeat_manager), and so
do appends, votes and replies. The response is empty: Raft's replies are messages of
their own, carried by the peer's next raft_batch frame.

Meta (little-endian):
    src node i32, message count u32, light heartbeat count u32, light ack count u32,
    light nack count u32,
    light heartbeats: (group i64, term i64) per heartbeat,
    light acks:       (group i64, term i64) per ack,
    light nacks:      group i64 per nack,
    then the messages one after another, each in raft_codec's meta form (group id inside).
Blob: the data entries of every AppendRequest, in message order, one part per entry (the
leader's batch bytes, sent one after another, never joined); the receiver hands each entry
a memoryview slice of the received blob.

A light heartbeat is an idle leader's "still here" for one group: no log position, no
commit index; a follower that agrees (same term, same leader, caught up) answers with a
light ack, otherwise with a light nack, and the leader then sends a full AppendRequest
(core.raft.replication). Idle groups cost 16 bytes and no message object each way.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.raft.types import Message
from core.rpc import raft_codec
from core.rpc.frame import Buffer, FrameError

_HEAD = struct.Struct("<iIIII")
_PAIR_BYTES = 16
_GROUP_BYTES = 8


@dataclass(slots=True)
class RaftBatch:
    src: int
    messages: list[tuple[int, Message]] = field(default_factory=list)
    light: tuple[int, ...] = ()  # group, term, group, term, ...
    acks: tuple[int, ...] = ()  # group, term, group, term, ...
    nacks: tuple[int, ...] = ()  # groups


def encode_batch(
    src: int,
    messages: Sequence[tuple[int, Message]],
    light: Sequence[int] = (),
    acks: Sequence[int] = (),
    nacks: Sequence[int] = (),
) -> tuple[bytes, list[Buffer]]:
    """`light` and `acks` are flat (group, term) pairs; returns (meta, blob parts)."""
    parts: list[bytes] = [
        _HEAD.pack(src, len(messages), len(light) // 2, len(acks) // 2, len(nacks)),
        struct.pack(f"<{len(light)}q", *light),
        struct.pack(f"<{len(acks)}q", *acks),
        struct.pack(f"<{len(nacks)}q", *nacks),
    ]
    blob: list[Buffer] = []
    for group_id, msg in messages:
        meta, entries = raft_codec.encode(group_id, msg)
        parts.append(meta)
        if entries:
            blob.extend(entries)
    return b"".join(parts), blob


def decode_batch(meta: Buffer, blob: Buffer = b"") -> RaftBatch:
    """Raises FrameError on anything malformed."""
    view, data = memoryview(meta), memoryview(blob)
    try:
        src, n_msgs, n_light, n_acks, n_nacks = _HEAD.unpack_from(view, 0)
    except struct.error as e:
        raise FrameError(f"raft batch truncated: {e}") from None
    pos = _HEAD.size
    fixed = (n_light + n_acks) * _PAIR_BYTES + n_nacks * _GROUP_BYTES
    if pos + fixed > len(view) or n_msgs > len(view):
        raise FrameError(f"raft batch: counts past its {len(view)} bytes")
    light = struct.unpack_from(f"<{2 * n_light}q", view, pos)
    pos += n_light * _PAIR_BYTES
    acks = struct.unpack_from(f"<{2 * n_acks}q", view, pos)
    pos += n_acks * _PAIR_BYTES
    nacks = struct.unpack_from(f"<{n_nacks}q", view, pos)
    pos += n_nacks * _GROUP_BYTES
    messages: list[tuple[int, Message]] = []
    at = 0
    for _ in range(n_msgs):
        group_id, msg, pos, at = raft_codec.decode_at(view, pos, data, at)
        messages.append((group_id, msg))
    if pos != len(view):
        raise FrameError(f"raft batch: {len(view) - pos} trailing meta bytes")
    if at != len(data):
        raise FrameError(f"raft batch: {len(data) - at} blob bytes past the entries")
    return RaftBatch(src, messages, light, acks, nacks)
