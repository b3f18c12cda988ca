"""Read the embedded "consumer" protocol: subscriptions and assignments.

The broker treats member metadata as opaque, except where Kafka itself looks
inside: OffsetDelete refuses topics a group subscribes to, offset expiry keeps
subscribed topics, and lag reporting names each partition's owner. Both messages
start with int16 version, then an array (int32 count) of strings or of
(topic string, int32 partitions[]). Newer versions only append fields.
"""

from __future__ import annotations

import struct

_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_ARRAY_MAX = 100_000


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def i16(self) -> int:
        (value,) = _I16.unpack_from(self.data, self.pos)
        self.pos += 2
        return value

    def i32(self) -> int:
        (value,) = _I32.unpack_from(self.data, self.pos)
        self.pos += 4
        return value

    def count(self) -> int:
        n = self.i32()
        if n < 0 or n > _ARRAY_MAX:
            raise ValueError(f"bad array length {n}")
        return n

    def string(self) -> str:
        n = self.i16()
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError(f"bad string length {n}")
        text = self.data[self.pos : self.pos + n].decode("utf-8")
        self.pos += n
        return text


def subscription_topics(metadata: bytes) -> set[str] | None:
    """Topics of a ConsumerProtocolSubscription, or None if it does not parse."""
    try:
        reader = _Reader(metadata)
        if reader.i16() < 0:
            return None
        return {reader.string() for _ in range(reader.count())}
    except (ValueError, struct.error, UnicodeDecodeError):
        return None


def assignment_partitions(assignment: bytes) -> list[tuple[str, int]] | None:
    """(topic, partition) pairs of a ConsumerProtocolAssignment, or None."""
    if not assignment:
        return []
    try:
        reader = _Reader(assignment)
        if reader.i16() < 0:
            return None
        pairs: list[tuple[str, int]] = []
        for _ in range(reader.count()):
            topic = reader.string()
            pairs.extend((topic, reader.i32()) for _ in range(reader.count()))
        return pairs
    except (ValueError, struct.error, UnicodeDecodeError):
        return None
