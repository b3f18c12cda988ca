"""Key-based compaction of a DiskLog on real files: what survives, offsets, tombstones,
codecs, producer state, the segment swap and crashes around it."""

from __future__ import annotations

import os
import struct
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.model.batch import ATTR_TIMESTAMP_TYPE, HEADER_SIZE, batch_crc, split_batches
from core.model.records import Record, build_batch, iter_batches
from core.storage.compaction import (
    STATE_KEY,
    TEMP_NAME_SUFFIX,
    CompactionCancelled,
    compact,
    install,
    prepare,
    rewrite,
)
from core.storage.log import LogConfig

from .conftest import T0_MS

HOUR_MS = 3_600_000
KEYS = [b"alpha", b"beta", b"gamma"]


def append(
    log, items, *, codec: int = 0, producer_id: int = -1, timestamp_ms: int = T0_MS, term: int = 1
) -> tuple[int, int]:
    records = [
        Record(key, value, timestamp_ms=timestamp_ms + i) for i, (key, value) in enumerate(items)
    ]
    idempotent = producer_id >= 0
    batch = build_batch(
        records,
        compression=codec,
        producer_id=producer_id,
        producer_epoch=0 if idempotent else -1,
        base_sequence=0 if idempotent else -1,
    )
    return log.append(batch, term=term)


def updates(log, rounds: int, keys=KEYS, value_bytes: int = 60, **kwargs) -> dict[int, tuple]:
    """One single-record batch per (round, key); returns offset -> (key, value)."""
    written = {}
    for round_ in range(rounds):
        for key in keys:
            value = f"{key.decode()}-{round_}-".encode().ljust(value_bytes, b".")
            offset, _ = append(log, [(key, value)], **kwargs)
            written[offset] = (key, value)
    return written


def read_all(log) -> list:
    """(header, records) of every batch through DiskLog.read_bytes, CRC verified,
    checking that batches cover the offsets contiguously."""
    batches = []
    offset = log.start_offset
    for _ in range(log.next_offset + 1):
        if offset >= log.next_offset:
            break
        chunk = log.read_bytes(offset, 1 << 20, log.next_offset)
        for header, records in iter_batches(chunk):
            assert header.base_offset == offset, "offsets stay contiguous across batches"
            batches.append((header, records))
            offset = header.last_offset + 1
    assert offset == log.next_offset
    return batches


def kept(log) -> dict[int, tuple]:
    return {r.offset: (r.key, r.value) for _, records in read_all(log) for r in records}


def compact_all(log, now_ms: int = T0_MS, retention_ms: int = HOUR_MS, **kwargs):
    log.flush()  # only flushed segments are compacted
    return compact(
        log,
        now_ms=now_ms,
        max_collectible_offset=log.next_offset,
        delete_retention_ms=retention_ms,
        **kwargs,
    )


def segment_files(log) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(log.directory.glob("*.log"))}


def active_base(log) -> int:
    return max(int(p.name.split("-")[0]) for p in log.directory.glob("*.log"))


def test_latest_value_per_key_wins_and_offsets_are_preserved(open_log) -> None:
    log = open_log(segment_bytes=700)
    written = updates(log, rounds=20)
    size_before = log.size_bytes
    stats = compact_all(log)
    survivors = kept(log)
    boundary = active_base(log)
    assert all(written[offset] == row for offset, row in survivors.items())  # same offsets
    for key in KEYS:
        below = [o for o, (k, _) in written.items() if k == key and o < boundary]
        assert [o for o, (k, _) in survivors.items() if k == key and o < boundary] == [max(below)]
        above = [o for o, (k, _) in written.items() if k == key and o >= boundary]
        assert all(o in survivors for o in above)  # the active segment is not compacted
    assert stats.records_removed == len(written) - len(survivors)
    assert stats.segments_rewritten >= 5 and stats.keys == 3
    assert log.size_bytes < size_before / 2 and stats.bytes_after < stats.bytes_before
    assert log.next_offset == 60


def test_reads_from_every_offset_return_valid_batches(open_log) -> None:
    log = open_log(segment_bytes=700)
    written = updates(log, rounds=10)
    compact_all(log)
    survivors = kept(log)
    for offset in range(log.next_offset):
        found = log.read(offset, 1, log.next_offset)
        assert found is not None and found.first_offset <= offset <= found.last_offset
        chunk = os.pread(found.fd, found.length, found.position)
        ((header, records),) = list(iter_batches(chunk))  # one whole batch, CRC checked
        assert header.base_offset <= offset <= header.last_offset
        assert (offset in survivors) == any(r.offset == offset for r in records)
    assert set(survivors) <= set(written)


def test_null_keys_are_kept_and_multi_record_batches_keep_their_deltas(open_log) -> None:
    log = open_log(segment_bytes=600)
    for round_ in range(6):
        append(log, [(b"k", b"v%d" % round_), (None, b"anon%d" % round_), (b"k", b"w%d" % round_)])
    append(log, [(b"k", b"last")])  # active segment
    compact_all(log)
    survivors = kept(log)
    assert [v for _, (k, v) in sorted(survivors.items()) if k is None] == [
        b"anon%d" % i for i in range(6)
    ]
    assert active_base(log) == 18
    assert {o: v for o, (k, v) in survivors.items() if k == b"k"} == {17: b"w5", 18: b"last"}
    for header, records in read_all(log):
        if records:
            assert header.last_offset_delta == 2 or header.base_offset == log.next_offset - 1
            assert all(header.base_offset <= r.offset <= header.last_offset for r in records)


def test_tombstones_stay_for_delete_retention_then_go(open_log, clock) -> None:
    log = open_log(segment_bytes=500)
    updates(log, rounds=3)
    tombstone, _ = append(log, [(b"alpha", None)], timestamp_ms=clock.now_ms())
    updates(log, rounds=3, keys=[b"beta"])
    first = compact_all(log, now_ms=clock.now_ms(), retention_ms=HOUR_MS)
    survivors = kept(log)
    assert survivors[tombstone] == (b"alpha", None)
    assert [o for o, (k, _) in survivors.items() if k == b"alpha"] == [tombstone]
    assert first.tombstones_removed == 0
    assert compact_all(log, now_ms=clock.now_ms(), retention_ms=HOUR_MS).skipped  # nothing due
    clock.advance(HOUR_MS + 10)
    later = compact_all(log, now_ms=clock.now_ms(), retention_ms=HOUR_MS)
    assert later.tombstones_removed == 1 and not later.skipped
    assert all(k != b"alpha" for k, _ in kept(log).values())
    assert any(h.record_count == 0 and h.producer_id == -1 for h, _ in read_all(log))  # gap batch


def test_negative_delete_retention_keeps_tombstones_forever(open_log) -> None:
    log = open_log(segment_bytes=300)
    tombstone, _ = append(log, [(b"gone", None)])
    updates(log, rounds=3)
    compact_all(log, now_ms=T0_MS + 1000 * HOUR_MS, retention_ms=-1)
    assert kept(log)[tombstone] == (b"gone", None)


def test_active_segment_and_max_collectible_offset_are_respected(open_log) -> None:
    log = open_log(segment_bytes=700)
    updates(log, rounds=20)
    bases = sorted(int(p.name.split("-")[0]) for p in log.directory.glob("*.log"))
    limit = bases[3]  # segments from the fourth on hold offsets >= limit
    log.flush()
    before = segment_files(log)
    stats = compact(log, now_ms=T0_MS, max_collectible_offset=limit, delete_retention_ms=0)
    after = segment_files(log)
    for name, data in before.items():
        changed = after[name] != data
        assert changed == (int(name.split("-")[0]) < limit), name
    assert stats.mapped_end == limit


@pytest.mark.parametrize("codec", [0, 1, 2, 3, 4], ids=["none", "gzip", "snappy", "lz4", "zstd"])
def test_every_codec_is_kept_and_records_recompressed(open_log, codec) -> None:
    log = open_log(segment_bytes=900)
    written = {}
    for round_ in range(8):
        items = [(b"k%d" % (i % 3), b"value-%d-%d" % (round_, i) * 5) for i in range(6)]
        base, _ = append(log, items, codec=codec)
        written.update({base + i: row for i, row in enumerate(items)})
    compact_all(log)
    batches = read_all(log)
    assert all(h.compression == codec for h, records in batches if records)
    survivors = kept(log)
    assert all(written[o] == row for o, row in survivors.items())
    assert len(survivors) < len(written)


def test_log_append_time_batches_keep_their_timestamp_type(open_log) -> None:
    log = open_log(segment_bytes=340)  # the four batches fill the first segment
    for round_ in range(4):
        batch = build_batch(
            [Record(b"a", b"%d" % round_), Record(b"b%d" % round_, b"x")], timestamp_ms=T0_MS
        )
        struct.pack_into(">hiqq", batch, 21, ATTR_TIMESTAMP_TYPE, 1, T0_MS, T0_MS + 77)
        struct.pack_into(">I", batch, 17, batch_crc(batch, 0, len(batch)))
        log.append(batch, term=1)
    append(log, [(b"a", b"new")])
    assert active_base(log) == 8
    compact_all(log)
    rewritten = [(h, records) for h, records in read_all(log) if h.base_offset < 6]
    assert len(rewritten) == 3
    for header, records in rewritten:  # "a" went, "b<i>" stayed at its offset
        assert header.uses_log_append_time and header.max_timestamp == T0_MS + 77
        assert (header.record_count, header.last_offset_delta) == (1, 1)
        assert [(r.key, r.offset, r.timestamp_ms) for r in records] == [
            (b"b%d" % (header.base_offset // 2), header.base_offset + 1, T0_MS + 77)
        ]


def test_unflushed_segments_are_not_compacted(open_log) -> None:
    log = open_log(segment_bytes=700)
    updates(log, rounds=10)
    stats = compact(
        log, now_ms=T0_MS, max_collectible_offset=log.next_offset, delete_retention_ms=0
    )
    assert stats.skipped and stats.segments_rewritten == 0


def test_emptied_batches_keep_producer_state_others_are_dropped(open_log) -> None:
    log = open_log(segment_bytes=600)
    idempotent, _ = append(log, [(b"a", b"1"), (b"b", b"1")], producer_id=7)
    plain, _ = append(log, [(b"a", b"2"), (b"b", b"2")])
    append(log, [(b"c", b"x" * 300)])
    updates(log, rounds=2, keys=[b"a", b"b"], value_bytes=200)
    original = {h.base_offset: h for _, h in split_batches(log.read_bytes(0, 1 << 20, 4))}
    stats = compact_all(log)
    headers = {h.base_offset: h for h, _ in read_all(log)}
    kept_empty = headers[idempotent]
    assert kept_empty.record_count == 0 and kept_empty.compression == 0
    for field in (
        "last_offset_delta",
        "producer_id",
        "producer_epoch",
        "base_sequence",
        "first_timestamp",
        "max_timestamp",
        "leader_epoch",
    ):
        assert getattr(kept_empty, field) == getattr(original[idempotent], field), field
    gap = headers[plain]  # the dropped batch left only a gap batch over its offsets
    assert (gap.record_count, gap.producer_id, gap.last_offset) == (
        0,
        -1,
        original[plain].last_offset,
    )
    assert stats.batches_dropped >= 1


def test_compaction_is_idempotent(open_log) -> None:
    log = open_log(segment_bytes=700)
    updates(log, rounds=15)
    append(log, [(b"alpha", None)])
    updates(log, rounds=3, keys=[b"beta"])
    compact_all(log, retention_ms=0)
    files = segment_files(log)
    again = compact_all(log, retention_ms=0)
    assert again.skipped and segment_files(log) == files
    log.kvstore.delete(STATE_KEY)  # force a full pass: it finds nothing to drop
    forced = compact_all(log, retention_ms=0)
    assert not forced.skipped and forced.segments_rewritten == 0 and forced.records_removed == 0
    assert segment_files(log) == files


def test_a_bounded_key_map_compacts_a_prefix_correctly(open_log) -> None:
    log = open_log(segment_bytes=700)
    keys = [b"k%02d" % i for i in range(12)]
    written = updates(log, rounds=4, keys=keys)
    stats = compact_all(log, max_keys=5)
    assert 0 < stats.mapped_end < active_base(log) and stats.keys <= 5 + 1
    survivors = kept(log)
    assert all(o in survivors for o in written if o >= stats.mapped_end)
    for key in keys:  # no key lost its latest record
        assert max(o for o, (k, _) in written.items() if k == key) in survivors


def test_readers_of_the_old_file_keep_working_after_the_swap(open_log) -> None:
    log = open_log(segment_bytes=700, file_delete_delay_ms=60_000)
    updates(log, rounds=10)
    before = log.read(0, 600, log.next_offset)
    old_bytes = os.pread(before.fd, before.length, before.position)
    compact_all(log)
    assert os.pread(before.fd, before.length, before.position) == old_bytes  # old inode
    assert list(iter_batches(old_bytes))
    assert log.read(0, 600, log.next_offset).fd != before.fd


def test_recovery_removes_the_temporary_files_of_an_interrupted_pass(open_log) -> None:
    log = open_log(segment_bytes=700)
    updates(log, rounds=10)
    log.flush()
    expected = kept(log)
    first = sorted(log.directory.glob("*.log"))[0]
    temps = [
        first.with_name(first.name + ".0badf00d" + TEMP_NAME_SUFFIX),
        first.with_name(first.stem + ".index.0badf00d" + TEMP_NAME_SUFFIX),
    ]
    for temp in temps:
        temp.write_bytes(first.read_bytes()[: HEADER_SIZE + 17])  # a crash mid-write
    log.abandon()
    reopened = open_log(segment_bytes=700)
    assert kept(reopened) == expected  # the old segment, whole
    assert not any(temp.exists() for temp in temps)


def test_a_crash_after_compaction_recovers_the_new_segments(open_log) -> None:
    log = open_log(segment_bytes=700)
    updates(log, rounds=10)
    compact_all(log)
    expected = kept(log)
    log.abandon()  # no clean shutdown: recovery scans every segment (CRC, offsets, term)
    reopened = open_log(segment_bytes=700)
    assert kept(reopened) == expected and reopened.next_offset == 30
    reopened.close()
    clean = open_log(segment_bytes=700)  # loads the rebuilt index files
    assert kept(clean) == expected
    assert clean.append(build_batch([Record(b"alpha", b"z")]), term=1) == (30, 30)


def test_compacted_segments_survive_a_clean_reopen_with_their_indexes(open_log) -> None:
    log = open_log(segment_bytes=700, index_interval_bytes=100)
    updates(log, rounds=12)
    compact_all(log)
    expected = {o: log.read(o, 1, log.next_offset).position for o in range(log.next_offset)}
    log.close()
    reopened = open_log(segment_bytes=700, index_interval_bytes=100)
    got = {
        o: reopened.read(o, 1, reopened.next_offset).position for o in range(reopened.next_offset)
    }
    assert got == expected
    assert reopened.timequery(T0_MS, reopened.next_offset) == 0


# ---------------------------------------------------------------- split pass: prepare / rewrite / install


def prepare_all(log, now_ms: int = T0_MS, retention_ms: int = HOUR_MS):
    log.flush()
    plan = prepare(
        log, now_ms=now_ms, max_collectible_offset=log.next_offset, delete_retention_ms=retention_ms
    )
    assert plan is not None
    return plan


def temp_files(log) -> list:
    return sorted(log.directory.glob("*" + TEMP_NAME_SUFFIX))


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def check_latest_per_key(log, written: dict[int, tuple]) -> None:
    """Every key's latest record is readable at its offset; survivors are unaltered."""
    survivors = kept(log)
    assert all(written[offset] == row for offset, row in survivors.items())
    for key in {k for k, _ in written.values()}:
        latest = max(o for o, (k, _) in written.items() if k == key)
        assert survivors[latest] == written[latest], key


def test_appends_and_reads_go_on_while_rewrite_runs_in_a_thread(open_log) -> None:
    log = open_log(segment_bytes=64 * 1024)
    keys = [b"key-%03d" % i for i in range(50)]
    written = updates(log, rounds=200, keys=keys, value_bytes=200)
    plan = prepare_all(log)
    mapped = plan.snapshots[-1].next_offset
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(rewrite, plan)
        ops_while_rewriting = 0
        for round_ in range(20_000):  # bounded; stops once the worker is done
            running = not future.done()
            if not running and round_ >= 50:
                break
            row = (keys[round_ % len(keys)], b"during-%d" % round_)
            offset, _ = append(log, [row])
            written[offset] = row
            ((header, records),) = iter_batches(log.read_bytes(offset, 1, log.next_offset))
            assert [(r.key, r.value) for r in records] == [row]
            old = log.read_bytes((round_ * 37) % mapped, 1, log.next_offset)  # a planned segment
            for _, records in iter_batches(old):  # CRC checked: the old files, untouched
                assert all(written[r.offset] == (r.key, r.value) for r in records)
            if round_ % 16 == 0:
                log.flush()
            ops_while_rewriting += running
        result = future.result(timeout=60)
    assert ops_while_rewriting > 0, "the worker finished before the loop did anything"
    assert all(path.exists() for done in result.rewritten for path in done.temp_paths)
    stats = install(log, result)
    assert stats.segments_rewritten == len(result.rewritten) > 10 and stats.segments_stale == 0
    assert stats.mapped_end == mapped and not temp_files(log)
    check_latest_per_key(log, written)
    survivors = kept(log)
    assert all(offset in survivors for offset in written if offset >= mapped)
    assert log.kvstore.get(STATE_KEY)["mapped_end"] == mapped


@pytest.mark.parametrize("remover", ["prefix_truncate", "gc"])
def test_segments_deleted_between_prepare_and_install_are_skipped(open_log, clock, remover) -> None:
    log = open_log(segment_bytes=700)
    written = updates(log, rounds=20)
    plan = prepare_all(log)
    bases = [snapshot.base_offset for snapshot in plan.snapshots]
    result = rewrite(plan)
    assert [done.snapshot.base_offset for done in result.rewritten][:2] == bases[:2]
    if remover == "prefix_truncate":  # DeleteRecords
        log.prefix_truncate(bases[2])
    else:  # retention: everything is old, but only what is below the offset may go
        log.update_config(LogConfig(segment_bytes=700, retention_ms=0))
        assert log.gc(clock.now_ms() + 1, max_collectible_offset=bases[2]) > 0
    assert log.start_offset == bases[2]
    stats = install(log, result)
    assert stats.segments_stale == 2 and stats.segments_rewritten == len(result.rewritten) - 2
    assert not temp_files(log)
    assert not any(
        path.name.startswith(f"{base}-") for base in bases[:2] for path in log.directory.iterdir()
    )  # no file of a deleted segment came back
    check_latest_per_key(log, {o: row for o, row in written.items() if o >= bases[2]})
    expected = kept(log)
    log.close()
    assert kept(open_log(segment_bytes=700)) == expected  # clean reopen: the renamed indexes


def test_a_truncation_of_mapped_segments_installs_nothing(open_log) -> None:
    log = open_log(segment_bytes=700)
    updates(log, rounds=20)
    plan = prepare_all(log)
    result = rewrite(plan)
    cut = plan.snapshots[3].base_offset
    log.truncate(cut)  # records that superseded those in segments 0-2 are gone
    before = segment_files(log)
    stats = install(log, result)
    assert stats.segments_stale == len(result.rewritten) and stats.segments_rewritten == 0
    assert segment_files(log) == before and not temp_files(log)
    assert log.kvstore.get(STATE_KEY) is None  # the next pass starts over


def test_rewrite_reads_only_its_own_fds_and_install_discards_for_a_closed_log(open_log) -> None:
    log = open_log(segment_bytes=700)
    updates(log, rounds=10)
    log.flush()  # closes the write fds of the rolled segments
    fds_before = open_fds()
    plan = prepare_all(log)
    assert open_fds() == fds_before + len(plan.snapshots)
    expected = kept(log)
    log.close()  # every fd of the log is closed
    result = rewrite(plan)
    assert result.rewritten and len(temp_files(log)) == 3 * len(result.rewritten)
    stats = install(log, result)
    assert stats.segments_stale == len(result.rewritten) and not temp_files(log)
    assert kept(open_log(segment_bytes=700)) == expected


def test_a_cancelled_rewrite_writes_nothing_and_closes_its_fds(open_log) -> None:
    log = open_log(segment_bytes=700)
    updates(log, rounds=10)
    log.flush()
    fds_before = open_fds()
    plan = prepare_all(log)
    plan.cancel()
    with pytest.raises(CompactionCancelled):
        rewrite(plan)
    assert open_fds() == fds_before and not temp_files(log)
    assert log.kvstore.get(STATE_KEY) is None


def test_prepare_is_none_when_there_is_nothing_new(open_log) -> None:
    log = open_log(segment_bytes=700)
    updates(log, rounds=10)
    assert (
        prepare(log, now_ms=T0_MS, max_collectible_offset=log.next_offset, delete_retention_ms=0)
        is None
    )  # nothing flushed yet
    compact_all(log)
    fds_before = open_fds()
    assert (
        prepare(
            log, now_ms=T0_MS, max_collectible_offset=log.next_offset, delete_retention_ms=HOUR_MS
        )
        is None
    )
    assert open_fds() == fds_before


def test_only_the_last_emptied_batch_of_a_producer_is_kept(open_log) -> None:
    log = open_log(segment_bytes=900)
    seventh = [append(log, [(b"a", b"%d" % i)], producer_id=7)[0] for i in range(3)]
    eighth, _ = append(log, [(b"b", b"1")], producer_id=8)
    updates(log, rounds=2, keys=[b"a", b"b"], value_bytes=300)  # supersedes all of them
    assert active_base(log) == 7
    stats = compact_all(log)
    headers = {h.base_offset: h for h, _ in read_all(log)}
    gap = headers[seventh[0]]  # the first two batches of producer 7 became one gap batch
    assert (gap.producer_id, gap.record_count, gap.last_offset) == (-1, 0, seventh[1])
    for offset, producer_id in ((seventh[2], 7), (eighth, 8)):
        assert (headers[offset].producer_id, headers[offset].record_count) == (producer_id, 0)
    assert stats.batches_dropped == 3  # offsets 0, 1 and 4 (a plain batch)
