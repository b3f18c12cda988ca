"""The partition a data request (Produce, Fetch, ListOffsets, OffsetForLeaderEpoch,
DeleteRecords) may act on: the replica hosted here while it leads and serves.

A partition that exists but is led elsewhere, or whose new leader has not committed its term
start yet, is NOT_LEADER_OR_FOLLOWER (retriable: the client refreshes its metadata);
one that does not exist is UNKNOWN_TOPIC_OR_PARTITION.
"""

from __future__ import annotations

from core.cluster.errors import ClusterError, to_error_code
from core.protocol.errors import ErrorCode
from core.server.context import Services
from core.server.ports import PartitionData


def led_partition(
    svc: Services, topic: str, partition: int
) -> tuple[PartitionData | None, ErrorCode]:
    try:
        return svc.partitions.leader(topic, partition), ErrorCode.none
    except ClusterError as exc:
        return None, to_error_code(exc)
