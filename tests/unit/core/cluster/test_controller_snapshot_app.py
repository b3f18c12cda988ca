"""A whole single-node BrokerApp (in this process) with 2,000 controller commands of every
kind restarts from its controller snapshot: after a clean stop it replays no command, from a
kill -9 image of its data directory it replays only the commands after the last periodic
snapshot (every 1,000 commands), and in both cases the controller state after the restart
is the state before (topics, members, users, ACLs, cluster config set through the log,
producer-id blocks)."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil

from core.app import BrokerApp
from core.cluster.controller_snapshot import SNAPSHOT_EVERY_COMMANDS, SnapshotFile
from core.security.acls import AclBinding, AclFilter
from core.security.scram import SCRAM_SHA_256, derive_credential
from core.security.users import USER_UPSERT
from tests.support.admin import running_app

COMMANDS = 2_000
IN_FLIGHT = 50
CONTROLLER_DIR = ("redpanda", "controller", "0_0")
CREDENTIAL = derive_credential(SCRAM_SHA_256, "secret").to_json()


def state(app: BrokerApp) -> str:
    """The controller's state; members without their Kafka/RPC ports (a restart binds new
    ephemeral ones and registers them with a command of its own)."""
    everything = AclFilter(1, None, 1, None, None, 1, 1)
    members = app.controller.members.snapshot()
    for m in members["members"]:
        m.pop("kafka_port"), m.pop("rpc_port"), m.pop("kafka_listeners")
    return json.dumps(
        {
            "topics": app.controller.topics.snapshot(),
            "members": members,
            "users": app.users.snapshot(),
            "acls": [b.to_json() for b in app.acls.describe(everything)],
            "acl_version": app.acls.version,
            "config": app.config_frontend.snapshot(),
            "pids": app.producer_ids.reserved_end,
        },
        sort_keys=True,
    )


def command(app: BrokerApp, i: int):
    ctl, kind = app.controller, i % 10
    if kind == 0 and i % 100 == 0:  # 20 topics (each opens a partition)
        return app.topics.create_topic(f"topic-{i}", 1, 1)
    if kind in (0, 1, 2, 3):
        binding = AclBinding.checked(2, f"t{i}", 3, f"User:u{i % 50}", "*", 3, 3)
        return ctl.submit("acls_create", {"acls": [binding.to_json()]})
    if kind == 4:
        binding = AclBinding.checked(2, f"t{i - 4}", 3, f"User:u{(i - 4) % 50}", "*", 3, 3)
        return ctl.submit("acls_delete", {"acls": [binding.to_json()]})
    if kind in (5, 6):
        return ctl.submit(USER_UPSERT, {"username": f"user-{i % 70}", "credential": CREDENTIAL})
    if kind == 7:
        upsert = {"log_retention_ms": 1000 + i, "kafka_batch_max_bytes": 1_000_000 + i}
        return app.config_frontend.patch(upsert, [])
    return ctl.submit("allocate_producer_ids", {"count": 10, "node_id": 7})


async def submit(app: BrokerApp, start: int, count: int) -> None:
    for first in range(start, start + count, IN_FLIGHT):
        last = min(first + IN_FLIGHT, start + count)
        await asyncio.gather(*(command(app, i) for i in range(first, last)))


async def periodic_snapshot(app: BrokerApp, timeout_s: float = 5.0) -> None:
    """Until a periodic snapshot (written on a worker thread) is on disk."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while app.controller.snapshots.offset < SNAPSHOT_EVERY_COMMANDS - 1:
        assert loop.time() < deadline, "no periodic snapshot"
        await asyncio.sleep(0.01)


def restored_line(caplog) -> str:
    lines = [r.getMessage() for r in caplog.records if "controller restored" in r.getMessage()]
    assert len(lines) == 1, lines
    return lines[0]


async def test_2000_commands_restart_from_the_snapshot_with_the_same_state(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="ailurus.controller")
    data = tmp_path / "data"
    async with running_app(data) as app:
        first_applied = app.controller.last_applied  # bootstrap, register_node, internal topics
        await submit(app, 0, COMMANDS)
        assert app.controller.last_applied == first_applied + COMMANDS
        await periodic_snapshot(app)
        before, applied = state(app), app.controller.last_applied
    assert SnapshotFile(data.joinpath(*CONTROLLER_DIR)).read().offset == applied  # at stop

    caplog.clear()
    async with running_app(data) as again:
        assert again.controller.replayed_at_start == 0
        assert f"snapshot at offset {applied}, then replayed 0 commands" in restored_line(caplog)
        assert state(again) == before
        await submit(again, COMMANDS, 20)  # and it goes on
        assert state(again) != before


async def test_a_crash_image_replays_only_the_commands_after_the_last_periodic_snapshot(
    tmp_path, caplog
):
    caplog.set_level(logging.INFO, logger="ailurus.controller")
    async with running_app(tmp_path / "data") as app:
        await submit(app, 0, COMMANDS)
        ctl = app.controller
        await periodic_snapshot(app)
        ctl.snapshots.every_commands = 10**9  # no periodic snapshot from here on
        await submit(app, COMMANDS, 120)
        await asyncio.sleep(0.3)  # last_applied persisted (batched every 100 ms)
        before, applied = state(app), ctl.last_applied
        shutil.copytree(tmp_path / "data", tmp_path / "crash")  # as kill -9 leaves it
    snapshot = SnapshotFile((tmp_path / "crash").joinpath(*CONTROLLER_DIR)).read()
    assert snapshot is not None and applied - snapshot.offset >= 120

    caplog.clear()
    async with running_app(tmp_path / "crash") as again:
        tail = applied - snapshot.offset
        assert again.controller.replayed_at_start == tail < SNAPSHOT_EVERY_COMMANDS + 120
        assert f"offset {snapshot.offset}, then replayed {tail} commands" in restored_line(caplog)
        assert state(again) == before
