"""enable_rack_awareness on real brokers, each naming its rack (redpanda.rack), set live.

Four brokers: 0 and 1 in rack a, 2 in rack b, 3 in rack c. With the property off (the
default) new partitions go by load only, so RF 3 puts two replicas in rack a for half of
them; on (rpk cluster config set), every new partition spans the three racks. In
`continuous` mode the balancer also repairs the partitions placed while it was off, as
Redpanda's "rack constraint repair"; `node_add` mode leaves them. Decommissioning a node
replaces its replicas in a rack the partition does not use yet (five brokers)."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.balancer.conftest import BALANCER_PROPERTIES, rpk
from tests.balancer.test_node_add import _consume, _produce
from tests.support.cluster import BrokerCluster, admin_get, admin_put, create_topic
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]

RACKS = {0: "a", 1: "a", 2: "b", 3: "c"}
PROPERTY = "enable_rack_awareness"


@contextlib.contextmanager
def rack_cluster(base: Path, racks: dict[int, str], **properties) -> Iterator[BrokerCluster]:
    cluster = BrokerCluster(len(racks), base, properties=dict(BALANCER_PROPERTIES, **properties))
    for node in cluster.nodes:  # redpanda.rack in each node's own file
        doc = yaml.safe_load(node.config_path.read_text())
        doc["redpanda"]["rack"] = racks[node.node_id]
        node.config_path.write_text(yaml.safe_dump(doc, sort_keys=False))
    with cluster:
        yield cluster


def _assignments(cluster: BrokerCluster, topic: str) -> list[tuple[int, ...]]:
    """The replicas of each partition (Admin API, partition order), once nothing moves."""

    def read() -> list[tuple[int, ...]] | None:
        port = cluster.nodes[0].admin_port
        parts = admin_get(port, f"/v1/cluster/partitions/kafka/{topic}")
        if not parts or admin_get(port, "/v1/partitions/reconfigurations"):
            return None
        parts = sorted(parts, key=lambda p: p["partition_id"])
        return [tuple(r["node_id"] for r in p["replicas"]) for p in parts]

    return wait_for(read, f"the replicas of {topic}", 30)


def _spans(assignment: tuple[int, ...], racks: dict[int, str]) -> int:
    return len({racks[n] for n in assignment})


def _set_everywhere(cluster: BrokerCluster, home: Path, value: bool, *, via_rpk: bool) -> None:
    """Set the property live (rpk or the Admin API) and wait until every node applied it:
    placement is decided on the node a CreateTopics reaches."""
    if via_rpk:
        out = rpk(cluster, home, "cluster", "config", "set", PROPERTY, str(value).lower())
        assert out.exit_code == 0, out.stderr
    else:
        admin_put(
            cluster.nodes[0].admin_port,
            "/v1/cluster_config",
            {"upsert": {PROPERTY: value}, "remove": []},
        )
    for node in cluster.nodes:
        wait_for(
            lambda node=node: (
                admin_get(node.admin_port, f"/v1/cluster_config?key={PROPERTY}")
                == {PROPERTY: value}
            ),
            f"node {node.node_id} applied {PROPERTY}={value}",
            30,
        )


def test_rack_awareness_set_live_spreads_replicas_over_racks(tmp_path) -> None:
    with rack_cluster(tmp_path / "c", RACKS) as cluster:
        brokers = admin_get(cluster.nodes[0].admin_port, "/v1/brokers")
        assert {b["node_id"]: b["rack"] for b in brokers} == RACKS
        home = tmp_path / "home"
        assert admin_get(cluster.nodes[0].admin_port, f"/v1/cluster_config?key={PROPERTY}") == {
            PROPERTY: False
        }
        create_topic(cluster, "off", 8, 3)
        off = _assignments(cluster, "off")
        # off: load only, 24 replicas 6 a node, and the rotation puts nodes 0 and 1 together
        assert Counter(n for a in off for n in a) == {0: 6, 1: 6, 2: 6, 3: 6}
        assert sum(_spans(a, RACKS) < 3 for a in off) == 4, off

        _set_everywhere(cluster, home, True, via_rpk=True)
        create_topic(cluster, "on", 8, 3)
        on = _assignments(cluster, "on")
        assert all(_spans(a, RACKS) == 3 for a in on), on
        assert Counter(n for a in on for n in a) == {0: 4, 1: 4, 2: 8, 3: 8}
        assert _assignments(cluster, "off") == off  # node_add mode repairs nothing
        _produce(cluster, "on", 30)

        _set_everywhere(cluster, home, False, via_rpk=False)  # off again: load first
        create_topic(cluster, "off-again", 4, 3)
        again = _assignments(cluster, "off-again")
        assert all(0 in a and 1 in a for a in again), again  # 0 and 1 hold the fewest
        assert sorted(_consume(cluster.nodes[3].kafka_port, "on", 30)) == sorted(
            b"v%d" % i for i in range(30)
        )


def test_continuous_balancer_repairs_partitions_placed_without_rack_awareness(tmp_path) -> None:
    with rack_cluster(tmp_path / "c", RACKS) as cluster:
        home = tmp_path / "home"
        create_topic(cluster, "mixed", 8, 3)
        before = _assignments(cluster, "mixed")
        assert sum(_spans(a, RACKS) < 3 for a in before) == 4, before
        _produce(cluster, "mixed", 40)
        _set_everywhere(cluster, home, True, via_rpk=True)
        time.sleep(3)  # three balancer ticks in node_add mode: nothing moves
        assert _assignments(cluster, "mixed") == before
        out = rpk(
            cluster, home, "cluster", "config", "set", "partition_autobalancing_mode", "continuous"
        )
        assert out.exit_code == 0, out.stderr
        wait_for(
            lambda: all(_spans(a, RACKS) == 3 for a in _assignments(cluster, "mixed")),
            "every partition of mixed spans racks a, b and c",
            180,
        )
        after = _assignments(cluster, "mixed")
        for old, new in zip(before, after, strict=True):
            if _spans(old, RACKS) == 3:
                assert new == old  # a partition already spread does not move
            else:  # one of its two rack-a replicas moved, the other stayed
                assert len(set(old) & set(new)) == 2
        assert sorted(_consume(cluster.nodes[2].kafka_port, "mixed", 40)) == sorted(
            b"v%d" % i for i in range(40)
        )


def test_decommission_replaces_a_replica_in_an_unused_rack(tmp_path) -> None:
    racks = {0: "a", 1: "a", 2: "b", 3: "b", 4: "c"}
    with rack_cluster(tmp_path / "c", racks, **{PROPERTY: True}) as cluster:
        create_topic(cluster, "spread", 6, 3)
        before = _assignments(cluster, "spread")
        assert all(_spans(a, racks) == 3 for a in before), before
        assert sum(2 in a for a in before) >= 2
        _produce(cluster, "spread", 30)
        out = rpk(cluster, tmp_path / "home", "redpanda", "admin", "brokers", "decommission", "2")
        assert out.exit_code == 0, out.stderr
        port = cluster.nodes[0].admin_port
        wait_for(
            lambda: all(
                b["node_id"] != 2 for b in admin_get(port, "/v1/brokers") or [{"node_id": 2}]
            ),
            "node 2 left the cluster",
            180,
        )
        after = _assignments(cluster, "spread")
        assert all(2 not in a and _spans(a, racks) == 3 for a in after), after
        moved = [new for old, new in zip(before, after, strict=True) if 2 in old]
        assert all(3 in a for a in moved)  # rack b's other node, whatever its load
        assert sorted(_consume(cluster.nodes[0].kafka_port, "spread", 30)) == sorted(
            b"v%d" % i for i in range(30)
        )
