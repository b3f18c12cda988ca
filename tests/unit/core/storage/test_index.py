"""SparseIndex lookups and its on-disk files."""

from __future__ import annotations

from core.storage.index import IndexSummary, SparseIndex


def build_index(batches: int, batch_bytes: int = 100, interval_bytes: int = 250) -> SparseIndex:
    index = SparseIndex(base_offset=1000, interval_bytes=interval_bytes)
    running_ms = 0
    for slot in range(batches):
        running_ms = max(running_ms, 10 * slot)
        index.on_batch(1000 + 2 * slot, slot * batch_bytes, batch_bytes, running_ms)
    return index


def test_entries_every_interval() -> None:
    index = build_index(10)
    # an entry for the first batch, then once >= 250 bytes went by since the last one
    assert list(index.positions) == [0, 300, 600, 900]
    assert list(index.relative_offsets) == [0, 6, 12, 18]
    assert list(index.max_timestamps) == [0, 30, 60, 90]


def test_lookups() -> None:
    index = build_index(10)
    assert index.floor(999) == 0 and index.floor(1000) == 0
    assert index.floor(1011) == 300 and index.floor(1012) == 600
    assert index.scan_hint(limit_position=650, upper_offset=2000) == 600
    assert index.scan_hint(limit_position=650, upper_offset=1012) == 300
    assert index.scan_hint(limit_position=100, upper_offset=1000) == 0
    assert index.time_floor(0) == 0 and index.time_floor(31) == 300
    assert index.time_floor(1000) == 900


def test_truncate_drops_entries_at_and_after_position() -> None:
    index = build_index(10)
    index.truncate(600)
    assert list(index.positions) == [0, 300]
    index.on_batch(1012, 600, 100, 60)  # 300 bytes since the entry at 300
    assert list(index.positions) == [0, 300, 600]


def test_write_load_round_trip_and_validation(tmp_path) -> None:
    index = build_index(10)
    offset_path, time_path = tmp_path / "s.index", tmp_path / "s.timeindex"
    summary = IndexSummary(next_offset=1020, max_timestamp_ms=90, log_bytes=1000)
    index.write(offset_path, time_path, summary)
    loaded = SparseIndex(base_offset=1000, interval_bytes=250)
    assert loaded.load(offset_path, time_path, log_bytes=1000) == summary
    assert loaded.positions == index.positions
    assert loaded.max_timestamps == index.max_timestamps
    assert SparseIndex(1000, 250).load(offset_path, time_path, log_bytes=999) is None
    assert SparseIndex(1001, 250).load(offset_path, time_path, log_bytes=1000) is None
    data = bytearray(offset_path.read_bytes())
    data[-1] ^= 1
    offset_path.write_bytes(data)
    assert SparseIndex(1000, 250).load(offset_path, time_path, log_bytes=1000) is None
    offset_path.unlink()
    assert SparseIndex(1000, 250).load(offset_path, time_path, log_bytes=1000) is None
