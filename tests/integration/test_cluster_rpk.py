"""rpk against a three-process cluster, before and after a broker is killed: `cluster info`
lists the live brokers with the controller starred, `topic describe -p` shows each partition's
leader and replicas, `cluster health` names the node down and the under-replicated partitions,
and produce/consume keep working through the survivors (Metadata lists only live brokers:
a client told of a dead one spent its whole timeout dialing it)."""

from __future__ import annotations

import re
import time

import pytest

from tests.support.cluster import running_cluster
from tests.support.rpk import Result, run_subprocess

RECORDS = 200
pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(
        tmp_path_factory.mktemp("rpk-cluster"), 3, properties={"group_initial_rebalance_delay": 300}
    ) as running:
        yield running


def rpk(cluster, home, *args: str, nodes=(0, 1, 2), input: str | None = None) -> Result:
    brokers = ",".join(f"127.0.0.1:{cluster.nodes[i].kafka_port}" for i in nodes)
    admin = ",".join(f"127.0.0.1:{cluster.nodes[i].admin_port}" for i in nodes)
    flags = ["-X", f"brokers={brokers}", "-X", f"admin.hosts={admin}"]
    return run_subprocess([*flags, *args], home, input=input)


def until_ok(fn, timeout_s: float = 15.0) -> Result:
    deadline = time.monotonic() + timeout_s
    while True:
        result = fn()
        if result.exit_code == 0 or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def test_rpk_sees_the_cluster_and_keeps_working_with_a_broker_down(cluster, tmp_path):
    out = rpk(cluster, tmp_path, "cluster", "info")
    assert out.exit_code == 0, out.stderr
    brokers = re.findall(r"^(\d)(\*?)\s+127\.0\.0\.1\s+\d+$", out.stdout, re.M)
    assert sorted(int(i) for i, _ in brokers) == [0, 1, 2]
    assert sum(1 for _, star in brokers if star) == 1  # the controller leader

    created = rpk(cluster, tmp_path, "topic", "create", "orders", "-p", "3", "-r", "3")
    assert created.exit_code == 0, created.stderr
    values = "".join(f"{i}\n" for i in range(RECORDS))
    produced = until_ok(lambda: rpk(cluster, tmp_path, "topic", "produce", "orders", input=values))
    assert produced.exit_code == 0, produced.stderr

    described = rpk(cluster, tmp_path, "topic", "describe", "orders", "-p")
    rows = re.findall(r"^(\d)\s+(\d)\s+\d+\s+\[(\d \d \d)\]", described.stdout, re.M)
    assert len(rows) == 3, described.stdout
    assert all(sorted(r[2].split()) == ["0", "1", "2"] for r in rows)

    victim = int(rows[0][1])  # the leader of partition 0
    cluster.kill(victim)
    survivors = tuple(i for i in range(3) if i != victim)

    def health() -> Result:
        result = rpk(cluster, tmp_path, "cluster", "health", nodes=survivors)
        down = re.search(r"Nodes down:\s+\[(\d*)\]", result.stdout)
        ok = down is not None and down.group(1) == str(victim)
        return result if ok else Result(1, result.stdout, result.stderr)

    seen = until_ok(health)
    assert seen.exit_code == 0, seen.stdout + seen.stderr
    assert "under_replicated_partitions" in seen.stdout

    more = "".join(f"{i}\n" for i in range(RECORDS, 2 * RECORDS))
    produced = until_ok(
        lambda: rpk(cluster, tmp_path, "topic", "produce", "orders", input=more, nodes=survivors)
    )
    assert produced.exit_code == 0, produced.stderr
    consumed = rpk(
        cluster,
        tmp_path,
        "topic",
        "consume",
        "orders",
        "-n",
        str(2 * RECORDS),
        "-f",
        "%v\n",
        nodes=survivors,
    )
    assert consumed.exit_code == 0, consumed.stderr
    assert sorted(int(v) for v in consumed.stdout.split()) == list(range(2 * RECORDS))
    grouped = rpk(
        cluster, tmp_path, "topic", "consume", "orders", "-g", "g", "-n", "10", nodes=survivors
    )
    assert grouped.exit_code == 0, grouped.stderr
    info = rpk(cluster, tmp_path, "cluster", "info", nodes=survivors)
    listed = re.findall(r"^(\d)\*?\s+127\.0\.0\.1", info.stdout, re.M)
    assert sorted(int(i) for i in listed) == list(survivors)
    # internal_topic_replication_factor (3) sizes __consumer_offsets, not the topic default (1)
    assert re.search(r"^__consumer_offsets\s+\d+\s+3$", info.stdout, re.M), info.stdout
