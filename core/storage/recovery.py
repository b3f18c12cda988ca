"""Startup recovery of a partition directory: load segments, cut torn tails.

After a clean shutdown each segment is taken from its index files (written by the
close, and checked against the log file's size), so a restart reads no log data. When
the last shutdown was not clean, or a segment's index files are missing or invalid,
each batch of the segment is scanned (header, CRC32C, contiguous offsets, term). The log is cut at the first bad batch: the file is
truncated there and every later segment is deleted. Segments wholly below the
persisted start offset (a prefix truncation interrupted by a crash) are deleted too.
Then what was kept is fsynced, so the log may start with flushed = next offset.
"""

from __future__ import annotations

import logging
import os
import pathlib

from core.storage.fs import TEMP_SUFFIX, fsync_directory
from core.storage.segment import Segment, parse_segment_name

logger = logging.getLogger("ailurus.storage")

INDEX_SUFFIXES = (".index", ".timeindex")
# Files a compaction pass writes before renaming them over a segment and its indexes
# (core.storage.compaction): a leftover one is from a pass a crash interrupted, and the
# segment it was to replace is still whole under its own name.
COMPACTION_TEMP_SUFFIX = ".compaction" + TEMP_SUFFIX


def _segment_files(directory: pathlib.Path) -> list[tuple[int, int]]:
    """(base offset, term) of every segment file, by base offset, after removing the orphans
    (one listing of the directory for both)."""
    names = os.listdir(directory)
    found = []
    for name in _remove_orphans(directory, names):
        parsed = parse_segment_name(name)
        if parsed is not None:
            found.append(parsed)
    found.sort()
    bases = [base for base, _ in found]
    assert len(set(bases)) == len(bases), f"two segments share a base offset in {directory}"
    return found


def _remove_orphans(directory: pathlib.Path, names: list[str]) -> list[str]:
    """Remove the index files whose log is gone (a deletion interrupted by a crash) and the
    temporary files of an interrupted compaction pass; the names left."""
    present = set(names)
    kept = []
    for name in names:
        stem, dot, suffix = name.rpartition(".")
        orphan = f".{suffix}" in INDEX_SUFFIXES and f"{stem}.log" not in present
        if name.endswith(COMPACTION_TEMP_SUFFIX) or (dot and orphan):
            os.unlink(directory / name)
        else:
            kept.append(name)
    return kept


def _load_one(segment: Segment, must_scan: bool) -> str | None:
    """Bring `segment` up to date; the reason the scan cut it, if it did."""
    if not must_scan and segment.load_index():
        return None
    result = segment.recover()
    return result.problem


def recover_segments(
    directory: pathlib.Path, start_offset: int, clean: bool, index_interval_bytes: int
) -> list[Segment]:
    """Open, check and repair the segments of `directory`; fsync what changed."""
    found = _segment_files(directory)
    segments: list[Segment] = []
    changed = False
    for slot, (base_offset, term) in enumerate(found):
        segment = Segment.open_existing(directory, base_offset, term, index_interval_bytes)
        problem = _load_one(segment, must_scan=not clean)
        gap = bool(segments) and segments[-1].next_offset != segment.base_offset
        if gap:
            problem = f"starts at {base_offset}, previous ends at {segments[-1].next_offset}"
        if problem is not None:
            logger.warning(
                "truncating log %s at segment %s: %s", directory, segment.path.name, problem
            )
            changed = True
        if gap or segment.is_empty or segment.next_offset <= start_offset:
            _drop(segment)
            changed = True
        else:
            segments.append(segment)
        if problem is not None:
            changed |= _drop_later(directory, found[slot + 1 :], index_interval_bytes)
            break
    # What was scanned may sit only in the page cache of a crashed process: make it
    # durable before the log reports it as flushed. A clean shutdown flushed everything
    # before writing its marker: then only a tail this scan cut needs it.
    for segment in segments if not clean else segments[-1:] if changed else []:
        os.fsync(segment.read_fd)
    if changed or not clean:
        fsync_directory(directory)
    _check_contiguous(segments)
    return segments


def _drop(segment: Segment) -> None:
    segment.unlink_files()
    segment.close()


def _drop_later(
    directory: pathlib.Path, later: list[tuple[int, int]], index_interval_bytes: int
) -> bool:
    for base_offset, term in later:
        segment = Segment(directory, base_offset, term, index_interval_bytes)
        logger.warning("deleting segment %s after a truncation point", segment.path.name)
        segment.unlink_files()
    return bool(later)


def _check_contiguous(segments: list[Segment]) -> None:
    for before, after in zip(segments, segments[1:]):
        assert before.next_offset == after.base_offset, (before.path, after.path)
        assert before.term <= after.term, "terms never decrease along the log"
    for segment in segments:
        assert segment.next_offset > segment.base_offset and segment.size_bytes > 0
