"""The replicated log start over real RPC and DiskLogs (three in-process nodes,
tests/raft_groups/nodes.py): a proposal resolves once a majority applied it, the third
replica follows; a replica cut off while the start moved past its log end installs a
snapshot when the links heal (its log restarts empty at the leader's start, then matches
the leader byte for byte) and keeps that start when reopened."""

from __future__ import annotations

import asyncio

from core.common.clock import SystemClock
from core.raft.consensus import QUORUM_ACK
from core.raft.errors import RaftErrc, RaftError
from core.storage.log import DiskLog, LogConfig
from tests.raft_groups.nodes import batch, group_over_links, leader_of, until


async def write(leader, first: int, count: int) -> int:
    appended = [leader.replicate(batch(first + i), QUORUM_ACK) for i in range(count)]
    await asyncio.wait_for(asyncio.gather(*(a.done for a in appended)), 5)
    return appended[-1].last_offset + 1


async def test_a_replica_behind_the_start_installs_a_snapshot(tmp_path):
    async with group_over_links(tmp_path) as (nodes, links):
        leader = leader_of(nodes, 1)
        assert leader is not None
        await write(leader, 0, 5)
        behind = next(n for n in nodes if n.node_id != leader.node_id).replicas[1]
        await until(lambda: behind.commit_offset == 5, 5, "the follower has 0..4")
        links.isolate(behind.node_id)
        end = await write(leader, 5, 5)
        waiter = leader.propose_start(8)
        assert waiter is not None and leader.log.start_offset == 0  # not before a majority
        await asyncio.wait_for(waiter, 5)
        assert leader.log.start_offset == 8 and behind.log.next_offset == 5
        others = [n.replicas[1] for n in nodes if n.replicas[1] not in (leader, behind)]
        assert others[0].log.start_offset == 8  # the majority's other half

        links.heal()
        await until(lambda: behind.commit_offset == end, 10, "the snapshot and the rest")
        assert behind.log.start_offset == 8 and behind.log.next_offset == end
        assert behind.log.read_bytes(8, 1 << 20, end) == leader.log.read_bytes(8, 1 << 20, end)
        assert behind.term_at(7) == leader.term_at(7)
    reopened = DiskLog.open(nodes[behind.node_id].logs[1].directory, LogConfig(), SystemClock())
    try:
        assert (reopened.start_offset, reopened.next_offset) == (8, end)
    finally:
        reopened.close()


async def test_a_start_no_majority_holds_is_not_applied_and_fails_on_step_down(tmp_path):
    async with group_over_links(tmp_path) as (nodes, links):
        leader = leader_of(nodes, 1)
        assert leader is not None
        await write(leader, 0, 5)
        links.isolate(leader.node_id)
        waiter = leader.propose_start(3)
        assert waiter is not None
        await asyncio.sleep(0.2)
        assert leader.log.start_offset == 0 and leader.log.read_bytes(0, 1 << 20, 5)
        try:
            await asyncio.wait_for(waiter, 5)
            raise AssertionError("a start without a majority was applied")
        except RaftError as exc:
            assert exc.errc == RaftErrc.not_leader  # stepped down: the client retries
        assert leader.log.start_offset == 0
