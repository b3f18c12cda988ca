"""Follower fetching (KIP-392, "fetch from closest replica") as Redpanda does it: which replica a
consumer in a rack should read a partition from.

With `enable_rack_awareness` on, the leader of a partition answers a Fetch (v11+) from a
consumer that names its rack (`client.rack`, the request's rack_id) with a preferred read
replica instead of records when the leader is not in that rack and a replica is: the client
then fetches from that replica, which serves it up to its own high watermark
(core.server.handlers.fetch). The choice (Redpanda's rack_aware_replica_selector, with
Kafka's RackAwareReplicaSelector's "the leader if it is in the rack"):

- only a replica in the leader's in-sync set (a follower that stopped answering is not
  chosen), on a live broker (Metadata lists it) that is not in maintenance mode (it is being
  drained: Redpanda's selector skips such a node too), whose rack is the client's,
- holding the fetch offset already (its log end, as the leader last heard, is past it: it
  would otherwise answer OFFSET_NOT_AVAILABLE and send the client back to the leader),
- the lowest node id among several (deterministic: a client is not moved between followers
  from one fetch to the next, where Redpanda picks one at random among the highest high
  watermarks).

No such replica, or the leader in the client's rack: the leader serves (-1).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from core.cluster.placement import rack_awareness

NO_REPLICA = -1  # preferred_read_replica when the leader serves


@dataclass(frozen=True, slots=True)
class ReplicaInfo:
    """One in-sync replica as the leader sees it: its node and the log end offset it holds."""

    node_id: int
    log_end_offset: int


def select_replica(
    client_rack: str,
    fetch_offset: int,
    leader_id: int,
    in_sync: Iterable[ReplicaInfo],
    racks: Mapping[int, str | None],
    maintenance: Container[int] = frozenset(),
) -> int:
    """The node the consumer in `client_rack` should fetch from, NO_REPLICA for the leader.

    `racks`: the rack of each live broker (a broker absent from it is not chosen);
    `maintenance`: the nodes in maintenance mode (never chosen)."""
    if not client_rack or racks.get(leader_id) == client_rack:
        return NO_REPLICA
    chosen = NO_REPLICA
    for replica in in_sync:
        node = replica.node_id
        if (
            node != leader_id
            and node in racks
            and racks[node] == client_rack
            and replica.log_end_offset >= fetch_offset
            and node not in maintenance
            and (chosen == NO_REPLICA or node < chosen)
        ):
            chosen = node
    return chosen


class _Leading(Protocol):
    """What the selection reads of the partitions led here (core.cluster.partition_manager)."""

    def in_sync_log_ends(self, topic: str, index: int) -> dict[int, int]: ...


class _Broker(Protocol):
    @property
    def node_id(self) -> int: ...

    @property
    def rack(self) -> str | None: ...


class RackReads:
    """The follower-fetching decisions of one Fetch request from a consumer in a rack (built
    only when the feature is on and the consumer named its rack)."""

    __slots__ = ("client_rack", "leader_id", "maintenance", "racks", "redirected")

    def __init__(
        self,
        client_rack: str,
        leader_id: int,
        brokers: Iterable[_Broker],
        maintenance: Container[int] = frozenset(),
    ) -> None:
        self.client_rack = client_rack
        self.leader_id = leader_id  # this node: it answers for the partitions it leads
        self.racks: dict[int, str | None] = {b.node_id: b.rack for b in brokers}
        self.maintenance = maintenance  # nodes in maintenance mode: never preferred
        self.redirected = False  # a partition got a preferred read replica (set by the caller)

    def preferred(self, partitions: _Leading, topic: str, index: int, fetch_offset: int) -> int:
        """The replica the consumer should fetch this partition (led here) from, or -1."""
        if self.racks.get(self.leader_id) == self.client_rack:
            return NO_REPLICA  # the leader is in the client's rack: no lookup
        ends = partitions.in_sync_log_ends(topic, index)
        replicas = (ReplicaInfo(n, end) for n, end in ends.items())
        return select_replica(
            self.client_rack, fetch_offset, self.leader_id, replicas, self.racks, self.maintenance
        )


def rack_reads(request: Any, node_id: int, config_get: Any, metadata: Any) -> RackReads | None:
    """The request's RackReads when it is a consumer's (replica_id < 0) Fetch v11+ naming a
    rack and `enable_rack_awareness` is on; None otherwise (the leader alone serves).
    `metadata` (core.cluster.metadata.MetadataView) gives the live brokers and the nodes in
    maintenance mode (its `maintenance`, the controller's MaintenanceTable)."""
    client_rack = getattr(request, "rack_id", None)  # Fetch v11+
    if not client_rack or getattr(request, "replica_id", -1) >= 0:
        return None
    if not rack_awareness(config_get):
        return None
    return RackReads(client_rack, node_id, metadata.brokers(), metadata.maintenance)
