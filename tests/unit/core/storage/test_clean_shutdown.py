"""The broker's one clean-shutdown record (core.storage.clean_shutdown), logs opened under it
(`DiskLog.open(clean=...)`: no marker of their own), and the journal of a deferred kvstore
batch (core.storage.kvstore) replayed after a crash."""

from __future__ import annotations

import json
import os

from core.storage.clean_shutdown import CleanShutdownRecord
from core.storage.fs import write_file_durably
from core.storage.kvstore import JOURNAL_NAME, KvStore, deferred_durability, replay_journal
from core.storage.log import CLEAN_SHUTDOWN_KEY, DiskLog, LogConfig


def test_record_says_clean_only_after_the_end_of_a_run(tmp_path):
    first = CleanShutdownRecord(tmp_path)
    assert (first.was_clean, first.run) == (False, 1)  # nothing recorded: as after a crash
    first.begin_run()
    crashed = CleanShutdownRecord(tmp_path)  # a start after a crash mid-run
    assert (crashed.was_clean, crashed.run) == (False, 2)
    crashed.begin_run()
    crashed.end_run()
    after = CleanShutdownRecord(tmp_path)
    assert (after.was_clean, after.run) == (True, 3)
    after.begin_run()
    assert CleanShutdownRecord(tmp_path).was_clean is False


def _corrupt_last_byte(directory):
    (segment,) = directory.glob("*.log")
    data = bytearray(segment.read_bytes())
    data[-1] ^= 0xFF  # inside the last batch's records: its CRC no longer matches
    segment.write_bytes(bytes(data))


def test_a_log_under_the_record_keeps_no_marker_and_scans_only_when_told(
    tmp_path, clock, make_batch
):
    directory = tmp_path / "t" / "0_1"
    log = DiskLog.open(directory, LogConfig(), clock, clean=False)
    for tag in range(3):
        log.append(make_batch(tag=tag), term=1)
    log.close()
    assert KvStore.open(directory / "kvstore.json").get(CLEAN_SHUTDOWN_KEY) is None
    _corrupt_last_byte(directory)
    # the record said clean: the segment is taken from its index (no data read)
    trusted = DiskLog.open(directory, LogConfig(), clock, clean=True)
    assert trusted.next_offset == 3
    trusted.close()
    # the record said not clean: every batch is checked, the corrupt one cut
    scanned = DiskLog.open(directory, LogConfig(), clock, clean=False)
    assert scanned.next_offset == 2
    scanned.close()
    assert KvStore.open(directory / "kvstore.json").get(CLEAN_SHUTDOWN_KEY) is None


def test_a_deferred_batch_overwrites_each_store_in_place_exactly(tmp_path):
    path = tmp_path / "p" / "kvstore.json"
    path.parent.mkdir()
    KvStore.open(path).put("producers", "x" * 500)
    with deferred_durability(tmp_path):
        store = KvStore.open(path)
        store.delete("producers")
        store.put("term", 7)
    assert json.loads(path.read_bytes()) == {"term": 7}  # no bytes of the longer old file
    assert not (tmp_path / JOURNAL_NAME).exists()
    assert [p.name for p in path.parent.iterdir()] == ["kvstore.json"]  # no temporary file


def test_a_journal_left_by_a_crash_is_written_again_before_the_next_batch(tmp_path):
    stores = [tmp_path / name / "kvstore.json" for name in ("a", "b")]
    for path in stores:
        path.parent.mkdir()
        KvStore.open(path).put("term", 1)
    # the crash came after the journal's rename, with one store half written
    # (paths relative to the batch's directory; an absolute one is read as such)
    journal = {str(path.relative_to(tmp_path)): json.dumps({"term": 2}) for path in stores}
    journal[str(tmp_path / "gone" / "kvstore.json")] = "{}"  # a store deleted since
    write_file_durably(tmp_path / JOURNAL_NAME, json.dumps(journal).encode())
    stores[0].write_bytes(b'{"te')
    with deferred_durability(tmp_path):  # replays first
        assert [KvStore.open(path).get("term") for path in stores] == [2, 2]
    assert not (tmp_path / JOURNAL_NAME).exists()
    replay_journal(tmp_path)  # nothing left to replay
    # a journal whose rename never happened is not replayed: its batch never took place
    temp = tmp_path / (JOURNAL_NAME + ".tmp")
    temp.write_bytes(json.dumps({str(stores[1]): json.dumps({"term": 9})}).encode())
    replay_journal(tmp_path)
    assert KvStore.open(stores[1]).get("term") == 2
    assert not os.path.exists(temp)
