"""Membership changes by joint consensus (core.raft.config) over real broker RPC: in-process
nodes, each a real RpcServer, RaftGroups, GroupCommit and a Consensus per group over a real
DiskLog (tests/raft_groups/nodes.py).

* {0,1,2} -> {1,2,3} under a stream of acks=all writes: node 3 opens its replica late (as
  the reconciler would: with the group's current voters, which leave it out), learns the
  group from the leader's appends, catches up as a learner, votes in the joint
  configuration; the leader (0) is removed from its own group and hands over; every
  acknowledged write is on the new voters, byte-identical, and a restarted replica reloads
  its configuration from disk.
* A leader removed from its own group steps down once C(new) commits and never campaigns.
* cancel_change while the learners cannot catch up returns to the old voters.
"""

from __future__ import annotations

import asyncio
import random

from core.common.clock import SystemClock
from core.model.records import Record, build_batch
from core.raft.consensus import QUORUM_ACK, Consensus
from core.raft.errors import RaftErrc, RaftError
from core.storage.log import DiskLog, LogConfig
from tests.raft_groups.nodes import FAST, Node, leader_of, log_bytes, start_nodes, until

GROUP = 7


def _batch(tag: int) -> bytearray:
    return build_batch([Record(key=b"w%06d" % tag, value=bytes([tag % 256]) * 200)])


async def _stop(nodes: list[Node]) -> None:
    for node in nodes:
        await node.stop()


class Writer:
    """acks=all writes, one after another, to whichever replica leads; retried elsewhere
    on not_leader / term_changed. Records every acknowledged (base, last, tag)."""

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes
        self.acked: list[tuple[int, int, int]] = []
        self.errors = 0
        self._stop = False
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        tag = 0
        while not self._stop:
            leader = leader_of(self.nodes, GROUP)
            if leader is None or leader.core is None or not leader.core.can_propose:
                await asyncio.sleep(0.01)
                continue
            tag += 1
            try:
                appended = leader.replicate(_batch(tag), QUORUM_ACK)
                if appended.done is not None:
                    await asyncio.wait_for(appended.done, 5)
            except (RaftError, TimeoutError):
                self.errors += 1
                await asyncio.sleep(0.01)
                continue
            self.acked.append((appended.base_offset, appended.last_offset, tag))

    async def stop(self) -> None:
        self._stop = True
        await asyncio.wait_for(self.task, 10)


async def _change(nodes: list[Node], voters: list[int], timeout_s: float = 30) -> None:
    """change_voters on whichever replica leads, again on the next one after not_leader."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        leader = leader_of(nodes, GROUP)
        if leader is not None:
            try:
                await leader.change_voters(voters, timeout_ms=10_000)
                return
            except RaftError as exc:
                if exc.errc not in (RaftErrc.not_leader, RaftErrc.timeout):
                    raise
        assert asyncio.get_running_loop().time() < deadline, "the change did not finish"
        await asyncio.sleep(0.05)


def _check_acked(consensus: Consensus, acked: list[tuple[int, int, int]]) -> None:
    for base, last, tag in acked:
        data = consensus.log.read_bytes(base, 1 << 20, last + 1)
        assert b"w%06d" % tag in bytes(data), (consensus.node_id, base, tag)


def _reopen(node: Node, voters: tuple[int, ...]) -> Consensus:
    """Close this node's replica and open it again from its files (a restart)."""
    node.groups.unregister(GROUP)
    node.replicas.pop(GROUP).close()
    node.logs.pop(GROUP).close()
    log = DiskLog.open(node.directory / f"g{GROUP}", LogConfig(), SystemClock())
    consensus = Consensus(
        GROUP,
        node.node_id,
        log,
        node.flusher,
        voters=voters,
        transport=node.groups.transport(GROUP),
        rng=random.Random(node.node_id),
        config=FAST,
    )
    node.groups.register(consensus)
    consensus.start()
    node.replicas[GROUP] = consensus
    node.logs[GROUP] = log
    return consensus


async def test_move_0_1_2_to_1_2_3_under_acks_all_writes_loses_nothing(tmp_path):
    nodes = await start_nodes(tmp_path, 4)
    try:
        for node in nodes[:3]:
            node.add_group(GROUP, (0, 1, 2), FAST)
        await until(lambda: leader_of(nodes, GROUP) is not None, 5, "a leader")
        first = leader_of(nodes, GROUP)
        assert first is not None and first.node_id == 0
        writer = Writer(nodes)
        await until(lambda: len(writer.acked) >= 50, 10, "writes before the move")
        change = asyncio.get_running_loop().create_task(_change(nodes, [1, 2, 3]))
        await asyncio.sleep(0.3)  # the leader probes node 3, which has no replica yet
        assert first.config_state == "learners" and first.learners == [3]
        nodes[3].add_group(GROUP, (0, 1, 2), FAST)  # the reconciler's voters: the old ones
        await asyncio.wait_for(change, 30)
        count = len(writer.acked)
        await until(lambda: len(writer.acked) >= count + 50, 10, "writes after the move")
        await writer.stop()
        leader = leader_of(nodes, GROUP)
        assert leader is not None and leader.node_id in (1, 2, 3)
        assert not first.is_leader  # removed from its own group: stepped down
        new = [nodes[i].replicas[GROUP] for i in (1, 2, 3)]
        end = leader.commit_offset
        await until(lambda: all(c.commit_offset >= end for c in new), 5, "followers commit")
        for c in new:
            assert c.voters == [1, 2, 3] and c.config_state == "stable", (c.node_id, c.voters)
            _check_acked(c, writer.acked)
        assert len({log_bytes(c, end) for c in new}) == 1  # byte-identical
        # a restart reloads the configuration from disk (its bootstrap voters say otherwise)
        again = _reopen(nodes[3], (0, 1, 2))
        assert again.voters == [1, 2, 3] and again.config_state == "stable"
        await until(lambda: again.commit_offset >= end, 10, "the restarted replica")
    finally:
        await _stop(nodes)


async def test_a_leader_removed_from_its_own_group_hands_over_and_stays_quiet(tmp_path):
    nodes = await start_nodes(tmp_path, 3)
    try:
        for node in nodes:
            node.add_group(GROUP, (0, 1, 2), FAST)
        await until(lambda: leader_of(nodes, GROUP) is not None, 5, "a leader")
        old = leader_of(nodes, GROUP)
        assert old is not None
        rest = [n for n in (0, 1, 2) if n != old.node_id]
        appended = old.replicate(_batch(1), QUORUM_ACK)
        assert appended.done is not None
        await asyncio.wait_for(appended.done, 5)
        await asyncio.wait_for(old.change_voters(rest, timeout_ms=10_000), 15)
        assert not old.is_leader and old.voters == rest
        await until(lambda: leader_of(nodes, GROUP) is not None, 3, "a new leader")
        new = leader_of(nodes, GROUP)
        assert new is not None and new.node_id in rest
        term = new.term
        more = new.replicate(_batch(2), QUORUM_ACK)
        assert more.done is not None
        await asyncio.wait_for(more.done, 5)
        await asyncio.sleep(2.5)  # five election timeouts: the removed node never campaigns
        assert new.is_leader and new.term == term and old.term <= term
        _check_acked(new, [(appended.base_offset, appended.last_offset, 1)])
    finally:
        await _stop(nodes)


async def test_cancel_while_learners_catch_up_returns_to_the_old_voters(tmp_path):
    nodes = await start_nodes(tmp_path, 4)
    try:
        for node in nodes[:3]:
            node.add_group(GROUP, (0, 1, 2), FAST)
        await until(lambda: leader_of(nodes, GROUP) is not None, 5, "a leader")
        leader = leader_of(nodes, GROUP)
        assert leader is not None
        change = asyncio.get_running_loop().create_task(
            leader.change_voters([0, 1, 3], timeout_ms=10_000)
        )
        await asyncio.sleep(0.3)  # node 3 hosts nothing: it stays a learner
        assert leader.config_state == "learners"
        assert leader.cancel_change()
        try:
            await asyncio.wait_for(change, 5)
            raise AssertionError("a cancelled change succeeded")
        except RaftError as exc:
            assert exc.errc == RaftErrc.config_cancelled
        await until(lambda: leader.config_state == "stable", 5, "back to stable")
        assert leader.voters == [0, 1, 2] and leader.learners == []
        appended = leader.replicate(_batch(1), QUORUM_ACK)
        assert appended.done is not None
        await asyncio.wait_for(appended.done, 5)
    finally:
        await _stop(nodes)


async def test_a_single_voter_group_grows_to_three_and_shrinks_back(tmp_path):
    """RF 1 -> 3 -> 1: the lone voter (no ticks of its own group until then) replicates to
    two learners, goes joint, then C(new); the shrink removes the others again."""
    nodes = await start_nodes(tmp_path, 3)
    try:
        lone = nodes[0].add_group(GROUP, (0,), FAST)
        assert lone.is_leader and not lone.multi_voter
        for i in range(20):
            appended = lone.replicate(_batch(i), QUORUM_ACK)
            assert appended.done is not None
            await asyncio.wait_for(appended.done, 5)
        for node in nodes[1:]:
            node.add_group(GROUP, (0,), FAST)
        await asyncio.wait_for(lone.change_voters([0, 1, 2], timeout_ms=10_000), 15)
        assert lone.is_leader and lone.voters == [0, 1, 2] and lone.multi_voter
        end = lone.commit_offset
        replicas = [n.replicas[GROUP] for n in nodes]
        await until(lambda: all(c.commit_offset >= end for c in replicas), 5, "followers")
        assert len({log_bytes(c, end) for c in replicas}) == 1
        appended = lone.replicate(_batch(99), QUORUM_ACK)  # now needs a follower's flush
        assert appended.done is not None
        await asyncio.wait_for(appended.done, 5)
        await asyncio.sleep(1.5)  # heartbeats keep the followers (no election)
        assert lone.is_leader and all(c.leader_id == 0 for c in replicas)
        await asyncio.wait_for(lone.change_voters([0], timeout_ms=10_000), 15)
        assert lone.is_leader and lone.voters == [0]
        appended = lone.replicate(_batch(100), QUORUM_ACK)
        assert appended.done is not None
        await asyncio.wait_for(appended.done, 5)
    finally:
        await _stop(nodes)
