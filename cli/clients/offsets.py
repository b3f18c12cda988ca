"""Partition offset lookups over ListOffsets: watermarks and offsets for timestamps."""

from __future__ import annotations

from kafka import TopicPartition
from kafka.admin import KafkaAdminClient, OffsetSpec


def watermarks(
    admin: KafkaAdminClient, tps: list[TopicPartition]
) -> dict[TopicPartition, tuple[int, int]]:
    """(log start offset, high watermark) per partition."""
    if not tps:
        return {}
    starts = admin.list_partition_offsets({tp: OffsetSpec.EARLIEST for tp in tps})
    ends = admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in tps})
    return {tp: (starts[tp].offset, ends[tp].offset) for tp in tps}


def offsets_for_time(
    admin: KafkaAdminClient, tps: list[TopicPartition], ts_ms: int
) -> dict[TopicPartition, int | None]:
    """The first offset whose timestamp is >= ts_ms, or None when there is none yet."""
    if not tps:
        return {}
    found = admin.list_partition_offsets({tp: ts_ms for tp in tps})
    return {tp: (found[tp].offset if found[tp].offset >= 0 else None) for tp in tps}
