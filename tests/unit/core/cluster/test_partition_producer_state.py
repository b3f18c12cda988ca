"""Idempotent-producer state of a Partition over a real DiskLog and a single-voter Consensus:
state survives truncation of an uncommitted suffix, snapshots hold committed batches only,
and a restart rebuilds the table from the snapshot plus the committed headers after it."""

from __future__ import annotations

import pytest

from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.partition import Partition
from core.common.clock import ManualClock
from core.model.records import Record, build_batch
from core.raft.consensus import LEADER_ACK, QUORUM_ACK, Consensus
from core.storage.log import DiskLog, LogConfig

PID = 42


class ManualFlusher:
    """Flushes only when the test says so: what is appended stays uncommitted until then."""

    def request(self, target, *, urgent: bool) -> None:
        pass

    def forget(self, owner) -> None:
        pass


def idem(seq: int, n: int = 1, *, pid: int = PID, epoch: int = 0) -> bytearray:
    records = [Record(key=b"k", value=b"v%d" % (seq + i)) for i in range(n)]
    return build_batch(records, producer_id=pid, producer_epoch=epoch, base_sequence=seq)


def open_partition(directory) -> Partition:
    clock = ManualClock()
    disk_log = DiskLog.open(directory, LogConfig(), clock)
    consensus = Consensus(1, 0, disk_log, ManualFlusher())
    partition = Partition("t", 0, "id", 1, consensus, disk_log, clock)
    partition.start()
    return partition


def flush(p: Partition) -> None:
    p.log.flush()
    p.consensus.on_flushed()


@pytest.fixture
def partition(tmp_path):
    p = open_partition(tmp_path)
    yield p
    p.close()


async def test_retry_of_a_truncated_batch_is_appended_not_a_duplicate(partition):
    kept = partition.produce(idem(0), LEADER_ACK)
    flush(partition)
    lost = partition.produce(idem(1), LEADER_ACK)  # appended, never flushed nor committed
    assert lost.base_offset == 1 and partition.consensus.commit_offset == 1
    partition.consensus.truncate_to(1)
    assert partition.log_end_offset == 1
    retry = partition.produce(idem(1), LEADER_ACK)
    assert (retry.base_offset, retry.last_offset) == (1, 1)
    assert partition.log_end_offset == 2  # the data is there again
    again = partition.produce(idem(0), LEADER_ACK)  # the committed batch: still a duplicate
    assert (again.base_offset, again.acked) == (kept.base_offset, None)


async def test_truncation_forgets_an_epoch_bump(partition):
    partition.produce(idem(0, epoch=0), LEADER_ACK)
    partition.produce(idem(1, epoch=0), LEADER_ACK)
    flush(partition)
    partition.produce(idem(0, epoch=1), LEADER_ACK)  # the bump, then cut away
    partition.consensus.truncate_to(2)
    result = partition.produce(idem(2, epoch=0), LEADER_ACK)  # epoch 0 is current again
    assert result.base_offset == 2


async def test_concurrent_retry_of_an_inflight_batch_waits_for_its_commit(partition):
    first = partition.produce(idem(0, 3), QUORUM_ACK)
    retry = partition.produce(idem(0, 3), QUORUM_ACK)
    assert (retry.base_offset, retry.last_offset) == (0, 2)
    assert partition.log_end_offset == 3  # answered from the in-flight batch, not appended
    assert retry.acked is not None and not retry.acked.done()
    flush(partition)
    assert first.acked is not None and first.acked.done() and retry.acked.done()
    assert retry.acked.exception() is None


async def test_sequence_continues_over_inflight_batches(partition):
    partition.produce(idem(0, 2), QUORUM_ACK)
    partition.produce(idem(2, 2), QUORUM_ACK)  # pipelined before the first commits
    with pytest.raises(ClusterError) as info:
        partition.produce(idem(9), QUORUM_ACK)
    assert info.value.errc is ClusterErrc.out_of_order_sequence


async def test_snapshot_holds_committed_batches_only(tmp_path):
    p = open_partition(tmp_path)
    p.produce(idem(0), LEADER_ACK)
    flush(p)
    p.produce(idem(1), LEADER_ACK)  # uncommitted when the snapshot is taken
    p.snapshot_producers()
    snap = p.log.kvstore.get("producer_state")
    assert snap["applied_offset"] == 1
    assert [b[:2] for b in snap["producers"][0][2]] == [[0, 0]]
    p.close()


async def test_restart_rebuilds_from_snapshot_and_committed_headers(tmp_path):
    p = open_partition(tmp_path)
    p.produce(idem(0), LEADER_ACK)
    flush(p)
    p.snapshot_producers()
    p.produce(idem(1, 2), LEADER_ACK)
    flush(p)
    p.close()
    p = open_partition(tmp_path)
    try:
        dup = p.produce(idem(1, 2), LEADER_ACK)
        assert (dup.base_offset, dup.last_offset, dup.acked) == (1, 2, None)
        assert p.produce(idem(3), LEADER_ACK).base_offset == 3
    finally:
        p.close()


async def test_a_snapshot_past_the_log_end_is_ignored(tmp_path):
    p = open_partition(tmp_path)
    p.produce(idem(0), LEADER_ACK)
    flush(p)
    p.close()
    # an older release snapshotted at the leader's append: past what the log kept
    p.log.kvstore.put(
        "producer_state", {"applied_offset": 5, "producers": [[PID, 0, [[1, 4, 1, 4]]]]}
    )
    p = open_partition(tmp_path)
    try:
        assert p.produce(idem(0), LEADER_ACK).acked is None  # the batch in the log: duplicate
        assert p.produce(idem(1), LEADER_ACK).base_offset == 1  # the phantom one: appended
    finally:
        p.close()
