"""Raft snapshots with a state payload over real RPC and DiskLogs (three in-process nodes,
tests/raft_groups/nodes.py): the start is inside a batch (DeleteRecords takes any offset), so
the snapshot puts the follower's log at that batch's base, the leader sends the batch next and
the follower then moves its start to the leader's; the state machine's payload arrives with
the snapshot and is installed before the follower's log start moves."""

from __future__ import annotations

import asyncio

from core.model.records import Record, build_batch
from core.raft.consensus import QUORUM_ACK
from tests.raft_groups.nodes import group_over_links, leader_of, until

RECORDS_PER_BATCH = 3


async def write(leader, count: int) -> int:
    appended = [
        leader.replicate(
            build_batch([Record(key=None, value=b"v%d" % i)] * RECORDS_PER_BATCH), QUORUM_ACK
        )
        for i in range(count)
    ]
    await asyncio.wait_for(asyncio.gather(*(a.done for a in appended)), 5)
    return appended[-1].last_offset + 1


async def test_a_start_inside_a_batch_and_the_payload(tmp_path):
    async with group_over_links(tmp_path) as (nodes, links):
        leader = leader_of(nodes, 1)
        assert leader is not None
        installed: list[tuple[int, bytes, int]] = []
        for node in nodes:
            replica = node.replicas[1]

            def install(offset: int, payload: bytes, replica=replica) -> None:
                installed.append((offset, payload, replica.log.start_offset))

            replica.set_snapshot_state(lambda start: b"state@%d" % start, install)
        await write(leader, 2)  # offsets 0..5
        behind = next(n for n in nodes if n.node_id != leader.node_id).replicas[1]
        await until(lambda: behind.commit_offset == 6, 5, "the follower has 0..5")
        links.isolate(behind.node_id)
        end = await write(leader, 4)  # 6..17
        await asyncio.wait_for(leader.propose_start(10), 5)  # inside the batch 9..11
        assert leader.log.start_offset == 10

        links.heal()
        await until(lambda: behind.commit_offset == end, 10, "the snapshot and the rest")
        await until(lambda: behind.log.start_offset == 10, 5, "the leader's start")
        # the payload (taken at the batch's base, 9) came first, the start moved after it
        assert installed and installed[0] == (9, b"state@9", 0)
        assert behind.log.read_bytes(10, 1 << 20, end) == leader.log.read_bytes(10, 1 << 20, end)
