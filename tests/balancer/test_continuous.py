"""partition_autobalancing_mode continuous on four real brokers: the replicas of a node down
for longer than partition_autobalancing_node_availability_timeout_sec move to the nodes that
remain (joint consensus with the dead node's vote never needed), nothing acknowledged is
lost, and the balancer reports the node as a violation (Admin API and rpk).

The status is the controller leader's on every node (a non-leader forwards the request): once
the leader's balancer has ticked with the violation, the first answer of a node that does not
lead shows it, through the Admin API and through rpk asking that node alone."""

from __future__ import annotations

import pytest

from tests.balancer.conftest import BALANCER_PROPERTIES, rpk
from tests.balancer.test_node_add import _consume, _produce
from tests.support.cluster import admin_get, create_topic, running_cluster
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]

CONTINUOUS = dict(
    BALANCER_PROPERTIES,
    partition_autobalancing_mode="continuous",
    partition_autobalancing_node_availability_timeout_sec=4,
)


def _hosts(port: int, topic: str) -> list[list[int]] | None:
    parts = admin_get(port, f"/v1/cluster/partitions/kafka/{topic}")
    if parts is None:
        return None
    return [[r["node_id"] for r in p["replicas"]] for p in parts]


def test_replicas_leave_a_node_down_past_the_timeout(tmp_path) -> None:
    with running_cluster(tmp_path / "c", 4, properties=CONTINUOUS) as cluster:
        create_topic(cluster, "evac", 4, 3)
        _produce(cluster, "evac", 40)
        port = cluster.nodes[0].admin_port
        assert any(3 in r for r in _hosts(port, "evac"))
        cluster.kill(3)
        _, status = _leader_shows(cluster, "unavailable_nodes", [3])
        assert status["status"] in ("in_progress", "ready", "stalled")
        wait_for(
            lambda: (
                (h := _hosts(port, "evac")) is not None
                and all(3 not in r and len(r) == 3 for r in h)
                and not admin_get(port, "/v1/partitions/reconfigurations")
            ),
            "every replica left node 3",
            180,
        )
        _follower_shows(
            cluster,
            tmp_path / "home",
            "unavailable_nodes",
            [3],
            ["Unavailable", "Nodes:", "[3]"],
            ["Over", "Disk", "Limit", "Nodes:", "[]"],
        )
        got = _consume(cluster.nodes[0].kafka_port, "evac", 40)
        assert sorted(got) == sorted(b"v%d" % i for i in range(40))


def test_replicas_leave_a_node_over_the_disk_limit(tmp_path) -> None:
    """Node 3 alone runs with partition_autobalancing_max_disk_usage_percent 5 (a node-local
    override in its redpanda.yaml; the shared test disk is used more than that, less than the
    others' 80): it reports itself over the limit and its replicas leave it."""
    import yaml

    with running_cluster(tmp_path / "c", 4, properties=CONTINUOUS) as cluster:
        create_topic(cluster, "full", 4, 3)
        _produce(cluster, "full", 40)
        port = cluster.nodes[0].admin_port
        assert any(3 in r for r in _hosts(port, "full"))
        node3 = cluster.nodes[3]
        doc = yaml.safe_load(node3.config_path.read_text())
        doc["redpanda"]["partition_autobalancing_max_disk_usage_percent"] = 5
        node3.config_path.write_text(yaml.safe_dump(doc, sort_keys=False))
        cluster.restart(3)
        _leader_shows(cluster, "over_disk_limit_nodes", [3])
        wait_for(
            lambda: (
                (h := _hosts(port, "full")) is not None
                and all(3 not in r and len(r) == 3 for r in h)
                and not admin_get(port, "/v1/partitions/reconfigurations")
            ),
            "every replica left node 3",
            180,
        )
        for p in range(4):
            wait_for(lambda p=p: 3 not in cluster.partition_dirs("full", p), "dirs gone", 60)
        _follower_shows(
            cluster,
            tmp_path / "home",
            "over_disk_limit_nodes",
            [3],
            ["Over", "Disk", "Limit", "Nodes:", "[3]"],
        )
        got = _consume(cluster.nodes[0].kafka_port, "full", 40)
        assert sorted(got) == sorted(b"v%d" % i for i in range(40))


STATUS = "/v1/cluster/partition_balancer/status"


def _controller_leader(cluster) -> int | None:
    for node in cluster.running():
        found = admin_get(node.admin_port, "/v1/partitions/redpanda/controller/0")
        if found and found.get("leader_id", -1) >= 0:
            return found["leader_id"]
    return None


def _leader_shows(cluster, violation: str, nodes: list[int]) -> tuple[int, dict]:
    """(leader, its own status) once the controller leader's balancer has ticked with
    `violation` == `nodes` (a bounded wait: the availability timeout, or the disk report)."""

    def ticked() -> tuple[int, dict] | None:
        leader = _controller_leader(cluster)
        if leader is None or not cluster.nodes[leader].alive:
            return None
        status = admin_get(cluster.nodes[leader].admin_port, STATUS)
        return (leader, status) if status and status["violations"][violation] == nodes else None

    return wait_for(ticked, f"the controller leader reports {violation} {nodes}", 60)


def _follower_shows(cluster, home, violation: str, nodes: list[int], *rows: list[str]) -> None:
    """Once the leader reports the violation, a running node that does not lead answers with
    the leader's status at once: its Admin API body, and rpk asking that node alone (its first
    answer, no retry), print the violation rows."""
    leader, _ = _leader_shows(cluster, violation, nodes)
    follower = next(i for i, n in enumerate(cluster.nodes) if n.alive and i != leader)
    status = admin_get(cluster.nodes[follower].admin_port, STATUS)
    assert status is not None and status["violations"][violation] == nodes, (follower, status)
    assert "seconds_since_last_tick" in status, status
    out = rpk(cluster, home, "cluster", "partitions", "balancer-status", nodes=[follower])
    assert out.exit_code == 0, out.stderr
    shown = [line.split() for line in out.stdout.splitlines()]
    assert all(row in shown for row in rows), (follower, leader, out.stdout)
