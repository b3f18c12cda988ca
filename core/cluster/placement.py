"""Replica placement for new partitions: which nodes hold each one, preferred leader first.

Computed on the submitting side (the assignment travels in the `create_topic` /
`create_partitions` command, so every node applies the same one). For each new partition:

* the replicas are the least-loaded nodes (fewest replicas, then fewest leaderships, then a
  rotation starting at the partition's index), preferring racks the partition does not use
  yet when racks are set;
* the preferred leader (first replica) is the one of them leading the fewest partitions so
  far, so leaders spread evenly.

Counts include every existing partition (`TopicTable.replica_counts`) and the partitions
placed so far by the same call. Explicit assignments (CreateTopics/CreatePartitions with
replica assignments) are checked by `validate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.cluster.errors import ClusterErrc, ClusterError


@dataclass(frozen=True, slots=True)
class Node:
    node_id: int
    rack: str | None = None


def place(
    nodes: Sequence[Node],
    partitions: int,
    replication_factor: int,
    replicas: dict[int, int] | None = None,
    leaders: dict[int, int] | None = None,
    first_index: int = 0,
) -> list[tuple[int, ...]]:
    """Assignments for `partitions` new partitions (the first has index `first_index`)."""
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
    rack = {n.node_id: n.rack for n in ordered}
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
