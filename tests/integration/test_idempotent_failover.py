"""Idempotent producers across a leader change: three Partitions (real DiskLogs, Consensus
with three voters, storage's group commit) wired by an in-process transport that can cut
links. A retry sent to the new leader of a batch the old one committed is answered as a
duplicate with the original offsets; a batch the old leader appended alone is cut from its
log when it rejoins, and so is its sequence."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import pytest

from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.partition import Partition
from core.common.clock import SystemClock
from core.model.records import Record, build_batch
from core.raft.consensus import LEADER_ACK, QUORUM_ACK, Consensus
from core.raft.state import RaftConfig
from core.raft.types import AppendRequest, Message
from core.storage.group_commit import GroupCommit
from core.storage.log import DiskLog, LogConfig

WAIT_S = 10
VOTERS = (0, 1, 2)


def idem(pid: int, seq: int, n: int = 1) -> bytearray:
    records = [Record(key=b"k", value=b"%d-%d" % (pid, seq + i)) for i in range(n)]
    return build_batch(records, producer_id=pid, producer_epoch=0, base_sequence=seq)


class Replicas:
    """Three replicas of one partition; `cut(a, b)` drops every message between a and b."""

    def __init__(self, tmp_path, flusher: GroupCommit) -> None:
        self.loop = asyncio.get_running_loop()
        self.cuts: set[frozenset[int]] = set()
        self.drop: Callable[[Message], bool] = lambda msg: False
        self.nodes: dict[int, Partition] = {}
        config = RaftConfig(election_timeout_ms=150, heartbeat_interval_ms=30)
        clock = SystemClock()
        for i in VOTERS:
            disk_log = DiskLog.open(tmp_path / f"n{i}", LogConfig(), clock)
            consensus = Consensus(
                7, i, disk_log, flusher, voters=VOTERS, transport=self._send,
                rng=random.Random(i), config=config, clock=clock,
            )  # fmt: skip
            self.nodes[i] = Partition("t", 0, "id", 1, consensus, disk_log, clock)
        for p in self.nodes.values():
            p.start()

    def _send(self, msg) -> None:
        if frozenset((msg.src, msg.dst)) not in self.cuts and not self.drop(msg):
            self.loop.call_soon(self.nodes[msg.dst].consensus.receive, msg)

    def isolate(self, node: int) -> None:
        self.cuts |= {frozenset((node, other)) for other in VOTERS if other != node}

    def heal(self) -> None:
        self.cuts.clear()

    async def leader(self, *, other_than: int | None = None) -> Partition:
        def serving() -> Partition | None:
            for i, p in self.nodes.items():
                if i != other_than and p.consensus.serving:
                    return p
            return None

        await until(lambda: serving() is not None)
        found = serving()
        assert found is not None
        return found

    def close(self) -> None:
        for p in self.nodes.values():
            p.close()


async def until(cond) -> None:
    for _ in range(WAIT_S * 50):
        if cond():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


@pytest.fixture
async def replicas(tmp_path):
    flusher = GroupCommit()
    flusher.start()
    r = Replicas(tmp_path, flusher)
    yield r
    for p in r.nodes.values():
        p.consensus.close()
    # GroupCommit.stop cancels a round awaiting its fdatasync, whose ticket then stays
    # outstanding and DiskLog.close asserts: let every log finish flushing first
    await until(lambda: all(p.log.flushed_offset == p.log.next_offset for p in r.nodes.values()))
    await flusher.stop()
    r.close()


async def produce_all(p: Partition, batch: bytearray):
    result = p.produce(batch, QUORUM_ACK)
    if result.acked is not None:
        await asyncio.wait_for(result.acked, WAIT_S)
    return result


async def test_retry_to_the_new_leader_is_a_duplicate_with_the_original_offsets(replicas):
    old = await replicas.leader()
    first = await produce_all(old, idem(1, 0, 3))
    second = await produce_all(old, idem(1, 3, 2))
    end = second.last_offset + 1
    await until(lambda: all(p.consensus.commit_offset >= end for p in replicas.nodes.values()))
    replicas.isolate(old.consensus.node_id)  # the leader is gone; its answers were lost
    new = await replicas.leader(other_than=old.consensus.node_id)
    log_end = new.log_end_offset
    for batch, original in ((idem(1, 0, 3), first), (idem(1, 3, 2), second)):
        retry = new.produce(batch, QUORUM_ACK)
        assert (retry.base_offset, retry.last_offset, retry.acked) == (
            original.base_offset,
            original.last_offset,
            None,
        )
    assert new.log_end_offset == log_end  # nothing appended twice
    nxt = await produce_all(new, idem(1, 5))
    assert nxt.base_offset == end
    with pytest.raises(ClusterError) as info:
        new.produce(idem(1, 9), QUORUM_ACK)
    assert info.value.errc is ClusterErrc.out_of_order_sequence


async def test_a_new_leader_answers_for_a_batch_it_held_uncommitted(replicas):
    old = await replicas.leader()
    a = old.consensus.node_id
    b, c = (i for i in VOTERS if i != a)
    replicas.cuts.add(frozenset((a, c)))
    # b gets the batch but never hears that it committed
    replicas.drop = lambda m: isinstance(m, AppendRequest) and m.src == a and m.commit > 0
    original = await produce_all(old, idem(1, 0, 3))  # committed by a and b
    follower = replicas.nodes[b]
    await until(lambda: follower.log_end_offset == 3)
    assert follower.consensus.commit_offset == 0
    # b's appends to c are lost too: b wins c's vote (c's log lacks the batch) but its term
    # start cannot commit, and until it does b refuses writes (retriable)
    replicas.drop = lambda m: isinstance(m, AppendRequest) and m.src == b
    replicas.isolate(a)
    await until(lambda: follower.is_leader)
    with pytest.raises(ClusterError) as info:
        follower.produce(idem(1, 0, 3), QUORUM_ACK)
    assert info.value.errc is ClusterErrc.not_leader and not follower.consensus.serving
    replicas.drop = lambda m: False
    new = await replicas.leader(other_than=a)
    assert new is follower
    retry = new.produce(idem(1, 0, 3), QUORUM_ACK)  # its term start committed the batch
    assert (retry.base_offset, retry.last_offset, retry.acked) == (0, 2, None)
    assert original.base_offset == 0 and new.log_end_offset == 3


async def test_a_batch_cut_from_the_old_leader_is_forgotten_there(replicas):
    old = await replicas.leader()
    old_id = old.consensus.node_id
    await produce_all(old, idem(1, 0))
    replicas.isolate(old_id)
    lonely = old.produce(idem(1, 1), LEADER_ACK)  # appended on the old leader alone
    assert lonely.base_offset == 1
    new = await replicas.leader(other_than=old_id)
    await produce_all(new, idem(2, 0, 4))  # the new term's data takes offsets 1..4
    replicas.heal()
    await until(lambda: old.consensus.commit_offset >= 5 and not old.is_leader)
    assert old.log_end_offset == new.log_end_offset == 5
    # the old leader's committed state is the log's: producer 1 up to seq 0, producer 2 known
    old.snapshot_producers()
    snap = {pid: batches for pid, _, batches in old.log.kvstore.get("producer_state")["producers"]}
    assert snap == {1: [[0, 0, 0, 0]], 2: [[0, 3, 1, 4]]}
    # and once it leads again, the cut batch's retry is appended, not called a duplicate
    assert new.consensus.transfer_leadership(old_id)
    await until(lambda: old.consensus.serving)
    retry = await produce_all(old, idem(1, 1))
    assert (retry.base_offset, old.log_end_offset) == (5, 6)


async def test_followers_refuse_writes(replicas):
    leader = await replicas.leader()
    follower = next(p for p in replicas.nodes.values() if p is not leader)
    with pytest.raises(ClusterError) as info:
        follower.produce(idem(1, 0), QUORUM_ACK)
    assert info.value.errc is ClusterErrc.not_leader
