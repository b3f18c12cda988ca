"""Compaction settings from the cluster configuration: min_cleanable_dirty_ratio makes a log
wait until enough of its closed bytes are new since the last pass."""

from __future__ import annotations

from core.model.records import Record, build_batch
from core.storage.compaction import STATE_KEY, compact, dirty_ratio

from .conftest import T0_MS

HOUR_MS = 3_600_000


def _overwrite(log, rounds: int, keys=(b"a", b"b", b"c")) -> None:
    for round_ in range(rounds):
        for key in keys:
            value = f"{key.decode()}-{round_}".encode().ljust(60, b".")
            log.append(build_batch([Record(key, value, timestamp_ms=T0_MS)]), term=1)
    log.flush()  # only flushed segments are compacted


def _pass(log, ratio):
    return compact(
        log,
        now_ms=T0_MS,
        max_collectible_offset=log.next_offset,
        delete_retention_ms=HOUR_MS,
        min_cleanable_dirty_ratio=ratio,
    )


def _current_ratio(log) -> float:
    segments = tuple(log.compactible_segments(log.next_offset))
    return dirty_ratio(segments, log.kvstore.get(STATE_KEY)["mapped_end"])


def test_a_log_waits_until_its_dirty_share_reaches_the_ratio(open_log) -> None:
    log = open_log(segment_bytes=700)
    _overwrite(log, rounds=20)
    first = _pass(log, 0.99)  # nothing mapped yet: every byte is dirty
    assert first.segments_rewritten > 0 and not first.skipped
    _overwrite(log, rounds=4)  # closes a few more segments
    ratio = _current_ratio(log)
    assert 0 < ratio < 1
    files_before = {p.name: p.read_bytes() for p in log.directory.glob("*.log")}
    waiting = _pass(log, min(1.0, ratio + 0.01))
    assert waiting.skipped
    assert {p.name: p.read_bytes() for p in log.directory.glob("*.log")} == files_before
    due = _pass(log, ratio)  # the share reached: compacted
    assert not due.skipped and due.records_removed > 0


def test_without_a_ratio_every_new_segment_is_compacted(open_log) -> None:
    log = open_log(segment_bytes=700)
    _overwrite(log, rounds=20)
    _pass(log, None)
    _overwrite(log, rounds=4)
    again = _pass(log, None)
    assert not again.skipped and again.records_removed > 0
