"""The producer state a Raft snapshot carries (core.cluster.producer_snapshot): a round trip
keeps every producer (order, epochs, sequence windows with offsets, coordinator epoch, last
timestamp), the open transactions and the aborted ones; sizes are bounded; a corrupt,
truncated, foreign or future-version payload is refused with a clear error; and a replica that
installs one answers retries as duplicates, keeps open transactions open, and skips the batches
the snapshot already holds."""

from __future__ import annotations

import re
import struct

import pytest

from core.cluster import producer_snapshot as ps
from core.cluster.producer_state import ReplicaProducers
from core.cluster.producer_table import Duplicate, ProducerStateTable
from core.model.batch import parse_header
from core.model.control import Marker
from core.model.records import Record, build_batch


def header(pid: int, epoch: int, seq: int, n: int = 1, *, txn: bool = False, ts: int = 1000):
    return parse_header(
        build_batch(
            [Record(key=None, value=b"v", timestamp_ms=ts)] * n,
            producer_id=pid,
            producer_epoch=epoch,
            base_sequence=seq,
            transactional=txn,
        )
    )


def sample_table() -> ProducerStateTable:
    t = ProducerStateTable()
    offset = 0
    for seq in range(0, 14, 2):  # producer 7: more batches than the window keeps
        t.record(header(7, 1, seq, 2), offset, offset + 1)
        offset += 2
    t.record(header(9, 0, 0, txn=True), offset, offset)  # an open transaction
    offset += 1
    t.record(header(11, 3, 0, txn=True), offset, offset)
    t.end_txn(11, 3, Marker(False, 5), offset + 1, 2000)  # aborted, coordinator epoch 5
    t.applied_offset = offset + 5
    return t


def roundtrip(t: ProducerStateTable, aborted=()) -> ps.ProducerSnapshot:
    return ps.decode(ps.encode(t, list(aborted)))


def test_roundtrip_keeps_every_producer_and_transaction():
    t = sample_table()
    aborted = [(11, 14, 15, 16)]
    snap = roundtrip(t, aborted)
    assert snap.aborted == aborted
    got = snap.table
    assert got.applied_offset == t.applied_offset and got.clock_ms == t.clock_ms == 2000
    assert [pid for pid, _ in got.entries()] == [pid for pid, _ in t.entries()]
    assert got.describe() == t.describe()
    assert dict(got.ongoing.items()) == {9: 14}
    assert got.coordinator_epoch_of(11) == 5
    for pid, entry in t.entries():
        assert list(dict(got.entries())[pid].batches) == list(entry.batches)
    assert got.check(header(7, 1, 12, 2)) == Duplicate(12, 13)  # the last batch: a duplicate


def test_empty_table_is_small():
    data = ps.encode(ProducerStateTable(), [])
    assert len(data) < 64
    assert len(ps.decode(data).table) == 0


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b"XXXX" + b[4:], "not a producer snapshot"),
        (lambda b: b[:4] + bytes([9]) + b[5:], "version 9 (this broker reads 1)"),
        (lambda b: b[:-1] + bytes([b[-1] ^ 1]), "checksum mismatch"),
        (lambda b: b[:40], "checksum mismatch"),
        (lambda b: b[:10], "shorter than its header"),
        (lambda b: b"", "shorter than its header"),
    ],
)
def test_corrupt_input_is_refused_with_a_clear_error(mutate, message):
    data = ps.encode(sample_table(), [(11, 14, 15, 16)])
    with pytest.raises(ps.ProducerSnapshotError, match=re.escape(message)):
        ps.decode(mutate(data))


def reseal(body: bytes) -> bytes:
    import crc32c

    return body + struct.pack("<I", crc32c.crc32c(body))


def test_well_formed_lies_are_refused():
    data = ps.encode(sample_table(), [])
    body = bytearray(data[:-4])
    head = list(ps._HEAD.unpack_from(body))
    for index, value, message in [
        (5, ps.MAX_PRODUCERS + 1, "at most"),  # too many producers claimed
        (6, ps.MAX_ABORTED + 1, "at most"),
        (5, head[5] + 1, "truncated"),  # one more producer than it holds
        (5, head[5] - 1, "bytes past its contents"),
        (2, 1, "unknown flags"),
        (3, -5, "applied offset -5"),
    ]:
        fields = list(head)
        fields[index] = value
        lie = bytearray(body)
        ps._HEAD.pack_into(lie, 0, *fields)
        with pytest.raises(ps.ProducerSnapshotError, match=message):
            ps.decode(reseal(bytes(lie)))
    one = ps._HEAD.size  # the first producer's batch count beyond the window
    lie = bytearray(body)
    lie[one + ps._PRODUCER.size - 1] = 6
    with pytest.raises(ps.ProducerSnapshotError, match="with 6 batches"):
        ps.decode(reseal(bytes(lie)))


def test_sizes_are_bounded():
    assert ps.MAX_BYTES < 16 * 1024 * 1024  # fits a Raft frame with room to spare
    with pytest.raises(ps.ProducerSnapshotError, match="bytes \\(at most"):
        ps.decode(b"\0" * (ps.MAX_BYTES + 1))
    with pytest.raises(ps.ProducerSnapshotError, match="aborted transactions"):
        ps.encode(ProducerStateTable(), [(1, 0, 1, 2)] * (ps.MAX_ABORTED + 1))


def test_a_full_table_fits():
    t = ProducerStateTable()
    for pid in range(ps.MAX_PRODUCERS):
        for seq in range(5):
            t.add(pid, 0, (seq, seq, pid * 5 + seq, pid * 5 + seq), 1000)
    data = ps.encode(t, [])
    assert len(data) <= ps.MAX_BYTES
    assert len(ps.decode(data).table) == ps.MAX_PRODUCERS


def test_installed_replica_answers_retries_and_skips_what_it_holds():
    """A follower whose log restarts empty at 14 installs the leader's table (applied at 20):
    a retry of producer 7's last batch is a duplicate with its original offsets, producer 9's
    transaction is still open (the LSO stays at its first offset), and replaying the batches
    in [14, 20) when they arrive changes nothing."""
    leader = sample_table()
    payload = ps.encode(leader, [(11, 14, 15, 16)])
    replayed: list[int] = []

    def headers(start: int, end: int):
        replayed.append(start)
        return iter(())

    follower = ReplicaProducers(headers)
    aborted = follower.install_payload(14, payload)
    assert aborted == [(11, 14, 15, 16)]
    follower.apply_committed(14, -1)  # its commit after the install: nothing to apply
    follower.apply_committed(20, -1)  # the batches the table holds: not read again
    assert replayed == []
    assert follower.last_stable_offset(20) == 14
    follower.apply_committed(25, -1)
    assert replayed == [20]
    follower.lead(2, 25, 25)
    assert follower.check(header(7, 1, 12, 2)) == Duplicate(12, 13)


def test_corrupt_payload_restarts_the_state_empty_at_the_start(caplog):
    follower = ReplicaProducers(lambda s, e: iter(()))
    follower.committed.record(header(3, 0, 0), 0, 0)
    assert follower.install_payload(14, b"garbage") == []
    assert "refused" in caplog.text
    assert len(follower.committed) == 0 and follower.committed.applied_offset == 14


def test_persisted_installed_state_past_the_log_end_is_trusted():
    """Version 2 snapshots (this release) are taken of committed state: one installed from the
    leader names offsets the log will receive; older ones past the log end are replayed."""
    table = sample_table()
    replica = ReplicaProducers(lambda s, e: iter(()))
    replica.load(table.snapshot(), log_end=14)
    assert replica.committed.applied_offset == table.applied_offset
    legacy = table.snapshot()
    del legacy["version"]
    replica.load(legacy, log_end=14)
    assert replica.committed.applied_offset == 0


def test_raft_snapshot_request_carries_the_payload():
    """core.rpc.raft_codec: the payload travels in the blob after the entries (bit 29); a
    length past the blob is a FrameError, never a partial payload."""
    from core.raft.types import AppendRequest, TermStart
    from core.rpc import raft_codec
    from core.rpc.frame import FrameError

    payload = ps.encode(sample_table(), [(11, 14, 15, 16)])
    m = AppendRequest(1, 2, 3, (14, 3), (), 14, 14, 9, 14, (TermStart(3, 0, (1, 2, 3)),),
                      (), payload)  # fmt: skip
    meta, blob = raft_codec.encode(7, m)
    assert raft_codec.decode(meta, b"".join(bytes(b) for b in blob)) == (7, m)
    plain = AppendRequest(1, 2, 3, (14, 3), (), 14, 14, 9)
    meta2, blob2 = raft_codec.encode(7, plain)
    assert blob2 == [] and raft_codec.decode(meta2) == (7, plain)
    with pytest.raises(FrameError, match="snapshot state"):
        raft_codec.decode(meta, payload[:-1])


def test_leader_reuses_one_payload_per_start():
    """A follower that needs a snapshot gets one with every heartbeat, also while it is down:
    the payload is encoded once per start (for a while), the aborted list read once."""
    leader = ReplicaProducers(lambda s, e: iter(()))
    leader.committed.record(header(3, 0, 0), 0, 0)
    reads: list[int] = []

    def aborted():
        reads.append(1)
        return [(11, 0, 5, 6), (12, 8, 9, 10)]

    first = leader.snapshot_payload(8, aborted)
    assert leader.snapshot_payload(8, aborted) is first and len(reads) == 1
    assert ps.decode(first).aborted == [(12, 8, 9, 10)]  # the marker below the start stays
    assert leader.snapshot_payload(9, aborted) is not first and len(reads) == 2


def test_any_damage_is_refused_cleanly():
    """Random flips, cuts and splices of a valid payload, checksum resealed or not: decode
    returns a snapshot or raises ProducerSnapshotError, never anything else."""
    import random

    good = ps.encode(sample_table(), [(11, 14, 15, 16)])
    rng = random.Random(7)
    for _ in range(1500):
        data = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            op = rng.randrange(3)
            if op == 0 and data:
                data[rng.randrange(len(data))] = rng.randrange(256)
            elif op == 1:
                del data[rng.randrange(len(data) + 1) :]
            else:
                at = rng.randrange(len(data) + 1)
                data[at:at] = rng.randbytes(rng.randint(1, 40))
        if rng.random() < 0.7 and len(data) > 4:
            data = bytearray(reseal(bytes(data[:-4])))
        try:
            ps.decode(bytes(data))
        except ps.ProducerSnapshotError:
            pass
