"""HardStateStore.load: the higher term of the kvstore key and the state file wins (the file on
a tie); a file older than the key is removed, so later starts read one file, not two."""

from __future__ import annotations

import json

from core.raft.hard_state import KVSTORE_KEY, STATE_FILE, HardStateStore
from core.storage.kvstore import KvStore


def _store(tmp_path, kv_term: int | None, file_term: int | None) -> HardStateStore:
    kvstore = KvStore.open(tmp_path / "kvstore.json")
    if kv_term is not None:
        kvstore.put(KVSTORE_KEY, {"term": kv_term, "voted_for": 0})
    if file_term is not None:
        (tmp_path / STATE_FILE).write_text(json.dumps({"term": file_term, "voted_for": 0}))
    return HardStateStore(kvstore, tmp_path, (0,))


def test_a_file_older_than_the_kvstore_key_loses_and_is_removed(tmp_path):
    assert _store(tmp_path, 4, 0).load()["term"] == 4
    assert not (tmp_path / STATE_FILE).exists()
    assert _store(tmp_path, None, None).load()["term"] == 4  # the key alone, no file read


def test_a_newer_or_equal_file_wins_and_stays(tmp_path):
    assert _store(tmp_path, 4, 6).load()["term"] == 6
    assert _store(tmp_path, 6, 6).load()["term"] == 6
    assert (tmp_path / STATE_FILE).exists()


def test_no_state_anywhere_is_an_empty_state(tmp_path):
    assert _store(tmp_path, None, None).load() == {}
