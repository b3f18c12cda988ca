"""The coordinator's pure parts: the __transaction_state record format, timeouts, and
transactional group offsets in the group coordinator core and its loader."""

from __future__ import annotations

from kio.schema.errors import ErrorCode

from core.groups.loader import PartitionLoad
from core.groups.log_format import OffsetKey, OffsetValue, encode_offset_key, encode_offset_value
from core.groups.offsets import CommitParams
from core.groups.results import OffsetCommitItem
from core.transactions.log_format import decode_key, decode_value, encode_key, encode_value
from core.transactions.state import TxnMetadata, TxnState, TxnTable
from tests.support.groups import Harness


def test_transaction_log_records_round_trip_in_kafkas_layout():
    meta = TxnMetadata(
        "tx-é", 7, 3, 60000, TxnState.PREPARE_COMMIT,
        frozenset({("a", 1), ("a", 0), ("b", 2)}), 1000, 2000,
    )  # fmt: skip
    key, value = encode_key(meta.transactional_id), encode_value(meta)
    assert key[:2] == b"\x00\x00" and value[:2] == b"\x00\x00"  # version 0 key and value
    assert value[2:10] == (7).to_bytes(8, "big") and value[10:12] == (3).to_bytes(2, "big")
    assert decode_key(key) == "tx-é"
    assert decode_value("tx-é", value) == meta


def test_expired_only_while_ongoing_past_the_timeout():
    meta = TxnMetadata("t", 1, 0, 1000, TxnState.ONGOING, start_ms=5000)
    assert not meta.expired(5999) and meta.expired(6000)
    assert not meta.but(state=TxnState.PREPARE_ABORT).expired(10_000)


def test_txn_table_keeps_the_ongoing_ids_at_hand():
    table = TxnTable(lambda tid: ord(tid) % 2)
    table["a"] = TxnMetadata("a", 1, 0, 1000, TxnState.ONGOING, start_ms=1)
    table["b"] = TxnMetadata("b", 2, 0, 1000, TxnState.COMPLETE_COMMIT)
    assert table.ongoing == {"a"}
    table["a"] = table["a"].but(state=TxnState.PREPARE_COMMIT)
    table["b"] = table["b"].but(state=TxnState.ONGOING)
    assert table.ongoing == {"b"} and set(table) == {"a", "b"}
    assert (table.partition("a"), table.partition("b"), table.partition("c")) == (1, 0, None)
    assert table.in_partition(0) == ["b"] and table.in_partition(1) == ["a"]
    del table["b"]
    assert table.ongoing == set() and list(table) == ["a"] and table.in_partition(0) == []
    table.put_in(7, "c", TxnMetadata("c", 3, 0, 1000))  # read from partition 7: no hash
    assert table.partition("c") == 7 and table.in_partition(7) == ["c"]
    assert table.of_producer(3) is table["c"] and table.of_producer(2) is None  # "b" deleted
    table["c"] = table["c"].but(producer_id=9)  # a new producer id (epoch exhausted)
    assert table.of_producer(3) is None and table.of_producer(9) is table["c"]


def _commit(h: Harness, pid: int, offset: int):
    params = CommitParams("g", [OffsetCommitItem("t", 0, offset, -1, "")])
    return h.mgr.txn_commit_offsets(params, pid, 0)


def test_txn_offsets_visible_at_commit_dropped_at_abort():
    h = Harness()
    assert [e for _, e in _commit(h, 5, 10).value] == [h.mgr.coordinator_error("g")]
    fetched = h.mgr.fetch_offsets("g", [("t", 0)]).offsets[0]
    assert fetched.offset == -1  # pending: not visible
    partition = h.mgr.partition_of("g")
    h.mgr.complete_txn(partition, 5, commit=True)
    assert h.mgr.fetch_offsets("g", [("t", 0)]).offsets[0].offset == 10
    _commit(h, 6, 20)
    h.mgr.complete_txn(partition, 6, commit=False)
    assert h.mgr.fetch_offsets("g", [("t", 0)]).offsets[0].offset == 10


def _offset_record(offset: int) -> tuple[bytes, bytes]:
    return (
        encode_offset_key(OffsetKey("g", "t", 0)),
        encode_offset_value(OffsetValue(offset, -1, "", 0)),
    )


def test_loader_replays_transactional_offsets_with_their_markers():
    load = PartitionLoad(0)
    load.apply(*_offset_record(1))
    load.apply_txn(5, *_offset_record(10))  # committed below
    load.apply_txn(6, *_offset_record(20))  # aborted below
    load.apply_txn(7, *_offset_record(30))  # still open at the end of the log
    load.apply_marker(6, commit=False)
    load.apply_marker(5, commit=True)
    (group,) = load.groups_loaded(0)
    assert group.offsets[("t", 0)].offset == 10
    assert set(group.txn_pending) == {7}
    assert group.txn_pending[7][("t", 0)].offset == 30


def test_require_stable_fetch_answers_unstable_while_a_transaction_holds_offsets():
    h = Harness()
    _commit(h, 5, 10)
    (plain,) = h.mgr.fetch_offsets("g", [("t", 0)]).offsets
    assert plain.offset == -1 and plain.error == ErrorCode.none
    (stable,) = h.mgr.fetch_offsets("g", [("t", 0)], require_stable=True).offsets
    assert stable.error == ErrorCode.unstable_offset_commit
    h.mgr.complete_txn(h.mgr.partition_of("g"), 5, commit=True)
    (done,) = h.mgr.fetch_offsets("g", [("t", 0)], require_stable=True).offsets
    assert done.offset == 10 and done.error == ErrorCode.none
