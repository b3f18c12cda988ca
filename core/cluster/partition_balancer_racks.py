"""Rack constraint repair for the partition balancer (core.cluster.partition_balancer), as
Redpanda's planner does it in `continuous` mode with `enable_rack_awareness` on.

Rack awareness is a soft constraint: a partition may end up with two replicas in one rack
(created while it was off, created or moved while too few racks were available, a rack down
past the availability timeout). For each such partition that is not moving, when the
available nodes span more racks than the partition does, the first replica of each rack
stays and every other one moves to the least-loaded available node in a rack the partition
does not use yet. Unlike Redpanda, which tracks the partitions whose replicas changed while
the property was on (and all of them when it loads a controller snapshot), the partitions
are found from the current assignments at each tick, so turning the property on repairs the
ones placed while it was off.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from core.cluster.placement import (
    Racks,
    distinct_racks,
    duplicate_rack_replicas,
    rack_used,
    replacement,
)

Key = tuple[str, int]


def repair_racks(
    assignments: dict[Key, tuple[int, ...]],
    busy: set[Key],
    active: list[int],
    down: Iterable[int],
    racks: Racks,
    counts: dict[int, int],
) -> Iterator[tuple[Key, tuple[int, ...]]]:
    """Moves (partition, new replicas) spreading partitions over more racks, `counts` (replicas
    per node) updated as they are yielded. `active`: the available nodes that may receive."""
    available = {racks.get(n) for n in active} - {None}
    gone = set(down)
    for key in sorted(assignments):
        nodes = assignments[key]
        if key in busy or len(available) <= distinct_racks(nodes, racks):
            continue
        extra = duplicate_rack_replicas(nodes, racks)
        if not extra or 2 * sum(1 for n in nodes if n not in gone) <= len(nodes):
            continue  # nothing to repair, or no majority to change the replicas with
        new = list(nodes)
        for node in extra:
            keep = [n for n in new if n != node]
            best = replacement(active, keep, counts, racks)
            if best is None or rack_used(racks.get(best), [racks.get(n) for n in keep]):
                continue
            new[new.index(node)] = best
            counts[best] = counts.get(best, 0) + 1
            counts[node] = counts.get(node, 0) - 1
        if tuple(new) != nodes:
            yield key, tuple(new)
