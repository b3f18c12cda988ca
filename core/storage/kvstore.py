"""A small durable JSON key-value file, one per partition directory.

Holds the state the log and Raft must not lose: log start offset, clean-shutdown
marker, Raft term and vote, term history, producer-state snapshots. Every write
replaces the whole file atomically and durably: write a temporary file, fsync it,
rename it over the old one, fsync the directory. A crash leaves either the old or
the new contents, never a mix. The store is meant for small values (kilobytes).
"""

from __future__ import annotations

import copy
import json
import pathlib
from collections.abc import Mapping
from typing import Any

from core.storage.errors import KvStoreError
from core.storage.fs import TEMP_SUFFIX, write_file_durably


class KvStore:
    def __init__(self, path: pathlib.Path, data: dict[str, Any]) -> None:
        self.path = path
        self._data = data

    @classmethod
    def open(cls, path: pathlib.Path) -> KvStore:
        """Load `path` (an empty store when it does not exist yet)."""
        path = pathlib.Path(path)
        temp = path.with_name(path.name + TEMP_SUFFIX)
        if temp.exists():
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
        write_file_durably(self.path, payload)
