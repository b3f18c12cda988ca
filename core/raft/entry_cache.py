"""The leader's most recent entries, kept in memory so that sending them to the followers does
not read back from the segment what was just written (a pread and a batch split per
AppendEntries were ~10% of a leader's event loop under acks=all load).

Only what this replica appended as leader is kept, as one contiguous run ending at the log's
next offset; anything else (a follower append, a truncation, a read below the run, a log end
that moved without us) misses and the caller reads the log. Bounded per group
(`GROUP_MAX_BYTES`) and per process (`PROCESS_MAX_BYTES`, shared by every group)."""

from __future__ import annotations

from collections import deque

from core.raft.types import Entry

GROUP_MAX_BYTES = 1024 * 1024
PROCESS_MAX_BYTES = 64 * 1024 * 1024


class _Budget:
    used_bytes = 0


class EntryCache:
    def __init__(self) -> None:
        self._entries: deque[Entry] = deque()
        self._bytes = 0

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def put(self, entry: Entry) -> None:
        """A batch this leader appended (its bytes as written: offsets and epoch stamped)."""
        entries = self._entries
        if entries and entries[-1].last + 1 != entry.base:
            self.clear()
        n = len(entry.payload)
        while entries and (self._bytes + n > GROUP_MAX_BYTES or _over_budget(n)):
            self._drop_oldest()
        if n > GROUP_MAX_BYTES or _over_budget(n):
            self.clear()
            return
        entries.append(entry)
        self._bytes += n
        _Budget.used_bytes += n

    def read(self, offset: int, max_bytes: int, log_end: int) -> list[Entry] | None:
        """Entries from `offset` (a batch base) up to `max_bytes` (at least one), or None when
        the run does not hold `offset` or no longer ends at the log's end `log_end`."""
        entries = self._entries
        if not entries or entries[-1].last + 1 != log_end or offset < entries[0].base:
            return None
        if offset >= log_end:
            return []
        out: list[Entry] = []
        size = 0
        for e in entries:  # short: at most GROUP_MAX_BYTES of batches
            if e.base < offset:
                continue
            if e.base != offset and not out:
                return None  # not a batch boundary
            if out and size + len(e.payload) > max_bytes:
                break
            out.append(e)
            size += len(e.payload)
        return out or None

    def clear(self) -> None:
        _Budget.used_bytes -= self._bytes
        self._entries.clear()
        self._bytes = 0

    def _drop_oldest(self) -> None:
        n = len(self._entries.popleft().payload)
        self._bytes -= n
        _Budget.used_bytes -= n


def _over_budget(n: int) -> bool:
    return _Budget.used_bytes + n > PROCESS_MAX_BYTES


def cached_bytes() -> int:
    """Bytes held by every group's cache in this process."""
    return _Budget.used_bytes
