"""The Log interface: all Raft knows of storage (storage.DiskLog satisfies it structurally)."""

from __future__ import annotations

from typing import Any, Protocol


class FlushTicketLike(Protocol):
    target_offset: int


class Log(Protocol):
    start_offset: int
    next_offset: int
    flushed_offset: int
    active_term: int
    kvstore: Any

    def append(self, batch: bytearray, term: int) -> tuple[int, int]: ...

    def flush_begin(self) -> FlushTicketLike | None: ...

    @staticmethod
    def flush_run(ticket: FlushTicketLike) -> None: ...

    def flush_end(self, ticket: FlushTicketLike) -> None: ...

    def flush(self) -> None: ...

    def truncate(self, offset: int) -> None: ...

    def read_bytes(self, offset: int, max_bytes: int, upper_offset: int) -> bytes: ...

    def segment_terms(self) -> list[tuple[int, int]]: ...
