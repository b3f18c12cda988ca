"""The Log interface: all Raft knows of storage (storage.DiskLog satisfies it structurally).

Flushing is storage's (core.storage.group_commit): Raft learns the flushed offset through
its `on_flushed` callback and reads `flushed_offset`; it never runs a flush round itself."""

from __future__ import annotations

from typing import Any, Protocol


class Log(Protocol):
    start_offset: int
    next_offset: int
    flushed_offset: int
    kvstore: Any

    def append(self, batch: bytearray, term: int) -> tuple[int, int]: ...

    def append_replicated(self, batch: bytearray, term: int) -> tuple[int, int]: ...

    def flush(self) -> None: ...

    def truncate(self, offset: int) -> None: ...

    def prefix_truncate(self, new_start: int) -> None: ...

    def read_bytes(self, offset: int, max_bytes: int, upper_offset: int) -> bytes: ...

    def segment_terms(self) -> list[tuple[int, int]]: ...
