"""A single-voter controller over a real DiskLog with every state owner: snapshots are written
every N commands and at close, a restart restores the latest and replays only the commands
after it (a crash image: the tail since the last periodic snapshot; a clean stop: none), and
the state is the state before; the log is prefix-truncated below the snapshots. Over a log
kept whole (truncate_log=False), a corrupt snapshot, one lacking an owner, or a command type
with no owner mean a full replay, with the same state; over a truncated log a corrupt snapshot
refuses the start."""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import dataclass

import pytest

from core.cluster.config_frontend import ClusterConfigFrontend
from core.cluster.controller import Controller
from core.cluster.controller_snapshot import SNAPSHOT_NAME, SnapshotFile
from core.cluster.id_allocator import ProducerIdAllocator
from core.common.clock import SystemClock
from core.config.cluster_properties import ClusterConfigStore
from core.raft.consensus import Consensus
from core.security.acls import AclBinding, AclFilter, AclStore
from core.security.scram import SCRAM_SHA_256, derive_credential
from core.security.users import USER_UPSERT, UserFrontend
from core.storage.group_commit import GroupCommit
from core.storage.log import DiskLog, LogConfig

EVERY = 50
CREDENTIAL = derive_credential(SCRAM_SHA_256, "secret").to_json()


@dataclass
class Owners:
    controller: Controller
    users: UserFrontend
    acls: AclStore
    config: ClusterConfigStore
    pids: ProducerIdAllocator

    def state(self) -> str:
        everything = AclFilter(1, None, 1, None, None, 1, 1)
        return json.dumps(
            {
                "topics": self.controller.topics.snapshot(),
                "members": self.controller.members.snapshot(),
                "users": self.users.snapshot(),
                "acls": [b.to_json() for b in self.acls.describe(everything)],
                "acl_version": self.acls.version,
                "config": self.config.values(include_defaults=False),
                "config_version": self.config.version,
                "pids": self.pids.reserved_end,
            },
            sort_keys=True,
        )


class Refused(RuntimeError):
    pass


def refuse(reason: str) -> None:
    raise Refused(reason)


class Node:
    def __init__(
        self,
        directory,
        *,
        extra_applier: bool = False,
        newcomer: bool = False,
        truncate_log: bool = True,
    ) -> None:
        self.directory = directory
        self.flusher = GroupCommit()
        self.log = DiskLog.open(directory, LogConfig(), SystemClock())
        controller = Controller(
            Consensus(0, 0, self.log, self.flusher),
            self.log,
            snapshot_every_commands=EVERY,
            truncate_log=truncate_log,
        )
        controller.on_fatal = refuse
        if extra_applier:  # an applier registered without snapshot hooks
            controller.register("legacy_command", lambda payload: None)
        if newcomer:  # an owner older snapshots do not know
            controller.register("newcomer_command", lambda payload: None)
            controller.register_state(
                "newcomer", commands=["newcomer_command"], snapshot=dict, restore=print
            )
        self.owners = Owners(
            controller,
            UserFrontend(controller),
            AclStore(controller),
            ClusterConfigStore(),
            ProducerIdAllocator(controller),
        )
        ClusterConfigFrontend(controller, self.owners.config)

    @property
    def controller(self) -> Controller:
        return self.owners.controller

    def start(self) -> Node:
        self.flusher.start()
        self.controller.start()
        return self

    async def stop(self) -> None:
        self.controller.close()
        await self.flusher.stop()
        self.log.close()


async def submit_commands(node: Node, count: int, start: int = 0) -> None:
    """`count` commands of every kind, a few at a time."""
    ctl = node.controller

    def command(i: int):
        kind = i % 6
        if kind == 0:
            return ctl.submit(
                "create_topic",
                {"name": f"t{i}", "topic_id": f"id{i}", "partitions": 1, "replication_factor": 1},
            )
        if kind == 1:
            return ctl.submit("delete_topic", {"name": f"t{i - 7}"})
        if kind == 2:
            binding = AclBinding.checked(2, f"t{i}", 3, f"User:u{i}", "*", 3, 3)
            return ctl.submit("acls_create", {"acls": [binding.to_json()]})
        if kind == 3:
            return ctl.submit(USER_UPSERT, {"username": f"u{i % 40}", "credential": CREDENTIAL})
        if kind == 4:
            return ctl.submit("cluster_config_delta", {"upsert": {"log_retention_ms": i}})
        return ctl.submit("allocate_producer_ids", {"count": 10, "node_id": 1})

    for first in range(start, start + count, 10):
        await asyncio.gather(*(command(i) for i in range(first, min(first + 10, start + count))))


async def until(cond, timeout_s: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not cond():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_restart_after_a_crash_replays_only_the_tail_after_the_periodic_snapshot(tmp_path):
    node = Node(tmp_path / "c").start()
    try:
        await node.controller.submit("bootstrap_cluster", {"cluster_uuid": "c-1", "founders": [0]})
        await submit_commands(node, 3 * EVERY + 17)
        await until(lambda: node.controller.snapshots.offset >= 2 * EVERY)
        node.controller.snapshots.every_commands = 10**9  # no periodic snapshot from here on
        await submit_commands(node, 7, start=500)
        await asyncio.sleep(0.25)  # last_applied persisted (batched every 100 ms)
        before, applied = node.owners.state(), node.controller.last_applied
        shutil.copytree(node.directory, tmp_path / "crash")  # a kill -9 image of the log dir
    finally:
        await node.stop()
    snapshot = SnapshotFile(tmp_path / "crash").read()
    assert snapshot is not None and 2 * EVERY <= snapshot.offset <= applied - 7

    again = Node(tmp_path / "crash").start()
    try:
        assert again.controller.snapshots.offset == snapshot.offset
        assert again.controller.replayed_at_start == applied - snapshot.offset
        assert again.controller.last_applied == applied
        assert again.owners.state() == before
        await submit_commands(again, 6, start=1000)  # and it goes on from there
        assert again.owners.pids.reserved_end == node.owners.pids.reserved_end + 10
    finally:
        await again.stop()


async def test_a_clean_stop_snapshots_so_a_restart_replays_nothing(tmp_path):
    node = Node(tmp_path / "c").start()
    try:
        await submit_commands(node, EVERY + 3)
        before, applied = node.owners.state(), node.controller.last_applied
    finally:
        await node.stop()
    again = Node(tmp_path / "c").start()
    try:
        assert again.controller.snapshots.offset == applied
        assert again.controller.replayed_at_start == 0
        assert again.owners.state() == before
    finally:
        await again.stop()


async def full_replay_state(tmp_path, **reopen) -> tuple[str, str, int, Node]:
    """A log kept whole (the leader never truncates): the fallback of a full replay."""
    node = Node(tmp_path / "c", truncate_log=False).start()
    try:
        await submit_commands(node, EVERY + 3)
        before, applied = node.owners.state(), node.controller.last_applied
    finally:
        await node.stop()
    return before, Node(tmp_path / "c", **reopen), applied  # type: ignore[return-value]


async def test_a_corrupt_snapshot_means_a_full_replay(tmp_path):
    before, again, applied = await full_replay_state(tmp_path)
    path = tmp_path / "c" / SNAPSHOT_NAME
    path.write_bytes(path.read_bytes()[:-5])
    again.start()
    try:
        assert again.controller.replayed_at_start == applied + 1
        assert again.owners.state() == before
        # a replay of more than EVERY commands is snapshotted at once, not at the next command
        await until(lambda: again.controller.snapshots.offset == applied)
        snapshot = SnapshotFile(tmp_path / "c").read()
        assert snapshot is not None and snapshot.offset == applied
    finally:
        await again.stop()


async def test_a_snapshot_lacking_an_owner_means_a_full_replay(tmp_path):
    before, again, applied = await full_replay_state(tmp_path, newcomer=True)
    again.start()
    try:
        assert again.controller.snapshots.offset == -1
        assert again.controller.replayed_at_start == applied + 1
        assert again.owners.state() == before
    finally:
        await again.stop()


async def test_a_corrupt_snapshot_over_a_truncated_log_refuses_to_start(tmp_path):
    node = Node(tmp_path / "c").start()
    try:
        await submit_commands(node, EVERY + 3)
        await until(lambda: node.log.start_offset == node.controller.snapshots.offset + 1 > 0)
    finally:
        await node.stop()
    path = tmp_path / "c" / SNAPSHOT_NAME
    path.write_bytes(torn := path.read_bytes()[:-5])
    again = Node(tmp_path / "c")
    try:
        with pytest.raises(Refused, match=f"{path}.*no usable snapshot"):
            again.start()
        assert again.controller.last_applied == again.log.start_offset - 1  # nothing applied
    finally:
        await again.stop()
    assert path.read_bytes() == torn  # no empty state written over it at close


async def test_a_command_type_without_an_owner_turns_snapshots_off(tmp_path):
    node = Node(tmp_path / "c", truncate_log=False).start()
    try:
        await submit_commands(node, EVERY + 3)
        before = node.owners.state()
    finally:
        await node.stop()
    again = Node(tmp_path / "c", extra_applier=True).start()
    try:
        assert again.controller.snapshots.offset == -1  # the snapshot on disk is not used
        assert again.controller.replayed_at_start == again.controller.last_applied + 1
        assert again.owners.state() == before
        await again.controller.submit("legacy_command", {})
        path = tmp_path / "c" / SNAPSHOT_NAME
        written = path.stat().st_mtime_ns
    finally:
        await again.stop()
    assert path.stat().st_mtime_ns == written  # nothing written at close either


async def test_a_snapshot_received_by_a_controller_that_applied_commands_stops_it(tmp_path):
    """Never under the truncation rule: a controller whose state lacks commands below the new
    start keeps its state in memory, writes the payload as its snapshot file and stops; its
    restart over that file has the leader's state."""
    leader = Node(tmp_path / "leader").start()
    try:
        await submit_commands(leader, 3 * EVERY)
        payload = leader.controller.capture_snapshot()
        wanted = leader.owners.state()
    finally:
        await leader.stop()
    node = Node(tmp_path / "c", truncate_log=False).start()
    try:
        await submit_commands(node, 6)
        before, applied = node.owners.state(), node.controller.last_applied
        start = payload.offset + 1
        with pytest.raises(Refused, match="restart to restore it"):
            node.controller._install_snapshot(start, payload.encode())
        assert node.owners.state() == before and node.controller.last_applied == applied
        received = SnapshotFile(tmp_path / "c").read()
        assert received is not None and received.offset == payload.offset
        node.log.prefix_truncate(start)  # what the Raft layer does after the install
    finally:
        node.controller.snapshots.on = False  # stopped: nothing more is written
        await node.stop()
    again = Node(tmp_path / "c").start()
    try:
        assert again.controller.snapshots.offset == payload.offset
        assert again.controller.last_applied == payload.offset
        assert again.owners.state() == wanted
    finally:
        await again.stop()
