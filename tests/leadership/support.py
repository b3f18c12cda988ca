"""Helpers of the leadership tests: Admin API calls, leader counts, drain waits."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

from core.testing.cluster import BrokerCluster, ClusterError, admin_get
from core.testing.metadata import fetch_metadata


def admin(method: str, port: int, path: str, timeout_s: float = 20.0) -> tuple[int, Any]:
    """(status, decoded JSON body) of an Admin API request."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def leaders(cluster: BrokerCluster, topic: str, node: int | None = None) -> list[int]:
    """Every partition's leader (-1: none) as one running node's Metadata says."""
    target = cluster.nodes[node] if node is not None else cluster.running()[0]
    meta = fetch_metadata(target.kafka_port, [topic])
    found = sorted((i, p.leader) for (t, i), p in meta.partitions.items() if t == topic)
    return [leader for _, leader in found]


def counts(values: list[int], nodes: int) -> dict[int, int]:
    c = Counter(values)
    return {n: c.get(n, 0) for n in range(nodes)}


def wait_for(predicate, what: str, cluster: BrokerCluster, timeout_s: float, poll_s: float = 0.2):
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except (OSError, ValueError, KeyError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(poll_s)
    raise ClusterError(
        f"timed out after {timeout_s}s waiting for {what} (last: {last})\n" + cluster.log_tails(20)
    )


def drain_status(cluster: BrokerCluster, asked: int, node: int) -> dict:
    broker = admin_get(cluster.nodes[asked].admin_port, f"/v1/brokers/{node}", timeout_s=5.0)
    return (broker or {}).get("maintenance_status", {})


def wait_drained(cluster: BrokerCluster, node: int, timeout_s: float = 30.0) -> dict:
    asked = next(n.node_id for n in cluster.running() if n.node_id != node)
    return wait_for(
        lambda: (s := drain_status(cluster, asked, node)).get("finished") and s,
        f"node {node} drained",
        cluster,
        timeout_s,
    )
