"""Errors raised by the storage layer.

Operating errors (a fetch below the log start, an unreadable store) are exceptions the
layer above maps to Kafka error codes; programmer errors are assertions.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base class for storage failures the caller is expected to handle."""


class OffsetOutOfRange(StorageError):
    """A read asked for an offset below the log start offset."""

    def __init__(self, offset: int, start_offset: int) -> None:
        super().__init__(f"offset {offset} is below the log start offset {start_offset}")
        self.offset = offset
        self.start_offset = start_offset


class KvStoreError(StorageError):
    """The key-value file exists but cannot be read back as a JSON object."""
