"""ElectLeaders (Kafka API 43): preferred-leader elections, and unclean ones refused.

Preferred: the partition's first replica takes leadership through a leadership transfer
(`transfers.transfer_partition`, core.cluster.leader_transfer, forwarded to the current
leader from any node). Raft cannot elect a replica no majority voted for, so an unclean
election is refused: ELIGIBLE_LEADERS_NOT_AVAILABLE when the partition has no leader (the
operator's tool is a force-cancelled move or a replica-set change), ELECTION_NOT_NEEDED
when it has one.
"""

from __future__ import annotations

from typing import Any

from core.protocol.errors import ErrorCode

PREFERRED, UNCLEAN = 0, 1
TRANSFER_TIMEOUT_MS = 10_000

Result = tuple[ErrorCode, str | None]


class Elections:
    def __init__(self, topics, partitions, transfers: Any = None) -> None:
        self.topics = topics  # core.cluster.topic_table.TopicTable
        self.partitions = partitions  # core.cluster.partition_manager.PartitionManager
        self.transfers = transfers  # set by the app once leadership transfers exist

    def all_partitions(self) -> list[tuple[str, int]]:
        return [
            (meta.name, i) for meta in self.topics.topics.values() for i in range(meta.partitions)
        ]

    def _leader(self, topic: str, partition: int) -> int | None:
        view = self.partitions.describe(topic, partition)
        if view is None or view.leader_id is None:
            return None
        alive = self.partitions.leaders.is_alive
        return view.leader_id if alive(view.leader_id) else None

    async def elect(self, topic: str, partition: int, election_type: int) -> Result:
        meta = self.topics.get(topic)
        if meta is None or not 0 <= partition < meta.partitions:
            return ErrorCode.unknown_topic_or_partition, f"{topic}/{partition} does not exist"
        leader = self._leader(topic, partition)
        if election_type == UNCLEAN:
            return self._unclean(leader)
        if election_type != PREFERRED:
            return ErrorCode.invalid_request, f"unknown election type {election_type}"
        preferred = meta.replicas(partition)[0]
        if leader == preferred:
            return ErrorCode.election_not_needed, "the preferred replica already leads"
        if not self.partitions.leaders.is_alive(preferred) or self.transfers is None:
            return ErrorCode.preferred_leader_not_available, f"node {preferred} is not available"
        outcome = await self.transfers.transfer_partition(
            topic, partition, target=preferred, timeout_ms=TRANSFER_TIMEOUT_MS
        )
        if outcome.ok:
            return ErrorCode.none, None
        return ErrorCode.preferred_leader_not_available, outcome.message or outcome.errc

    def _unclean(self, leader: int | None) -> Result:
        if leader is not None:
            return ErrorCode.election_not_needed, "the partition has a leader"
        return (
            ErrorCode.eligible_leaders_not_available,
            "unclean leader election is not supported: Raft elects only a replica a majority "
            "voted for (force-cancel a move or change the replicas instead)",
        )
