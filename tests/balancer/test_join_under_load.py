"""A fourth broker joins a running three-node cluster through its seeds while a confluent-kafka
and a kafka-python idempotent acks=all producer and a two-client consumer group run (the
cluster fault tests' workload): with node_add balancing its share of replicas moves to it, and
the Jepsen-style checker then finds nothing lost or duplicated and the replicas identical."""

from __future__ import annotations

import pytest

from tests.balancer.conftest import BALANCER_PROPERTIES, replica_counts
from tests.moves.test_moves_load import PARTITIONS, TOPIC, run_under_load
from tests.support.cluster import admin_get, create_topic, running_cluster
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]


def test_a_node_joins_under_load_and_receives_replicas(tmp_path) -> None:
    props = dict(BALANCER_PROPERTIES, group_topic_partitions=1)  # most replicas are the topic's
    with running_cluster(tmp_path / "c", 3, properties=props) as cluster:
        create_topic(cluster, TOPIC, PARTITIONS, 3)
        port = cluster.nodes[0].admin_port

        def add_a_fourth_node() -> None:
            cluster.add_node()

            def balanced() -> bool:
                parts = admin_get(port, "/v1/cluster/partitions")
                moving = admin_get(port, "/v1/partitions/reconfigurations")
                if parts is None or moving is None or moving:
                    return False
                counts = replica_counts(parts)
                return counts[3] > 0 and max(counts.values()) - min(counts.values()) <= 1

            wait_for(balanced, "node 3 holds its share and nothing moves", 150)

        run_under_load(cluster, add_a_fourth_node)
        parts = admin_get(port, f"/v1/cluster/partitions/kafka/{TOPIC}")
        assert all(len(p["replicas"]) == 3 for p in parts)
        assert sum(3 in [r["node_id"] for r in p["replicas"]] for p in parts) >= 2
