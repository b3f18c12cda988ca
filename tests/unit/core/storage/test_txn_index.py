"""The aborted-transactions index file: append, replayed entries skipped, torn tail and
entries past the log end cut at load, pruning below the log start, overlapping ranges."""

from __future__ import annotations

from core.storage.txn_index import FILE_NAME, AbortedIndex


def test_entries_survive_a_reload_and_replays_are_skipped(tmp_path) -> None:
    index = AbortedIndex(tmp_path)
    index.add(7, 0, 5, 6)
    index.add(8, 3, 9, 10)
    index.add(7, 0, 5, 6)  # a replay after a restart: already there
    index.sync()
    index.close()
    again = AbortedIndex(tmp_path)
    again.load(0, 100)
    assert again.entries() == [(7, 0, 5, 6), (8, 3, 9, 10)]


def test_torn_tail_and_entries_past_the_log_end_are_cut(tmp_path) -> None:
    index = AbortedIndex(tmp_path)
    for i in range(4):
        index.add(i, 10 * i, 10 * i + 5, 10 * i + 6)
    index.close()
    path = tmp_path / FILE_NAME
    path.write_bytes(path.read_bytes() + b"\x00\x01\x02")  # a crash mid-entry
    again = AbortedIndex(tmp_path)
    again.load(0, 26)  # the log ends at 26: the entry whose marker is 35 is gone
    assert [e[0] for e in again.entries()] == [0, 1, 2]
    assert path.stat().st_size == 3 * 32
    again.add(9, 30, 31, 32)
    again.close()
    third = AbortedIndex(tmp_path)
    third.load(0, 100)
    assert [e[0] for e in third.entries()] == [0, 1, 2, 9]


def test_prune_forgets_markers_below_the_start_and_rewrites_the_file(tmp_path) -> None:
    index = AbortedIndex(tmp_path)
    for i in range(200):
        index.add(1, 2 * i, 2 * i + 1, 2 * i + 2)
    index.prune(300)  # markers 1, 3, ..., 299 are below the log start
    assert len(index) == 50 and index.entries()[0] == (1, 300, 301, 302)
    index.close()
    assert (tmp_path / FILE_NAME).stat().st_size == 50 * 32
    again = AbortedIndex(tmp_path)
    again.load(300, 1000)
    assert len(again) == 50


def test_overlapping_returns_transactions_with_data_in_the_range(tmp_path) -> None:
    index = AbortedIndex(tmp_path)
    index.add(1, 0, 4, 2)  # data 0-3, marker 4; producer 2 still open from 2
    index.add(2, 2, 10, 11)  # data from 2, marker 10
    index.add(3, 12, 14, 15)
    assert index.overlapping(0, 3) == [(1, 0), (2, 2)]
    assert index.overlapping(5, 11) == [(2, 2)]
    assert index.overlapping(11, 12) == []
    assert index.overlapping(11, 20) == [(3, 12)]
    assert index.overlapping(15, 30) == []
