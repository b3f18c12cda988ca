"""Leadership transfer through the Admin API (any node forwards to the leader; the partition
and the raft-group forms; the controller) and through rpk's transfer-leadership, on three
real broker processes; then maintenance mode through rpk: the node drains every leadership,
takes none while in maintenance (not even when a leader dies), and rpk prints rpk's texts."""

from __future__ import annotations

import pytest

from core.testing.cluster import admin_get
from tests.leadership.support import admin, leaders, wait_for
from tests.support.cluster import CLUSTER_PROPERTIES, create_topic, running_cluster
from tests.support.rpk import admin_env, run_in_process

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(240)]

TOPIC = "moves"
PARTITIONS = 6
# the balancer would undo the transfers made here
PROPERTIES = dict(CLUSTER_PROPERTIES, enable_leader_balancer=False)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("leadership"), 3, properties=PROPERTIES) as c:
        create_topic(c, TOPIC, PARTITIONS, 3)
        yield c


def everyone_sees(cluster, partition: int, leader: int) -> bool:
    return all(leaders(cluster, TOPIC, n.node_id)[partition] == leader for n in cluster.running())


def test_admin_api_transfer_from_any_node(cluster) -> None:
    source = cluster.leader_of(TOPIC, 0)
    target = (source + 1) % 3
    other = (source + 2) % 3  # neither leader nor target: it forwards to the leader
    path = f"/v1/partitions/kafka/{TOPIC}/0/transfer_leadership?target={target}"
    assert admin("POST", cluster.nodes[other].admin_port, path) == (200, {})
    wait_for(lambda: everyone_sees(cluster, 0, target), "the new leader everywhere", cluster, 10)
    # the current leader as target: nothing to do
    assert admin("POST", cluster.nodes[source].admin_port, path)[0] == 200
    # no target: some other node takes over
    status, _ = admin(
        "POST", cluster.nodes[0].admin_port, f"/v1/partitions/kafka/{TOPIC}/0/transfer_leadership"
    )
    assert status == 200
    wait_for(
        lambda: leaders(cluster, TOPIC)[0] not in (-1, target),
        "a leader other than before",
        cluster,
        10,
    )


def test_raft_group_form_and_the_controller(cluster) -> None:
    part = admin_get(cluster.nodes[0].admin_port, f"/v1/partitions/kafka/{TOPIC}/1")
    group = part["raft_group_id"]
    target = (cluster.leader_of(TOPIC, 1) + 1) % 3
    assert admin(
        "POST", cluster.nodes[1].admin_port, f"/v1/raft/{group}/transfer_leadership?target={target}"
    ) == (200, {})
    wait_for(lambda: everyone_sees(cluster, 1, target), "raft-group transfer", cluster, 10)
    health = admin_get(cluster.nodes[0].admin_port, "/v1/cluster/health_overview")
    controller_target = (health["controller_id"] + 1) % 3
    path = f"/v1/partitions/redpanda/controller/0/transfer_leadership?target={controller_target}"
    assert admin("POST", cluster.nodes[2].admin_port, path)[0] == 200
    wait_for(
        lambda: (
            admin_get(cluster.nodes[0].admin_port, "/v1/cluster/health_overview")["controller_id"]
            == controller_target
        ),
        "the controller to move",
        cluster,
        10,
    )


def test_bad_requests(cluster) -> None:
    port = cluster.nodes[0].admin_port
    status, body = admin(
        "POST", port, f"/v1/partitions/kafka/{TOPIC}/0/transfer_leadership?target=x"
    )
    assert status == 400 and body["message"] == "Target node id must be an integer: x"
    status, body = admin(
        "POST", port, f"/v1/partitions/kafka/{TOPIC}/0/transfer_leadership?target=7"
    )
    assert status == 400 and "node 7 is not a voter" in body["message"]
    assert admin("POST", port, f"/v1/partitions/kafka/{TOPIC}/99/transfer_leadership")[0] == 404
    assert admin("POST", port, "/v1/partitions/kafka/nope/0/transfer_leadership")[0] == 404
    assert admin("POST", port, "/v1/raft/424242/transfer_leadership")[0] == 404
    status, body = admin("POST", port, "/v1/raft/-1/transfer_leadership")
    assert status == 400 and body["message"] == "Invalid raft group id -1"


def _rpk_admin_hosts(cluster) -> str:
    return ",".join(f"127.0.0.1:{n.admin_port}" for n in cluster.nodes)


def test_rpk_transfer_leadership_both_forms(cluster, tmp_path) -> None:
    env = admin_env(_rpk_admin_hosts(cluster), tmp_path)
    for partition, args in ((2, [TOPIC, "-p"]), (3, ["-p"])):
        target = (cluster.leader_of(TOPIC, partition) + 1) % 3
        spec = f"{partition}:{target}" if args[0] == TOPIC else f"{TOPIC}/{partition}:{target}"
        result = run_in_process(["cluster", "partitions", "transfer-leadership", *args, spec], env)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == (
            "Successfully began the partition leadership transfer(s).\n\n"
            "Check the new leader assignment with 'rpk topic describe -p TOPIC'.\n"
        )
        wait_for(
            lambda: everyone_sees(cluster, partition, target),
            f"rpk transfer of {partition}",
            cluster,
            10,
        )
    result = run_in_process(["cluster", "partitions", "transfer-leadership", "-p", "nonsense"], env)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "failed to extract topic/partition: invalid format for nonsense"
    )
    # a target that is not a replica: rpk prints the failure and exits 0, as rpk does
    result = run_in_process(
        ["cluster", "partitions", "transfer-leadership", "-p", f"{TOPIC}/2:9"], env
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("failed to transfer the partition leader: ")
    assert "node 9 is not a voter" in result.stdout


def test_rpk_maintenance_drains_and_blocks_leadership(cluster, tmp_path) -> None:
    env = admin_env(_rpk_admin_hosts(cluster), tmp_path)
    node = cluster.leader_of(TOPIC, 4)
    result = run_in_process(
        ["cluster", "maintenance", "enable", str(node), "--wait", "--interval-s", "0.2"], env
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(
        f"Successfully enabled maintenance mode for node {node}. Waiting for node to drain...\n"
        "NODE-ID  ENABLED  FINISHED  ERRORS  PARTITIONS  ELIGIBLE  TRANSFERRING  FAILED\n"
    )
    assert result.stdout.endswith(f"\nAll partitions on node {node} have drained.\n")
    assert node not in leaders(cluster, TOPIC)
    assert (
        admin_get(cluster.nodes[node].admin_port, "/v1/cluster/health_overview")["controller_id"]
        != node
    )
    local = admin_get(cluster.nodes[node].admin_port, "/v1/maintenance")
    assert local["draining"] and local["finished"] and local["eligible"] == 0

    status = run_in_process(["cluster", "maintenance", "status"], env)
    lines = status.stdout.splitlines()
    assert lines[0].split() == [
        "NODE-ID",
        "ENABLED",
        "FINISHED",
        "ERRORS",
        "PARTITIONS",
        "ELIGIBLE",
        "TRANSFERRING",
        "FAILED",
    ]
    rows = {int(line.split()[0]): line.split() for line in lines[1:]}
    assert rows[node][1:4] == ["true", "true", "false"]
    assert all(rows[n][1:] == ["false"] + ["-"] * 6 for n in rows if n != node)

    again = run_in_process(["cluster", "maintenance", "enable", str(node)], env)
    assert again.stdout.startswith(f"Maintenance mode is already enabled for node {node}.")
    other = (node + 1) % 3
    refused = run_in_process(["cluster", "maintenance", "enable", str(other)], env)
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"Cannot enable maintenance mode: cannot place node {other}")
    path = f"/v1/partitions/kafka/{TOPIC}/4/transfer_leadership?target={node}"
    status_code, body = admin("POST", cluster.nodes[other].admin_port, path)
    assert status_code == 400 and "in maintenance mode" in body["message"]

    # the node in maintenance takes no leadership, even when the only other candidate dies
    victim = (node + 2) % 3
    cluster.kill(victim)
    survivor = other
    wait_for(
        lambda: all(leader == survivor for leader in leaders(cluster, TOPIC, survivor)),
        f"node {survivor} to lead everything",
        cluster,
        20,
    )
    cluster.start_node(victim)
    cluster.wait_formed()

    disabled = run_in_process(["cluster", "maintenance", "disable", str(node)], env)
    assert disabled.exit_code == 0 and disabled.stdout == (
        f"Successfully disabled maintenance mode for node {node}. Check the status with "
        "'rpk cluster maintenance status'.\n"
    )
    assert admin_get(cluster.nodes[node].admin_port, "/v1/maintenance") == {"draining": False}
    missing = run_in_process(["cluster", "maintenance", "disable", "9"], env)
    assert missing.exit_code == 1 and "The node 9 is likely dead?" in missing.stderr


def test_local_maintenance_escape_hatch(cluster) -> None:
    """PUT/DELETE /v1/maintenance drain this node (or stop draining it) locally, without a
    controller command: the other nodes do not list it in maintenance."""
    node = cluster.leader_of(TOPIC, 5)
    port = cluster.nodes[node].admin_port
    assert admin("PUT", port, "/v1/maintenance") == (200, {})
    wait_for(
        lambda: (s := admin_get(port, "/v1/maintenance")) and s.get("finished"),
        "the local drain",
        cluster,
        20,
    )
    assert node not in leaders(cluster, TOPIC, node)
    other = cluster.nodes[(node + 1) % 3].admin_port
    assert admin_get(other, f"/v1/brokers/{node}")["maintenance_status"] == {"draining": False}
    assert admin("DELETE", port, "/v1/maintenance") == (200, {})
    assert admin_get(port, "/v1/maintenance") == {"draining": False}
