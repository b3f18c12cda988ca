"""Segmented on-disk log of a partition, its indexes, and the per-partition kvstore."""

from core.storage.errors import KvStoreError, OffsetOutOfRange, StorageError
from core.storage.flush import FlushTicket
from core.storage.kvstore import KvStore
from core.storage.log import DiskLog, LogConfig, ReadSlice

__all__ = [
    "DiskLog",
    "FlushTicket",
    "KvStore",
    "KvStoreError",
    "LogConfig",
    "OffsetOutOfRange",
    "ReadSlice",
    "StorageError",
]
