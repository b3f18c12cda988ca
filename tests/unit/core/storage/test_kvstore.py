"""KvStore: atomic, durable JSON key-value file."""

from __future__ import annotations

import json
import os

import pytest

from core.storage.errors import KvStoreError
from core.storage.kvstore import KvStore


def test_put_get_delete_survive_reopen(tmp_path) -> None:
    path = tmp_path / "kvstore.json"
    store = KvStore.open(path)
    assert store.get("missing") is None and store.get("missing", 7) == 7
    store.put("raft.term", 5)
    store.put_many({"raft.voted_for": {"node": 1, "term": 5}, "history": [[1, 0], [5, 40]]})
    store.delete("nothing-here")
    reopened = KvStore.open(path)
    assert reopened.get("raft.term") == 5
    assert reopened.get("raft.voted_for") == {"node": 1, "term": 5}
    assert reopened.get("history") == [[1, 0], [5, 40]]
    reopened.delete("raft.term")
    assert KvStore.open(path).keys() == ["history", "raft.voted_for"]


def test_values_are_detached_from_callers(tmp_path) -> None:
    store = KvStore.open(tmp_path / "kv.json")
    value = {"list": [1, 2]}
    store.put("k", value)
    value["list"].append(3)
    got = store.get("k")
    got["list"].append(4)
    assert store.get("k") == {"list": [1, 2]}


def test_unserialisable_value_changes_nothing(tmp_path) -> None:
    path = tmp_path / "kv.json"
    store = KvStore.open(path)
    store.put("a", 1)
    with pytest.raises(TypeError):
        store.put_many({"b": 2, "c": object()})
    assert store.get("b") is None
    assert json.loads(path.read_bytes()) == {"a": 1}


def test_interrupted_write_leaves_old_contents(tmp_path) -> None:
    path = tmp_path / "kv.json"
    KvStore.open(path).put("a", 1)
    # a crash between writing the temporary file and the rename
    (tmp_path / "kv.json.tmp").write_bytes(b'{"a": 2, "half')
    store = KvStore.open(path)
    assert store.get("a") == 1
    assert not (tmp_path / "kv.json.tmp").exists()
    assert sorted(os.listdir(tmp_path)) == ["kv.json"]


def test_corrupt_store_is_an_error(tmp_path) -> None:
    path = tmp_path / "kv.json"
    path.write_bytes(b"[1, 2]")
    with pytest.raises(KvStoreError):
        KvStore.open(path)
    path.write_bytes(b"{not json")
    with pytest.raises(KvStoreError):
        KvStore.open(path)
