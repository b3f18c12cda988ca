"""metadata_dissemination_interval_ms is the period of the full leadership refresh every node
sends its peers (core/cluster/leaders.py): how long a node that missed a change (here: one
that restarted and lost its leaders table) waits to learn the leader of a partition it does
not host. Redpanda's dissemination service wakes at that period to send what it coalesced
and refresh its leaders from the health report.

Three real brokers, the property at 10 minutes. t/0 lives on node 0 alone. Node 1 restarts:
node 0 sent its last full refresh long before, and leadership of t/0 does not change, so node
1 answers LEADER_NOT_AVAILABLE for t/0 for as long as we look (6 s). Once the property is set
to 1 s, node 0's next tick sends the refresh and node 1 names node 0 the leader."""

from __future__ import annotations

import time

from tests.cluster_properties.support import create_placed_topic, set_cluster_config
from tests.support.cluster import fetch_metadata, running_cluster
from tests.support.wait import wait_for

PROPERTIES = {"metadata_dissemination_interval_ms": 600_000}
LOOK_S = 6.0


def _leader_seen(port: int, topic: str) -> int:
    return fetch_metadata(port, [topic]).partition(topic, 0).leader


def test_a_restarted_node_learns_leaders_at_the_dissemination_interval(tmp_path):
    with running_cluster(tmp_path / "cluster", 3, properties=PROPERTIES) as cluster:
        create_placed_topic(cluster.bootstrap, "t", [[0]])
        ports = [node.kafka_port for node in cluster.nodes]
        wait_for(lambda: all(_leader_seen(p, "t") == 0 for p in ports), "t/0 led by 0", 30)

        cluster.restart(1)
        deadline = time.monotonic() + LOOK_S
        while time.monotonic() < deadline:
            assert _leader_seen(ports[1], "t") == -1, "node 1 learnt t/0 before a refresh"
            time.sleep(0.25)

        set_cluster_config(cluster.nodes[0].admin_port, metadata_dissemination_interval_ms=1_000)
        wait_for(lambda: _leader_seen(ports[1], "t") == 0, "node 1 to learn t/0's leader", 20)
