"""Which `__consumer_offsets` partition owns a group: Kafka's own placement."""

from __future__ import annotations

import functools

OFFSETS_TOPIC = "__consumer_offsets"
_INT32_MIN = -(1 << 31)


@functools.lru_cache(maxsize=16_384)  # every request of a group or transactional id asks
def java_string_hashcode(text: str) -> int:
    """`String.hashCode()` of Java: 31-polynomial over UTF-16 code units, int32 wrap."""
    h = 0
    encoded = text.encode("utf-16-be")
    for i in range(0, len(encoded), 2):
        h = (31 * h + ((encoded[i] << 8) | encoded[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h >= (1 << 31) else h


def partition_for(group_id: str, partitions: int) -> int:
    """Kafka's `Utils.abs(groupId.hashCode) % partitions` (abs(MIN_VALUE) is 0)."""
    assert partitions > 0
    h = java_string_hashcode(group_id)
    return (0 if h == _INT32_MIN else abs(h)) % partitions
