"""The leader balancer on three real broker processes: after a node restarts (its leaderships
went to the others meanwhile) leadership spreads back within a bounded time, no node leading
more than its fair share plus one; `enable_leader_balancer` false leaves it as it is."""

from __future__ import annotations

import math
import time

import pytest

from tests.leadership.support import counts, leaders, wait_for
from tests.support.cluster import CLUSTER_PROPERTIES, create_topic, running_cluster

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(240)]

TOPIC = "balanced"
PARTITIONS = 30
NODE_MUTE_MS = 2_000  # a restarted node gets leaderships once up this long
PROPERTIES = dict(
    CLUSTER_PROPERTIES,
    leader_balancer_node_mute_timeout=NODE_MUTE_MS,
    leader_balancer_idle_timeout=5_000,
)
BALANCE_TIMEOUT_S = 30.0


def fair(cluster) -> bool | dict[int, int]:
    led = leaders(cluster, TOPIC)
    if -1 in led:
        return False
    per_node = counts(led, cluster.n)
    share = math.ceil(PARTITIONS / cluster.n)
    return per_node if max(per_node.values()) <= share + 1 else False


@pytest.mark.parametrize("crash", [False, True], ids=["restart", "kill-9"])
def test_leaders_spread_again_after_a_node_restarts(tmp_path, crash) -> None:
    with running_cluster(tmp_path / "c", 3, properties=PROPERTIES) as cluster:
        create_topic(cluster, TOPIC, PARTITIONS, 3)
        wait_for(lambda: fair(cluster), "leaders spread at start", cluster, BALANCE_TIMEOUT_S)
        victim = 1
        if crash:
            cluster.kill(victim)
        else:
            cluster.nodes[victim].stop()
        wait_for(
            lambda: victim not in (led := leaders(cluster, TOPIC)) and -1 not in led,
            "the others to lead everything",
            cluster,
            20,
        )
        cluster.start_node(victim)
        cluster.wait_formed()
        back = time.monotonic()
        per_node = wait_for(
            lambda: fair(cluster), "leaders spread again", cluster, BALANCE_TIMEOUT_S
        )
        took_s = time.monotonic() - back
        print(f"balanced {per_node} {took_s:.1f} s after node {victim} was back")
        assert per_node[victim] >= math.floor(PARTITIONS / 3) - 1


def test_disabled_balancer_leaves_leadership_alone(tmp_path) -> None:
    properties = dict(PROPERTIES, enable_leader_balancer=False)
    with running_cluster(tmp_path / "c", 3, properties=properties) as cluster:
        create_topic(cluster, TOPIC, PARTITIONS, 3)
        cluster.nodes[0].stop()
        wait_for(lambda: -1 not in leaders(cluster, TOPIC, 1), "failover", cluster, 20)
        cluster.start_node(0)
        cluster.wait_formed()
        time.sleep(NODE_MUTE_MS / 1000 + 3)
        assert counts(leaders(cluster, TOPIC), 3)[0] == 0
