"""rpk's partition-move and broker commands (in process) against four real brokers:
`rpk cluster partitions list | move | move-status | move-cancel` and `rpk redpanda admin
brokers list | decommission | decommission-status | recommission`, output as rpk prints it."""

from __future__ import annotations

import pytest

from tests.support.cluster import create_topic
from tests.support.rpk import admin_env, run_in_process
from tests.support.wait import wait_for

pytestmark = pytest.mark.cluster


@pytest.fixture
def rpk(cluster4, tmp_path):
    hosts = ",".join(f"127.0.0.1:{n.admin_port}" for n in cluster4.nodes)
    env = admin_env(hosts, tmp_path / "home")

    def run(*args: str, input: str | None = None):
        return run_in_process(list(args), env, input=input)

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
    head, row = table(status.stdout)
    assert head[:4] == ["NAMESPACE-TOPIC", "PARTITION", "MOVING-FROM", "MOVING-TO"]
    assert row[:2] == ["kafka/r", "0"]
    assert f"[{' '.join(map(str, target))}]" in status.stdout
    cancelled = rpk("cluster", "partitions", "move-cancel", "--no-confirm")
    assert cancelled.exit_code == 0, cancelled.stderr
    assert table(cancelled.stdout) == [
        ["NAMESPACE", "TOPIC", "PARTITION", "RESULT"],
        ["kafka", "r", "0", "success"],
    ]
    wait_for(
        lambda: "There are no ongoing" in rpk("cluster", "partitions", "move-status").stdout,
        "the cancelled move ended",
        30,
    )
    again = rpk("cluster", "partitions", "move-cancel", "--no-confirm")
    assert again.stdout.strip() == "There are no ongoing partition movements to cancel"


def test_brokers_decommission_and_recommission(cluster4, rpk):
    create_topic(cluster4, "d", 2, 3)
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
    started = rpk("redpanda", "admin", "brokers", "decommission", "3")
    assert started.exit_code == 0, started.stderr
    assert started.stdout.startswith("Success, broker 3 decommission started.")
    rows = table(rpk("redpanda", "admin", "brokers", "list").stdout)
    assert [r[5] for r in rows[1:]] == ["active", "active", "active", "draining"]
    status = rpk("redpanda", "admin", "brokers", "decommission-status", "3", "-d")
    assert status.stdout.startswith("DECOMMISSION PROGRESS"), status.stdout
    back = rpk("redpanda", "admin", "brokers", "recommission", "3")
    assert back.stdout.strip() == "Success, broker 3 has been recommissioned!"
    rows = table(rpk("redpanda", "admin", "brokers", "list").stdout)
    assert {r[5] for r in rows[1:]} == {"active"}
