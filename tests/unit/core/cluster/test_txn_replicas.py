"""Transactions on three in-process replicas of one partition (real DiskLogs, three-voter
Consensus, storage's group commit, a transport that can cut links): a marker the isolated
old leader appended alone is cut when it rejoins and its transaction is open again there,
the new leader (a follower until then) serves the LSO and aborted transactions it built from
replicated committed batches, a marker re-sent to it closes the transaction, and every
replica, restarted too, ends with the same aborted-transactions index."""

from __future__ import annotations

import asyncio
import random

import pytest

from core.cluster.partition import Partition
from core.common.clock import SystemClock
from core.model.records import Record, build_batch
from core.protocol.errors import ErrorCode
from core.raft.consensus import QUORUM_ACK, Consensus
from core.raft.state import RaftConfig
from core.storage.group_commit import GroupCommit
from core.storage.log import DiskLog, LogConfig

WAIT_S = 10
VOTERS = (0, 1, 2)


def txn(pid: int, seq: int, n: int = 1, transactional: bool = True) -> bytearray:
    records = [Record(key=b"k", value=b"%d-%d" % (pid, seq + i)) for i in range(n)]
    return build_batch(
        records, producer_id=pid, producer_epoch=0, base_sequence=seq, transactional=transactional
    )


class Replicas:
    def __init__(self, tmp_path, flusher: GroupCommit) -> None:
        self.tmp_path = tmp_path
        self.flusher = flusher
        self.loop = asyncio.get_running_loop()
        self.cuts: set[frozenset[int]] = set()
        self.nodes: dict[int, Partition] = {i: self._open(i) for i in VOTERS}

    def _open(self, i: int) -> Partition:
        clock = SystemClock()
        disk_log = DiskLog.open(self.tmp_path / f"n{i}", LogConfig(), clock)
        consensus = Consensus(
            7, i, disk_log, self.flusher, voters=VOTERS, transport=self._send,
            rng=random.Random(i), clock=clock,
            config=RaftConfig(election_timeout_ms=150, heartbeat_interval_ms=30),
        )  # fmt: skip
        partition = Partition("t", 0, "id", 1, consensus, disk_log, clock)
        partition.start()
        return partition

    def _send(self, msg) -> None:
        if frozenset((msg.src, msg.dst)) not in self.cuts:
            node = self.nodes.get(msg.dst)
            if node is not None:
                self.loop.call_soon(node.consensus.receive, msg)

    def isolate(self, node: int) -> None:
        self.cuts |= {frozenset((node, other)) for other in VOTERS if other != node}

    async def restart(self, i: int) -> None:
        old = self.nodes.pop(i)
        old.consensus.close()
        await until(lambda: old.log.flushed_offset == old.log.next_offset)
        old.close()
        self.nodes[i] = self._open(i)

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
    await until(lambda: all(p.log.flushed_offset == p.log.next_offset for p in r.nodes.values()))
    await flusher.stop()
    for p in r.nodes.values():
        p.close()


async def produce_all(p: Partition, batch: bytearray) -> int:
    result = p.produce(batch, QUORUM_ACK)
    if result.acked is not None:
        await asyncio.wait_for(result.acked, WAIT_S)
    return result.base_offset


async def test_cut_marker_reopens_the_txn_and_the_new_leader_finishes_it(replicas):
    old = await replicas.leader()
    old_id = old.consensus.node_id
    a_first = await produce_all(old, txn(1, 0, 2))  # producer 1: aborted below
    b_first = await produce_all(old, txn(2, 0))  # producer 2: left open, then cut marker
    await produce_all(old, txn(9, 0, transactional=False))
    assert await old.write_txn_marker(1, 0, False, 0) is ErrorCode.none
    end = old.log_end_offset
    await until(lambda: all(p.consensus.commit_offset >= end for p in replicas.nodes.values()))
    assert old.last_stable_offset == b_first

    replicas.isolate(old_id)
    lonely = asyncio.ensure_future(old.write_txn_marker(2, 0, True, 0, timeout_ms=300))
    new = await replicas.leader(other_than=old_id)
    assert await lonely in (ErrorCode.request_timed_out, ErrorCode.not_leader_or_follower)
    assert new.last_stable_offset == b_first
    assert new.aborted_transactions(0, end) == [(1, a_first)]
    c_first = await produce_all(new, txn(3, 0))  # takes the cut marker's offset
    replicas.cuts.clear()
    await until(lambda: old.log_end_offset == new.log_end_offset and not old.is_leader)
    assert old.producers.committed.ongoing.get(2) == b_first  # its marker was cut

    assert await new.write_txn_marker(2, 0, True, 0) is ErrorCode.none  # the coordinator retries
    assert await new.write_txn_marker(3, 0, False, 0) is ErrorCode.none
    end = new.log_end_offset
    assert new.last_stable_offset == new.high_watermark == end
    await until(lambda: all(p.consensus.commit_offset >= end for p in replicas.nodes.values()))
    entries = new.aborted.entries()
    assert [(pid, first) for pid, first, _, _ in entries] == [(1, a_first), (3, c_first)]
    for i in VOTERS:
        await replicas.restart(i)
    await until(lambda: all(p.consensus.commit_offset >= end for p in replicas.nodes.values()))
    for p in replicas.nodes.values():
        p.snapshot_producers()
        assert p.aborted.entries() == entries
        assert p.producers.committed.ongoing.first() is None
