"""The broker's one clean-shutdown record over real processes: a clean stop records it, a
running broker has it cleared, and after kill -9 the next start scans the logs (a batch
corrupted on disk is cut), as an unclean stop requires; an unreadable journal of state writes
stops a start with one line."""

from __future__ import annotations

import json
import subprocess
import sys

import confluent_kafka as ck

from core.storage.clean_shutdown import RECORD_NAME
from core.storage.kvstore import JOURNAL_NAME
from tests.support.broker import BrokerProcess
from tests.support.topics import make_topic, produce

RECORDS = 20


def _high_watermark(bootstrap: str) -> int:
    consumer = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": "hw"})
    try:
        return consumer.get_watermark_offsets(ck.TopicPartition("rec", 0), timeout=10)[1]
    finally:
        consumer.close()


def _record(broker: BrokerProcess) -> dict:
    return json.loads((broker.data_dir / RECORD_NAME).read_bytes())


def test_kill_9_makes_the_next_start_scan_the_logs(tmp_path):
    broker = BrokerProcess(tmp_path / "data", die_with_parent=True).start()
    try:
        make_topic(broker.bootstrap, "rec")
        produce(broker.bootstrap, "rec", 1, 0, RECORDS)
        assert _record(broker) == {"run": 1, "clean": False}
        broker.stop()
        assert _record(broker) == {"run": 1, "clean": True}
        broker.start()
        assert _high_watermark(broker.bootstrap) == RECORDS
        assert _record(broker) == {"run": 2, "clean": False}
        broker.kill()
        (segment,) = (broker.data_dir / "kafka" / "rec").glob("*/*.log")
        data = bytearray(segment.read_bytes())
        data[-1] ^= 0xFF  # the last batch's CRC no longer matches
        segment.write_bytes(bytes(data))
        broker.start()
        assert _high_watermark(broker.bootstrap) < RECORDS
        assert "truncating log" in broker.log_text(since_start=True)
    finally:
        broker.stop()


def test_an_unreadable_state_journal_stops_the_start_with_one_line(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / JOURNAL_NAME).write_bytes(b'{"torn')
    done = subprocess.run(
        [sys.executable, "-m", "core", "--data-dir", str(data), "--kafka-addr", "127.0.0.1:0",
         "--admin-addr", "127.0.0.1:0", "--rpc-addr", "127.0.0.1:0"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"ailurus: cannot read key-value journal {data / JOURNAL_NAME}" in done.stderr
