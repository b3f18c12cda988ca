"""rpk's partition-move and broker commands (in process) against four real brokers:
`rpk cluster partitions list | move | move-status | move-cancel` and `rpk redpanda admin
brokers list | decommission | decommission-status | recommission`, output as rpk prints it."""

from __future__ import annotations

import pytest

from tests.support.cluster import create_topic
from tests.support.rpk import admin_env, run_in_process
from tests.support.wait import wait_for

pytestmark = pytest.mark.cluster
RECONF = "/v1/partitions/reconfigurations"


@pytest.fixture
def rpk(cluster4, tmp_path):
    def run(*args: str, input: str | None = None):
        """rpk with every running (not paused) node's Admin API as its hosts."""
        hosts = ",".join(f"127.0.0.1:{n.admin_port}" for n in cluster4.running())
        return run_in_process(list(args), admin_env(hosts, tmp_path / "home"), input=input)

    return run


def table(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines()]


def test_partitions_list_move_status_cancel(cluster4, rpk):
    create_topic(cluster4, "r", 1, 3)
    listed = rpk("cluster", "partitions", "list", "r")
    assert listed.exit_code == 0, listed.stderr
    head, row = table(listed.stdout)
    assert head == ["NAMESPACE", "TOPIC", "PARTITION", "LEADER-ID", "REPLICA-CORE", "DISABLED"]
    old = [int(r.split("-")[0]) for r in " ".join(row[4:-1]).strip("[]").split()]
    assert row[:3] == ["kafka", "r", "0"] and row[-1] == "false" and len(old) == 3
    assert "Usage:" in rpk("cluster", "partitions", "list").stdout
    everything = rpk("cluster", "partitions", "list", "--all", "--format", "json")
    assert '"topic":"r"' in everything.stdout
    new_node = ({0, 1, 2, 3} - set(old)).pop()
    target = [*old[1:], new_node]
    spec = ",".join(map(str, target))
    cluster4.pause(new_node)  # its learner never catches up: the move stays in progress
    try:
        moving(rpk, spec, target)
    finally:
        cluster4.resume(new_node)
    wait_for(
        lambda: "There are no ongoing" in rpk("cluster", "partitions", "move-status").stdout,
        "the cancelled move ended",
        30,
    )
    again = rpk("cluster", "partitions", "move-cancel", "--no-confirm")
    assert again.stdout.strip() == "There are no ongoing partition movements to cancel"
    moved = rpk("cluster", "partitions", "move", "r", "-p", f"0:{spec}")  # this one finishes
    assert moved.exit_code == 0, moved.stderr
    wait_for(
        lambda: (
            f"[{' '.join(f'{n}-0' for n in sorted(target))}]"  # rpk deep-sorts replicas
            in rpk("cluster", "partitions", "list", "r").stdout
        ),
        "the partition on its new replicas",
        60,
    )


def moving(rpk, spec: str, target: list[int]) -> None:
    """move, move-status and move-cancel of a move that stays in progress."""
    bad = rpk("cluster", "partitions", "move", "-p", "r/0:1,2")
    assert bad.exit_code == 1 and "cannot modify replication factor" in bad.stderr
    moved = rpk("cluster", "partitions", "move", "r", "-p", f"0:{spec}")
    assert moved.exit_code == 0, moved.stderr
    lines = moved.stdout.splitlines()
    assert lines[0].split() == [
        "NAMESPACE",
        "TOPIC",
        "PARTITION",
        "OLD-REPLICAS",
        "NEW-REPLICAS",
        "ERROR",
    ]
    assert f"[{' '.join(f'{n}-0' for n in target)}]" in lines[1]
    assert "Successfully began 1 partition movement(s)." in moved.stdout
    assert (
        rpk("cluster", "partitions", "move", "-p", f"r/0:{spec}")
        .stdout.strip()
        .endswith("already being moved")
    )
    status = rpk("cluster", "partitions", "move-status")
    lines = status.stdout.splitlines()  # rpk always titles the section
    assert lines[:2] == ["PARTITION MOVEMENTS", "==================="], status.stdout
    head, row = table("\n".join(lines[2:]))
    assert head[:4] == ["NAMESPACE-TOPIC", "PARTITION", "MOVING-FROM", "MOVING-TO"]
    assert row[:2] == ["kafka/r", "0"]
    assert f"[{' '.join(map(str, sorted(target)))}]" in status.stdout  # rpk sorts replica sets
    full = rpk("cluster", "partitions", "move-status", "-a").stdout.splitlines()
    assert full[:4] == lines and full[4:8] == [
        "",
        "RECONCILIATION STATUSES",
        "=======================",
        "kafka/r/0",
    ], full
    assert full[8].split() == ["NODE-ID", "CORE", "TYPE", "RETRY-NUMBER", "REVISION", "STATUS"]
    cancelled = rpk("cluster", "partitions", "move-cancel", "--no-confirm")
    assert cancelled.exit_code == 0, cancelled.stderr
    assert table(cancelled.stdout) == [
        ["NAMESPACE", "TOPIC", "PARTITION", "RESULT"],
        ["kafka", "r", "0", "success"],
    ]


def test_brokers_decommission_and_recommission(cluster4, rpk, admin):
    create_topic(cluster4, "d", 1, 3)
    port = cluster4.nodes[0].admin_port
    status, err = admin(port, "POST", "/v1/partitions/kafka/d/0/replicas", body(0, 1, 3))
    assert status == 200 or "already" in str(err), err
    wait_for(lambda: admin(port, "GET", RECONF)[1] == [], "d on nodes 0, 1, 3", 60)
    listed = rpk("redpanda", "admin", "brokers", "list")
    assert listed.exit_code == 0, listed.stderr
    rows = table(listed.stdout)
    assert rows[0] == [
        "ID",
        "HOST",
        "PORT",
        "RACK",
        "CORES",
        "MEMBERSHIP",
        "IS-ALIVE",
        "VERSION",
        "UUID",
    ]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2", "3"]
    assert {r[5] for r in rows[1:]} == {"active"}
    status = rpk("redpanda", "admin", "brokers", "decommission-status", "3")
    assert status.exit_code == 0 and status.stdout.strip() == "Node 3 is not decommissioning"
    refused = rpk("redpanda", "admin", "brokers", "recommission", "3")
    assert refused.exit_code == 1 and "is not being decommissioned" in refused.stderr
    assert (
        "invalid negative broker id -1"
        in rpk("redpanda", "admin", "brokers", "decommission", "--", "-1").stderr
    )
    cluster4.pause(2)  # d/0 can only move to node 2: the decommission stays in progress
    try:
        started = rpk("redpanda", "admin", "brokers", "decommission", "3")
        assert started.exit_code == 0, started.stderr
        assert started.stdout.startswith("Success, broker 3 decommission started.")
        rows = table(rpk("redpanda", "admin", "brokers", "list").stdout)
        assert [r[5] for r in rows[1:]] == ["active", "active", "active", "draining"]
        wait_for(
            lambda: (
                "kafka/d" in rpk("redpanda", "admin", "brokers", "decommission-status", "3").stdout
            ),
            "d/0 moving off node 3",
            20,
        )
        status = rpk("redpanda", "admin", "brokers", "decommission-status", "3", "-d")
        assert status.stdout.startswith("DECOMMISSION PROGRESS"), status.stdout
        head = table(status.stdout)[2]
        assert head[:3] == ["NAMESPACE-TOPIC", "PARTITION", "MOVING-TO"] and "BYTES-MOVED" in head
        back = rpk("redpanda", "admin", "brokers", "recommission", "3")
        assert back.stdout.strip() == "Success, broker 3 has been recommissioned!"
        rows = table(rpk("redpanda", "admin", "brokers", "list").stdout)
        assert {r[5] for r in rows[1:]} == {"active"}
    finally:
        cluster4.resume(2)
    wait_for(lambda: admin(port, "GET", RECONF)[1] == [], "the cancelled move ended", 60)
    # now for real: node 3 leaves, and is listed only with -d, by its UUID
    assert rpk("redpanda", "admin", "brokers", "decommission", "3").exit_code == 0
    wait_for(
        lambda: (
            "decommissioned successfully"
            in rpk("redpanda", "admin", "brokers", "decommission-status", "3").stdout
        ),
        "node 3 decommissioned",
        90,
    )
    cluster4.kill(3)  # the operator stops it (its own Admin API still lists itself)

    def listed_ids() -> list[str]:
        return [r[0] for r in table(rpk("redpanda", "admin", "brokers", "list").stdout)[1:]]

    wait_for(lambda: listed_ids() == ["0", "1", "2"], "node 3 gone from every node's list", 20)
    rows = table(rpk("redpanda", "admin", "brokers", "list", "-d").stdout)
    assert rows[-1][:8] == ["3", "-", "-", "-", "-", "-", "-", "-"]
    refused = rpk("redpanda", "admin", "brokers", "recommission", "3")
    assert refused.exit_code == 1 and "decommissioned" in refused.stderr


def body(*nodes: int) -> list[dict]:
    return [{"node_id": n, "core": 0} for n in nodes]
