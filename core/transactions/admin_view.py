"""What the Admin API shows of one data partition's transactions (Redpanda's
GET /v1/partitions/{ns}/{topic}/{partition}/transactions): the open transaction of each
producer on the partition's leader replica here, with the coordinator's timeout when this node
coordinates it too (Redpanda's rm_stm knows it; our partitions do not)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.transactions.state import TxnState


@dataclass(frozen=True, slots=True)
class PartitionTxn:
    producer_id: int
    producer_epoch: int
    status: str
    lso_bound: int  # the transaction's first offset: the LSO stays at or below it
    staleness_ms: int  # -1 for an expired transaction, as Redpanda
    timeout_ms: int  # -1 when expired or unknown here
    expired: bool


class NotLeaderHere(Exception):
    def __init__(self, leader_id: int | None) -> None:
        super().__init__(f"leader is node {leader_id}")
        self.leader_id = leader_id


def partition_transactions(coordinator: Any, topic: str, index: int) -> list[PartitionTxn] | None:
    """None: no such partition. Raises NotLeaderHere when another node leads it."""
    manager = coordinator.partition_manager
    view = manager.describe(topic, index)
    if view is None:
        return None
    target = manager.get(topic, index)
    if target is None or not manager.is_serving_leader(topic, index):
        raise NotLeaderHere(view.leader_id)
    now_ms = coordinator.clock.now_ms()
    found = []
    for info in target.describe_producers():
        if info.current_txn_start_offset < 0:
            continue
        meta = coordinator.find_producer(info.producer_id, info.producer_epoch)
        known = meta is not None and meta.state is TxnState.ONGOING
        expired = known and meta.expired(now_ms)
        stale_ms = max(now_ms - info.last_timestamp, 0) if info.last_timestamp >= 0 else -1
        found.append(
            PartitionTxn(
                producer_id=info.producer_id,
                producer_epoch=info.producer_epoch,
                status="ongoing",
                lso_bound=info.current_txn_start_offset,
                staleness_ms=-1 if expired else stale_ms,
                timeout_ms=meta.timeout_ms if known and not expired else -1,
                expired=expired,
            )
        )
    return sorted(found, key=lambda t: t.lso_bound)
