"""Replica placement for new partitions: which nodes hold each one, preferred leader first.

Computed on the submitting side (the assignment travels in the `create_topic` /
`create_partitions` command, so every node applies the same one). For each new partition:

* the replicas are the least-loaded nodes (fewest replicas, then fewest leaderships, then a
  rotation starting at the partition's index); with rack awareness on
  (`enable_rack_awareness`, read by the callers when they decide), racks the partition does
  not use yet come first, as Redpanda's soft `distinct_rack_preferred` constraint: with fewer
  racks than replicas the rest still go to the least-loaded nodes. Off, racks are ignored;
* the preferred leader (first replica) is the one of them leading the fewest partitions so
  far, so leaders spread evenly.

Counts include every existing partition (`TopicTable.replica_counts`) and the partitions
placed so far by the same call. Explicit assignments (CreateTopics/CreatePartitions with
replica assignments) are checked by `validate`.

The moves that pick a node for one replica (the partition balancer, decommission) use
`replacement`, and the balancer's rack repair `duplicate_rack_replicas`: they pass `Racks`
(node id -> rack) when rack awareness is on, None instead when it is off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.cluster.errors import ClusterErrc, ClusterError

RACK_AWARENESS = "enable_rack_awareness"
Racks = Mapping[int, str | None]  # node id -> rack (None: the node names no rack)


@dataclass(frozen=True, slots=True)
class Node:
    node_id: int
    rack: str | None = None


def rack_awareness(config_get: Any) -> bool:
    """The live `enable_rack_awareness` from a cluster configuration's `get` (False when the
    store does not know it or has no value)."""
    try:
        value = config_get(RACK_AWARENESS)
    except KeyError:
        return False
    return bool(value)


def member_racks(members: Any, node_ids: Iterable[int]) -> dict[int, str | None]:
    """The racks of `node_ids` as the controller's members table (core.cluster.members) has
    them (None for a node without one or no longer a member)."""
    out: dict[int, str | None] = {}
    for node_id in node_ids:
        member = members.get(node_id)
        out[node_id] = None if member is None else member.rack
    return out


def rack_used(rack: str | None, others: Iterable[str | None]) -> bool:
    return rack is not None and rack in set(others)


def replacement(
    candidates: Iterable[int], keep: Sequence[int], load: Mapping[int, int], racks: Racks | None
) -> int | None:
    """The node to take one replica beside `keep` (the replicas that stay): with `racks`
    (rack awareness on), one in a rack none of `keep` uses if there is one; then the least
    `load`, then the lowest id. None when there is no candidate."""
    pool = [c for c in candidates if c not in keep]
    if not pool:
        return None
    kept = [racks.get(n) for n in keep] if racks is not None else []

    def key(node: int) -> tuple[bool, int, int]:
        used = racks is not None and rack_used(racks.get(node), kept)
        return used, load.get(node, 0), node

    return min(pool, key=key)


def duplicate_rack_replicas(replicas: Sequence[int], racks: Racks) -> list[int]:
    """Replicas in a rack an earlier replica of the list already uses (Redpanda keeps the
    first replica of each rack and moves the others)."""
    seen: set[str] = set()
    out = []
    for node in replicas:
        rack = racks.get(node)
        if rack is None:
            continue
        if rack in seen:
            out.append(node)
        seen.add(rack)
    return out


def distinct_racks(replicas: Iterable[int], racks: Racks) -> int:
    return len({racks.get(n) for n in replicas} - {None})


def place(
    nodes: Sequence[Node],
    partitions: int,
    replication_factor: int,
    replicas: dict[int, int] | None = None,
    leaders: dict[int, int] | None = None,
    first_index: int = 0,
    *,
    rack_aware: bool = False,
) -> list[tuple[int, ...]]:
    """Assignments for `partitions` new partitions (the first has index `first_index`);
    `rack_aware`: `enable_rack_awareness` at the time of the decision."""
    if replication_factor > len(nodes):
        raise ClusterError(
            ClusterErrc.invalid_replication_factor,
            f"replication factor {replication_factor} exceeds the {len(nodes)} available brokers",
        )
    if replication_factor < 1:
        raise ClusterError(ClusterErrc.invalid_replication_factor, "replication factor below 1")
    ordered = sorted(nodes, key=lambda n: n.node_id)
    replica_count = {n.node_id: (replicas or {}).get(n.node_id, 0) for n in ordered}
    leader_count = {n.node_id: (leaders or {}).get(n.node_id, 0) for n in ordered}
    rack = {n.node_id: n.rack if rack_aware else None for n in ordered}
    out: list[tuple[int, ...]] = []
    for index in range(first_index, first_index + partitions):
        rotation = {n.node_id: (i - index) % len(ordered) for i, n in enumerate(ordered)}
        chosen: list[int] = []
        while len(chosen) < replication_factor:
            used_racks = {rack[n] for n in chosen if rack[n] is not None}
            candidates = [n for n in replica_count if n not in chosen]
            chosen.append(
                min(
                    candidates,
                    key=lambda n: (
                        rack[n] is not None and rack[n] in used_racks,
                        replica_count[n],
                        leader_count[n],
                        rotation[n],
                    ),
                )
            )
        leader = min(chosen, key=lambda n: (leader_count[n], rotation[n]))
        chosen.remove(leader)
        chosen.insert(0, leader)
        leader_count[leader] += 1
        for n in chosen:
            replica_count[n] += 1
        out.append(tuple(chosen))
    return out


def validate(
    assignments: Sequence[Sequence[int]], members: Iterable[int], partitions: int | None = None
) -> list[tuple[int, ...]]:
    """Check explicit assignments: one per partition, non-empty, the same replica count for
    all, no node twice in one partition, every node a member. Returns them as tuples."""
    known = set(members)
    if partitions is not None and len(assignments) != partitions:
        raise ClusterError(
            ClusterErrc.invalid_partitions,
            f"{len(assignments)} replica assignments for {partitions} partitions",
        )
    if not assignments:
        raise ClusterError(ClusterErrc.invalid_partitions, "no replica assignment given")
    out = [tuple(int(n) for n in nodes) for nodes in assignments]
    width = len(out[0])
    for i, nodes in enumerate(out):
        if not nodes or len(nodes) != width:
            raise ClusterError(
                ClusterErrc.invalid_replica_assignment,
                f"partition {i}: {len(nodes)} replicas, every partition needs {width}",
            )
        if len(set(nodes)) != len(nodes):
            raise ClusterError(
                ClusterErrc.invalid_replica_assignment, f"partition {i}: a node listed twice"
            )
        unknown = sorted(set(nodes) - known)
        if unknown:
            raise ClusterError(
                ClusterErrc.invalid_replica_assignment,
                f"partition {i}: nodes {unknown} are not members of the cluster",
            )
    return out
