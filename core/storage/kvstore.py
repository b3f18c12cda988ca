"""A small durable JSON key-value file, one per partition directory.

Holds the state the log and Raft must not lose: log start offset, clean-shutdown
marker, Raft term and vote, term history, producer-state snapshots. Every write
replaces the whole file atomically and durably: write a temporary file, fsync it,
rename it over the old one, fsync the directory. A crash leaves either the old or
the new contents, never a mix. The store is meant for small values (kilobytes).

`deferred_durability(directory)` batches that for the broker's start, where thousands of
stores are written (a partition's clean-shutdown marker, its Raft term) before anything
outside the process can see them: inside it a write leaves its temporary file unsynced and
unrenamed; on exit one syncfs(2) makes every temporary file durable, the renames follow, and a
second syncfs makes them durable. A crash before the exit leaves every store as it was (open()
removes the temporary files); after it, as the writes left them. Two syncfs calls instead of
two fsyncs per write.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import json
import os
import pathlib
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from core.storage.errors import KvStoreError
from core.storage.fs import TEMP_SUFFIX, write_all, write_file_durably

# final path -> payload of the writes deferred by deferred_durability (None: not deferring)
_deferred: dict[pathlib.Path, bytes] | None = None


class KvStore:
    def __init__(self, path: pathlib.Path, data: dict[str, Any]) -> None:
        self.path = path
        self._data = data

    @classmethod
    def open(cls, path: pathlib.Path) -> KvStore:
        """Load `path` (an empty store when it does not exist yet)."""
        path = pathlib.Path(path)
        temp = _temp(path)
        if temp.exists() and (_deferred is None or path not in _deferred):
            temp.unlink()  # a write that never reached its rename: the old file stands
        if not path.exists():
            return cls(path, {})
        try:
            data = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError) as error:
            raise KvStoreError(f"cannot read key-value store {path}: {error}") from error
        if not isinstance(data, dict):
            raise KvStoreError(f"key-value store {path} does not hold a JSON object")
        return cls(path, data)

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self._data:
            return default
        return copy.deepcopy(self._data[key])

    def keys(self) -> list[str]:
        return sorted(self._data)

    def put(self, key: str, value: Any) -> None:
        self.put_many({key: value})

    def put_many(self, mapping: Mapping[str, Any]) -> None:
        """Set every key of `mapping` in one atomic, durable write."""
        assert all(isinstance(key, str) for key in mapping), "keys are strings"
        updated = dict(self._data)
        for key, value in mapping.items():
            # A JSON round trip checks the value is serialisable and detaches it
            # from the caller's objects.
            updated[key] = json.loads(json.dumps(value))
        self._write(updated)
        self._data = updated

    def delete(self, key: str) -> None:
        if key not in self._data:
            return
        updated = dict(self._data)
        del updated[key]
        self._write(updated)
        self._data = updated

    def _write(self, data: dict[str, Any]) -> None:
        payload = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
        if _deferred is None:
            write_file_durably(self.path, payload)
            return
        fd = os.open(_temp(self.path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            write_all(fd, payload)
        finally:
            os.close(fd)
        _deferred[self.path] = payload


def _temp(path: pathlib.Path) -> pathlib.Path:
    return path.with_name(path.name + TEMP_SUFFIX)


def _syncfs(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syncfs(fd) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


@contextlib.contextmanager
def deferred_durability(directory: pathlib.Path) -> Iterator[None]:
    """Batch the durable writes of the stores under `directory` (one file system) until the
    block ends (module docstring). Only for code during which nothing outside the process sees
    the stores' new contents: the broker's start, before its listeners. Without syncfs (not
    Linux) or when already batching, writes stay durable one by one."""
    global _deferred
    if _deferred is not None or not sys.platform.startswith("linux"):
        yield
        return
    pending: dict[pathlib.Path, bytes] = {}
    _deferred = pending
    try:
        yield
    finally:
        _deferred = None
        if pending:
            _commit(directory, pending)


def _commit(directory: pathlib.Path, pending: dict[pathlib.Path, bytes]) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        _syncfs(fd)  # every temporary file's contents
        for path in pending:
            os.replace(_temp(path), path)
        _syncfs(fd)  # the renames
    finally:
        os.close(fd)
