"""The aborted-transactions index of one partition replica: `aborted_txns.idx` in its directory.

One fixed-size entry per aborted transaction, in marker order (Kafka's AbortedTxn):
producer id, first offset (its first batch here), last offset (its ABORT marker) and the
last stable offset once it completed, four big-endian int64 (32 bytes). An entry is appended
when the ABORT marker is applied, i.e. once it is committed (core.cluster.producer_state), so
Raft never truncates one; a replay (restart, snapshot older than the log) offers entries the
file already holds, which are skipped (an entry must end past the last one).

Durability: `sync()` (fdatasync) runs before the producer snapshot that names an applied
offset is written, so a snapshot never says "applied" for an abort the file may lack; a torn
tail (a crash mid-entry) is cut at open, and entries at or past the log end are dropped.
Retention: entries whose marker lies below the log start are forgotten (`prune`), and the
file is rewritten without them (atomically) once they are most of it.

Reads (`overlapping`) are in memory: four int64 arrays, searched by bisection on the last
offset, as Kafka's fetch collects the aborted transactions of a fetched range.
"""

from __future__ import annotations

import bisect
import os
import pathlib
import struct
from array import array

from core.storage.fs import write_all, write_file_durably

FILE_NAME = "aborted_txns.idx"
_ENTRY = struct.Struct(">qqqq")
_REWRITE_MIN_DEAD = 64  # rewrite the file once this many dead entries are most of it


class AbortedIndex:
    def __init__(self, directory: pathlib.Path) -> None:
        self.path = pathlib.Path(directory) / FILE_NAME
        self._pid = array("q")
        self._first = array("q")
        self._last = array("q")
        self._lso = array("q")
        self._fd: int | None = None
        self._dirty = False
        self._dead = 0  # entries at the front below the log start, still in the file

    def __len__(self) -> int:
        return len(self._last)

    # ---- lifecycle ---------------------------------------------------------------------------
    def load(self, start_offset: int, log_end: int) -> None:
        """Read the file: whole entries only, in order, ending below `log_end`."""
        self.close()
        for column in (self._pid, self._first, self._last, self._lso):
            del column[:]
        raw = self.path.read_bytes() if self.path.exists() else b""
        whole = len(raw) - len(raw) % _ENTRY.size
        kept = 0
        for pid, first, last, lso in _ENTRY.iter_unpack(raw[:whole]):
            if last >= log_end or (self._last and last <= self._last[-1]):
                break
            self._append_memory(pid, first, last, lso)
            kept += 1
        if kept * _ENTRY.size != len(raw):
            self._rewrite()  # a torn tail or entries past the log end: cut them durably
        self.prune(start_offset)

    def close(self) -> None:
        if self._fd is not None:
            if self._dirty:
                os.fdatasync(self._fd)
            os.close(self._fd)
            self._fd = None
            self._dirty = False

    # ---- writes ------------------------------------------------------------------------------
    def add(self, producer_id: int, first_offset: int, last_offset: int, lso: int) -> None:
        """Record an aborted transaction (its marker committed); a replayed one is skipped."""
        if self._last and last_offset <= self._last[-1]:
            return
        self._append_memory(producer_id, first_offset, last_offset, lso)
        if self._fd is None:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
            self._fd = os.open(self.path, flags, 0o644)
        write_all(self._fd, _ENTRY.pack(producer_id, first_offset, last_offset, lso))
        self._dirty = True

    def sync(self) -> None:
        """Make every added entry durable (before a producer snapshot names them applied)."""
        if self._fd is not None and self._dirty:
            os.fdatasync(self._fd)
            self._dirty = False

    def prune(self, start_offset: int) -> None:
        """Forget the entries whose marker is below the log start (retention, DeleteRecords)."""
        dead = bisect.bisect_left(self._last, start_offset)
        if dead == 0:
            return
        for column in (self._pid, self._first, self._last, self._lso):
            del column[:dead]
        self._dead += dead
        if self._dead >= _REWRITE_MIN_DEAD and self._dead >= len(self._last):
            self._rewrite()

    # ---- reads -------------------------------------------------------------------------------
    def overlapping(self, start_offset: int, upper_offset: int) -> list[tuple[int, int]]:
        """(producer id, first offset) of the aborted transactions with data in
        [start_offset, upper_offset): marker at or past the start, first offset below upper."""
        found: list[tuple[int, int]] = []
        last, first = self._last, self._first
        i = bisect.bisect_left(last, start_offset)
        while i < len(last):
            if first[i] < upper_offset:
                found.append((self._pid[i], first[i]))
            if self._lso[i] >= upper_offset:
                break  # every transaction completed later started at or past upper_offset
            i += 1
        return found

    def entries(self) -> list[tuple[int, int, int, int]]:
        return list(zip(self._pid, self._first, self._last, self._lso, strict=True))

    # ---- internals ---------------------------------------------------------------------------
    def _append_memory(self, pid: int, first: int, last: int, lso: int) -> None:
        self._pid.append(pid)
        self._first.append(first)
        self._last.append(last)
        self._lso.append(lso)

    def _rewrite(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self._dirty = False
        data = b"".join(_ENTRY.pack(*entry) for entry in self.entries())
        write_file_durably(self.path, data)
        self._dead = 0
