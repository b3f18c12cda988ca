"""GET /v1/cluster/partition_balancer/status is the controller leader's answer (core.cluster.
partition_balancer_rpc): a node that does not lead forwards it; with no leader it is 503 with
Redpanda's {"message", "code"} body."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.balancer.conftest import BALANCER_PROPERTIES, rpk
from tests.support.cluster import admin_get, running_cluster
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(180)]

STATUS = "/v1/cluster/partition_balancer/status"
NO_LEADER = "Service unavailable (Currently there is no leader controller elected in the cluster)"


def _get(port: int, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _leader(port: int) -> list[int]:
    """[the controller leader's id] (a list: node 0 is a leader too), [] when none is known."""
    found = admin_get(port, "/v1/partitions/redpanda/controller/0")
    return [found["leader_id"]] if found and found["leader_id"] >= 0 else []


def test_every_node_answers_the_leaders_status_and_503_without_a_leader(tmp_path) -> None:
    with running_cluster(tmp_path / "c", 3, properties=BALANCER_PROPERTIES) as cluster:
        [leader] = wait_for(lambda: _leader(cluster.nodes[0].admin_port), "the leader", 30)
        wait_for(  # the leader's first tick as leader: 'starting' before
            lambda: (
                (s := admin_get(cluster.nodes[leader].admin_port, STATUS))
                and s["status"] == "ready"
            ),
            "the leader's balancer ticked",
            30,
        )
        for node in cluster.nodes:
            code, body = _get(node.admin_port, STATUS)
            assert code == 200, (node.node_id, body)
            assert body["status"] == "ready" and "seconds_since_last_tick" in body, body
            assert body["violations"] == {"unavailable_nodes": [], "over_disk_limit_nodes": []}
        follower = next(i for i in range(3) if i != leader)
        out = rpk(
            cluster, tmp_path / "home", "cluster", "partitions", "balancer-status", nodes=[follower]
        )
        assert out.exit_code == 0, out.stderr
        assert out.stdout.splitlines()[0].split() == ["Status:", "ready"], out.stdout

        survivor = follower
        for i in range(3):
            if i != survivor:
                cluster.kill(i)
        answers: list[tuple[int, dict]] = []

        def no_leader() -> bool:
            answers.append(_get(cluster.nodes[survivor].admin_port, STATUS))
            return answers[-1][1].get("message") == NO_LEADER

        wait_for(no_leader, "503 no leader controller", 60, 0.5)
        # while the dead leader was still known: 503 Not ready (unreachable); never a stale 200
        for code, body in answers:
            assert code in (503, 504) and body["code"] == code, answers
        assert answers[-1] == (503, {"message": NO_LEADER, "code": 503})
