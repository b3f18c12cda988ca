"""A seeded random walk over one Partition (real DiskLog, single-voter Consensus): producers
interleave transactional batches, COMMIT/ABORT markers and plain batches; snapshots, clean
restarts and crashes (no close) happen at random. After every step a read_committed reader
(batches up to the LSO, minus the aborted transactions the partition lists) sees exactly the
model's committed records, and the LSO is the first offset of the oldest open transaction."""

from __future__ import annotations

import asyncio
import os
import random

import pytest

from core.cluster.partition import Partition
from core.common.clock import ManualClock
from core.model.records import Record, build_batch, iter_batches
from core.raft.consensus import QUORUM_ACK, Consensus
from core.storage.fs import pread_exact
from core.storage.log import DiskLog, LogConfig
from tests.support.txn_requests import Fetched, committed_values

SEEDS = int(os.environ.get("TXN_SIM_SEEDS", "6"))
STEPS = 120
TXN_PIDS = (1, 2, 3)
PLAIN_PID = 9


class ManualFlusher:
    def request(self, target, *, urgent: bool) -> None:
        pass

    def forget(self, owner) -> None:
        pass


def open_partition(directory) -> Partition:
    clock = ManualClock()
    disk_log = DiskLog.open(directory, LogConfig(segment_bytes=2048), clock)
    partition = Partition(
        "t", 0, "id", 1, Consensus(1, 0, disk_log, ManualFlusher()), disk_log, clock
    )
    partition.start()
    return partition


def flush(p: Partition) -> None:
    p.log.flush()
    p.consensus.on_flushed()


class Model:
    def __init__(self) -> None:
        self.seq = {pid: 0 for pid in (*TXN_PIDS, PLAIN_PID)}
        self.open: dict[int, int] = {}  # pid -> first offset
        self.pending: dict[int, list[bytes]] = {}  # pid -> values of its open transaction
        self.committed: list[tuple[int, bytes]] = []  # (offset, value)

    def expected(self, lso: int) -> list[bytes]:
        return [v for offset, v in sorted(self.committed) if offset < lso]


def read_committed(p: Partition) -> tuple[int, list[bytes | None]]:
    lso = p.last_stable_offset
    batches, offset = [], p.start_offset
    while offset < lso:
        got = p.read(offset, 1 << 20, upper_offset=lso)
        assert got is not None
        batches += list(iter_batches(pread_exact(got.fd, got.length, got.position)))
        offset = got.last_offset + 1
    aborted = p.aborted_transactions(p.start_offset, lso)
    return lso, committed_values(Fetched(0, p.high_watermark, lso, aborted, batches))


async def marker(p: Partition, pid: int, commit: bool) -> None:
    task = asyncio.ensure_future(p.write_txn_marker(pid, 0, commit, 0))
    await asyncio.sleep(0)
    flush(p)
    assert (await task).value == 0


async def step(rng: random.Random, p: Partition, model: Model, n: int) -> Partition:
    roll = rng.random()
    pid = rng.choice(TXN_PIDS)
    if roll < 0.45:
        values = [b"%d-%d-%d" % (pid, n, i) for i in range(rng.randint(1, 3))]
        batch = build_batch(
            [Record(key=v, value=v) for v in values],
            producer_id=pid, producer_epoch=0, base_sequence=model.seq[pid], transactional=True,
        )  # fmt: skip
        result = p.produce(batch, QUORUM_ACK)
        flush(p)
        model.seq[pid] += len(values)
        model.open.setdefault(pid, result.base_offset)
        model.pending.setdefault(pid, []).extend(
            (result.base_offset + i, v) for i, v in enumerate(values)
        )
    elif roll < 0.7:
        commit = rng.random() < 0.6
        await marker(p, pid, commit)
        model.open.pop(pid, None)
        done = model.pending.pop(pid, [])
        if commit:
            model.committed += done
    elif roll < 0.85:
        v = b"plain-%d" % n
        batch = build_batch(
            [Record(key=v, value=v)],
            producer_id=PLAIN_PID, producer_epoch=0, base_sequence=model.seq[PLAIN_PID],
        )  # fmt: skip
        result = p.produce(batch, QUORUM_ACK)
        flush(p)
        model.seq[PLAIN_PID] += 1
        model.committed.append((result.base_offset, v))
    elif roll < 0.9:
        p.snapshot_producers()
    elif roll < 0.95:
        directory = p.directory
        p.close()
        p = open_partition(directory)
    else:  # a crash: no snapshot, no clean shutdown
        directory = p.directory
        p.consensus.close()
        p.aborted.close()
        p.log.abandon()
        p = open_partition(directory)
    return p


@pytest.mark.parametrize("seed", range(SEEDS))
async def test_read_committed_matches_the_model(tmp_path, seed) -> None:
    rng = random.Random(seed)
    model = Model()
    p = open_partition(tmp_path / "p")
    try:
        for n in range(STEPS):
            p = await step(rng, p, model, n)
            lso, values = read_committed(p)
            expected_lso = min(model.open.values(), default=p.high_watermark)
            assert lso == expected_lso, (seed, n)
            assert values == model.expected(lso), (seed, n)
    finally:
        p.close()
