"""Compaction of a transactional, compacted topic on a real broker: records of aborted
transactions are dropped and never shadow an older committed value of their key, committed
transactional records are compacted as any record, and every marker stays."""

from __future__ import annotations

import time

from tests.support.broker import BrokerProcess
from tests.support.raw_client import RawClient
from tests.support.topics import make_topic
from tests.support.txn_requests import (
    READ_COMMITTED,
    READ_UNCOMMITTED,
    committed_values,
    fetch_all,
    init_producer_id,
    list_offset,
    produce,
    write_markers,
)

TOPIC = "txn-compacted"
TP = [(TOPIC, 0)]
DEADLINE_S = 40
EARLIEST = -2
FILLER = 40  # 1 KiB records with distinct keys: closes the segments above them (4 KiB)


def keyed(pid: int, epoch: int, seq: int, pairs, transactional: bool):
    from core.model.records import Record, build_batch

    return build_batch(
        [Record(key=k, value=v) for k, v in pairs],
        producer_id=pid,
        producer_epoch=epoch,
        base_sequence=seq,
        transactional=transactional,
    )


def test_compaction_drops_aborted_records_and_keeps_markers(tmp_path) -> None:
    broker = BrokerProcess(
        tmp_path / "b",
        "--set", "log_compaction_interval_ms=200",
        "--set", "log_segment_size_min=1024",
    ).start()  # fmt: skip
    client = RawClient(broker.kafka_port)
    try:
        make_topic(
            broker.bootstrap, TOPIC, 1, {"cleanup.policy": "compact", "segment.bytes": "4096"}
        )
        plain, plain_epoch = init_producer_id(client)
        a_pid, a_epoch = init_producer_id(client)
        b_pid, b_epoch = init_producer_id(client)
        assert (
            produce(client, TOPIC, 0, keyed(plain, plain_epoch, 0, [(b"k", b"v1")], False))[0] == 0
        )
        aborted = keyed(a_pid, a_epoch, 0, [(b"k", b"aborted-k"), (b"j", b"aborted-j")], True)
        assert produce(client, TOPIC, 0, aborted)[0] == 0
        assert write_markers(client, a_pid, a_epoch, False, TP) == [0]
        assert produce(client, TOPIC, 0, keyed(b_pid, b_epoch, 0, [(b"j", b"j1")], True))[0] == 0
        assert produce(client, TOPIC, 0, keyed(b_pid, b_epoch, 1, [(b"j", b"j2")], True))[0] == 0
        assert write_markers(client, b_pid, b_epoch, True, TP) == [0]
        for i in range(FILLER):
            pair = [(b"f%d" % i, b"x" * 1024)]
            assert produce(client, TOPIC, 0, keyed(plain, plain_epoch, 1 + i, pair, False))[0] == 0

        deadline = time.monotonic() + DEADLINE_S
        while True:
            everything = fetch_all(client, TOPIC, 0, READ_UNCOMMITTED)
            values = everything.values
            if b"aborted-k" not in values and b"j1" not in values:
                break
            assert time.monotonic() < deadline, "not compacted"
            time.sleep(0.3)
        assert values[:2] == [b"v1", b"j2"]
        markers = [h.producer_id for h, _ in everything.batches if h.is_control]
        assert markers == [a_pid, b_pid]
        committed = fetch_all(client, TOPIC, 0, READ_COMMITTED)
        assert committed_values(committed)[:2] == [b"v1", b"j2"]
        assert len(committed_values(committed)) == 2 + FILLER
    finally:
        client.close()
        broker.stop()
    assert "Traceback" not in broker.log_text()


def test_retention_stops_at_an_open_transaction(tmp_path) -> None:
    """retention.bytes removes closed segments below the last stable offset only: the segment
    where a transaction is open stays until its marker, then goes."""
    broker = BrokerProcess(
        tmp_path / "b",
        "--set", "log_compaction_interval_ms=200",
        "--set", "log_segment_size_min=1024",
    ).start()  # fmt: skip
    client = RawClient(broker.kafka_port)
    try:
        configs = {"segment.bytes": "4096", "retention.bytes": "8192"}
        make_topic(broker.bootstrap, "txn-retained", 1, configs)
        tp = [("txn-retained", 0)]
        plain, plain_epoch = init_producer_id(client)
        pid, epoch = init_producer_id(client)
        open_txn = keyed(pid, epoch, 0, [(b"t", b"open")], True)
        code, first = produce(client, "txn-retained", 0, open_txn)
        assert code == 0
        for i in range(FILLER):
            pair = [(b"f%d" % i, b"x" * 1024)]
            batch = keyed(plain, plain_epoch, i, pair, False)
            assert produce(client, "txn-retained", 0, batch)[0] == 0
        time.sleep(2)  # ten housekeeping rounds
        assert list_offset(client, "txn-retained", 0, READ_UNCOMMITTED, EARLIEST) == first
        assert write_markers(client, pid, epoch, True, tp) == [0]
        deadline = time.monotonic() + DEADLINE_S
        while list_offset(client, "txn-retained", 0, READ_UNCOMMITTED, EARLIEST) == first:
            assert time.monotonic() < deadline, "retention did not resume after the marker"
            time.sleep(0.3)
    finally:
        client.close()
        broker.stop()
