"""The leadership update's wire format (Method.leaders_update, core.cluster.leaders): the
meta is the sender's node id and its entries grouped by topic; the blob carries its uptime."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from core.rpc.frame import FrameError

Key = tuple[str, int]

_HEAD = struct.Struct("<iI")  # source node id, topic count
_TOPIC = struct.Struct("<HI")  # name length, entry count
_ENTRY = struct.Struct("<iqqi")  # partition, revision, term, leader (-1: none)
NO_LEADER = -1
MAX_ENTRIES_PER_FRAME = 2_048  # ~50 KiB of meta, ~10 ms to merge: bounds a loop stall
MAX_TOPIC_NAME_BYTES = 1_024


@dataclass(frozen=True, slots=True)
class Leadership:
    revision: int  # the partition's revision (controller offset that created it)
    term: int
    leader_id: int | None


def encode(source: int, entries: Iterable[tuple[Key, Leadership]]) -> bytes:
    by_topic: dict[str, list[tuple[int, Leadership]]] = {}
    for (topic, partition), entry in entries:
        by_topic.setdefault(topic, []).append((partition, entry))
    out = bytearray(_HEAD.pack(source, len(by_topic)))
    for topic, rows in by_topic.items():
        name = topic.encode()
        out += _TOPIC.pack(len(name), len(rows))
        out += name
        for partition, e in rows:
            leader = NO_LEADER if e.leader_id is None else e.leader_id
            out += _ENTRY.pack(partition, e.revision, e.term, leader)
    return bytes(out)


def decode(meta: bytes) -> tuple[int, list[tuple[str, int, Leadership]]]:
    """(source node id, entries); raises FrameError on a malformed update."""
    try:
        source, topics = _HEAD.unpack_from(meta, 0)
        pos = _HEAD.size
        out = []
        for _ in range(topics):
            name_len, count = _TOPIC.unpack_from(meta, pos)
            pos += _TOPIC.size
            if name_len > MAX_TOPIC_NAME_BYTES or count > MAX_ENTRIES_PER_FRAME:
                raise FrameError(f"leaders update: topic of {name_len} bytes, {count} entries")
            topic = meta[pos : pos + name_len].decode()
            pos += name_len
            for _ in range(count):
                partition, revision, term, leader = _ENTRY.unpack_from(meta, pos)
                pos += _ENTRY.size
                leader_id = None if leader == NO_LEADER else leader
                out.append((topic, partition, Leadership(revision, term, leader_id)))
    except (struct.error, UnicodeDecodeError) as exc:
        raise FrameError(f"leaders update: {exc}") from None
    if pos != len(meta):
        raise FrameError(f"leaders update: {len(meta) - pos} trailing bytes")
    return source, out
