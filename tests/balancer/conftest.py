"""Partition balancing on real broker processes."""

from __future__ import annotations

from collections import Counter

from tests.support.cluster import CLUSTER_PROPERTIES
from tests.support.rpk import admin_env, run_in_process

BALANCER_PROPERTIES = dict(CLUSTER_PROPERTIES, partition_autobalancing_tick_interval_ms=1000)


def replica_counts(partitions: list[dict]) -> Counter:
    """Replicas per node over the Kafka partitions of GET /v1/cluster/partitions."""
    return Counter(r["node_id"] for p in partitions for r in p["replicas"] if p["ns"] == "kafka")


def rpk(cluster, home, *args: str, nodes: list[int] | None = None):
    """rpk against the Admin API of every running node, or of `nodes` (indexes) only."""
    chosen = cluster.running() if nodes is None else [cluster.nodes[i] for i in nodes]
    hosts = ",".join(f"127.0.0.1:{n.admin_port}" for n in chosen)
    return run_in_process(list(args), admin_env(hosts, home))
