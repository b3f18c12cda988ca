"""Aborted transactions as compaction sees them: their records are dropped, and never count
as the latest value of a key (a read_committed consumer never sees them, so they must not
shadow an older committed value). Markers (control batches) are always kept."""

from __future__ import annotations

import bisect

from core.model.batch import BatchHeader


class AbortedRanges:
    """Per producer id, the [first offset, marker offset] ranges of its aborted transactions
    (from the partition's aborted-transactions index, core.storage.txn_index)."""

    def __init__(self, entries: tuple[tuple[int, int, int], ...] = ()) -> None:
        ranges: dict[int, list[tuple[int, int]]] = {}
        for pid, first, last in entries:
            ranges.setdefault(pid, []).append((first, last))
        self._firsts = {pid: [f for f, _ in sorted(rs)] for pid, rs in ranges.items()}
        self._lasts = {pid: [last for _, last in sorted(rs)] for pid, rs in ranges.items()}

    def __bool__(self) -> bool:
        return bool(self._firsts)

    def holds(self, header: BatchHeader) -> bool:
        """Whether the transactional data batch belongs to an aborted transaction."""
        if not header.is_transactional or header.is_control or header.producer_id < 0:
            return False
        firsts = self._firsts.get(header.producer_id)
        if not firsts:
            return False
        i = bisect.bisect_right(firsts, header.base_offset) - 1
        return i >= 0 and header.base_offset <= self._lasts[header.producer_id][i]
