"""The controller log is prefix-truncated below its snapshots, in real processes
(core.cluster.controller_truncation): a three-node cluster takes
2,300 controller commands (SCRAM users: one command each, the default snapshot interval of
1,000 commands), the leader moves the controller log start; a node joining afterwards receives
the leader's snapshot and ends with every topic and user, also after its own restart; a full
cluster restart over the truncated logs keeps every topic and user, and every node's
controller log (opened from a copy of its directory) starts above 0. A member stopped
(SIGSTOP) holds the log start at what it holds while the others take 1,100 more commands,
and once resumed it catches up by entries, not by a snapshot."""

from __future__ import annotations

import re
import shutil
from concurrent.futures import Future
from pathlib import Path

import pytest
from confluent_kafka.admin import (
    AdminClient,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialUpsertion,
)

from core.cluster.controller_snapshot import SNAPSHOT_NAME, SnapshotFile
from core.common.clock import SystemClock
from core.storage.log import DiskLog, LogConfig
from core.testing.metadata import fetch_metadata
from tests.support.cluster import (
    CLUSTER_PROPERTIES,
    BrokerCluster,
    create_topic,
    running_cluster,
)
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(420)]

USERS = 2_300
TOPICS = ("trunc-a", "trunc-b", "trunc-c")
CONTROLLER_DIR = ("redpanda", "controller", "0_0")


def upsert_users(cluster: BrokerCluster, count: int, first: int = 0, port: int = 0) -> None:
    servers = f"127.0.0.1:{port}" if port else cluster.bootstrap
    admin = AdminClient({"bootstrap.servers": servers})
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096)
    for base in range(first, first + count, 100):
        changes: list[UserScramCredentialAlteration] = [
            UserScramCredentialUpsertion(f"user-{i}", info, b"pw", b"salt-0123456789")
            for i in range(base, min(base + 100, first + count))
        ]
        for user, fut in admin.alter_user_scram_credentials(changes).items():
            assert fut.result(60) is None, user


def users_on(port: int) -> int:
    admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{port}"})
    pending = admin.describe_user_scram_credentials()
    assert isinstance(pending, Future)  # every user: one future
    described = pending.result(30)
    return sum(1 for name in described if name.startswith("user-"))


def topics_on(port: int) -> set[str]:
    meta = fetch_metadata(port, list(TOPICS))
    return {t for t, _ in meta.partitions if t in TOPICS}


def log_text(cluster: BrokerCluster, i: int, since: int = 0) -> str:
    return Path(cluster.nodes[i].log_path).read_bytes()[since:].decode(errors="replace")


def controller_start(data_dir: Path, scratch: Path) -> tuple[int, int, int]:
    """(log start, log end, snapshot offset) of a stopped node's controller, read from a copy."""
    shutil.copytree(data_dir.joinpath(*CONTROLLER_DIR), scratch)
    log = DiskLog.open(scratch, LogConfig(), SystemClock())
    try:
        snapshot = SnapshotFile(scratch).read()
        return log.start_offset, log.next_offset, snapshot.offset if snapshot else -1
    finally:
        log.close()


def agree(cluster: BrokerCluster, nodes: range) -> None:
    for i in nodes:
        port: int = cluster.nodes[i].kafka_port

        def topics(port: int = port) -> bool:
            return topics_on(port) == set(TOPICS)

        def users(port: int = port) -> bool:
            return users_on(port) == USERS

        wait_for(topics, f"topics on node {i}", 30)
        wait_for(users, f"{USERS} users on node {i}", 30)


def test_truncation_a_joiner_by_snapshot_and_restarts(tmp_path):
    with running_cluster(tmp_path / "cluster", 3, properties=CLUSTER_PROPERTIES) as cluster:
        for topic in TOPICS:
            create_topic(cluster, topic, 1, 3)
        upsert_users(cluster, USERS)
        wait_for(
            lambda: any(
                "controller log start: proposing" in log_text(cluster, i) for i in range(3)
            ),
            "the controller leader truncating its log",
            30,
        )
        joiner = cluster.add_node()  # node 3, after the truncation
        assert joiner.node_id == 3
        agree(cluster, range(4))
        assert "controller installed the leader's snapshot" in log_text(cluster, 3)

        mark = len(Path(joiner.log_path).read_bytes())
        cluster.restart(3)  # its own restart, over its truncated log
        agree(cluster, range(3, 4))
        assert "controller restored its snapshot" in log_text(cluster, 3, mark)

        cluster.stop_nodes()  # SIGTERM every node
        figures = {}
        for node in cluster.nodes:
            start, end, snapshot = controller_start(node.data_dir, tmp_path / f"c{node.node_id}")
            figures[node.node_id] = (start, end, snapshot)
            assert 1000 <= start <= snapshot + 1, figures
            assert (node.data_dir.joinpath(*CONTROLLER_DIR) / SNAPSHOT_NAME).exists()
        print(f"\ncontroller (log start, log end, snapshot offset) per node: {figures}")

        marks = [len(Path(n.log_path).read_bytes()) for n in cluster.nodes]
        cluster.start()  # a full restart over truncated logs
        agree(cluster, range(4))
        restored = [
            "controller restored its snapshot" in log_text(cluster, i, marks[i]) for i in range(4)
        ]
        assert all(restored), restored


PROPOSED = re.compile(rb"controller log start: proposing (\d+)")


def proposals(cluster: BrokerCluster, marks: list[int]) -> list[int]:
    """The log starts the controller leaders proposed since `marks` (log sizes)."""
    found = []
    for node, mark in zip(cluster.nodes, marks, strict=True):
        found += [int(m) for m in PROPOSED.findall(Path(node.log_path).read_bytes()[mark:])]
    return found


def sizes(cluster: BrokerCluster) -> list[int]:
    return [len(Path(n.log_path).read_bytes()) for n in cluster.nodes]


def test_a_stopped_member_holds_the_start_and_catches_up_by_entries(tmp_path):
    with running_cluster(tmp_path / "cluster", 3, properties=CLUSTER_PROPERTIES) as cluster:
        create_topic(cluster, TOPICS[0], 1, 3)
        upsert_users(cluster, 1_100)
        wait_for(lambda: proposals(cluster, [0, 0, 0]), "a first truncation", 30)
        before = max(proposals(cluster, [0, 0, 0]))
        leader = next(
            i for i in range(3) if PROPOSED.search(Path(cluster.nodes[i].log_path).read_bytes())
        )
        down = (leader + 1) % 3
        up = (leader + 2) % 3
        marks = sizes(cluster)
        cluster.pause(down)  # SIGSTOP: it holds the controller log up to about offset 1,110
        upsert_users(cluster, 1_100, first=1_100, port=cluster.nodes[up].kafka_port)
        paused = proposals(cluster, marks)
        assert all(goal < 1_300 for goal in paused), (before, paused)  # not the 2,000s
        marks = sizes(cluster)
        cluster.resume(down)
        upsert_users(cluster, 1_000, first=2_200, port=cluster.nodes[up].kafka_port)
        wait_for(
            lambda: any(goal > 2_200 for goal in proposals(cluster, marks)),
            "the start moving on once the member is back",
            30,
        )
        port = cluster.nodes[down].kafka_port
        wait_for(lambda: users_on(port) == 3_200, "every user on the resumed member", 30)
        assert "installed the leader's snapshot" not in log_text(cluster, down)
        print(
            f"\nproposed starts: before the stop {before}, while stopped {paused}, after "
            f"{proposals(cluster, marks)}"
        )
