"""Start-up work the broker no longer does, and what must still hold: the developer broker's
data directory under the user's data home, `__consumer_offsets` created on first use, state
writes at start batched (two syncfs) yet as crash-safe as one by one, and a restart over many
partitions that keeps every partition's data."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import confluent_kafka as ck
from confluent_kafka.admin import AdminClient, NewTopic

from core.storage.kvstore import KvStore, deferred_durability
from tests.support.broker import BrokerProcess
from tests.support.wait import wait_for

PARTITIONS = 40


def test_deferred_writes_land_together_and_a_crash_before_keeps_the_old_state(tmp_path):
    first, second = tmp_path / "a" / "kv.json", tmp_path / "b" / "kv.json"
    for path in (first, second):
        path.parent.mkdir()
        KvStore.open(path).put("term", 1)
    with deferred_durability(tmp_path):
        a, b = KvStore.open(first), KvStore.open(second)
        a.put("term", 2)
        b.put("term", 2)
        assert a.get("term") == 2  # the store reads its own writes at once
        # a process that crashed here and starts again finds the old state, whole
        assert KvStore.open(first).get("term") == 1
        b.put("term", 3)
    assert KvStore.open(first).get("term") == 2
    assert KvStore.open(second).get("term") == 3
    assert not list(tmp_path.rglob("*.tmp"))


def test_developer_broker_keeps_its_data_under_the_user_data_home(tmp_path):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "xdg"), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "core", "--kafka-addr", "127.0.0.1:0", "--admin-addr",
         "127.0.0.1:0", "--rpc-addr", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )  # fmt: skip
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "Ailurus ready" in line:
                break
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    text = "".join(lines)
    expected = tmp_path / "xdg" / "ailurus"
    assert f"data_dir={expected}" in text, text
    assert "developer broker" in text, text
    assert (expected / "node.json").exists()


def test_restart_over_many_partitions_keeps_data_and_groups(tmp_path):
    broker = BrokerProcess(tmp_path / "broker").start()
    try:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        admin.create_topics([NewTopic("many", PARTITIONS, 1)])["many"].result(60)
        # no group was used: the internal topic does not exist yet
        assert "__consumer_offsets" not in admin.list_topics(timeout=10).topics
        producer = ck.Producer({"bootstrap.servers": broker.bootstrap})
        for partition in range(PARTITIONS):
            producer.produce("many", value=b"v%d" % partition, partition=partition)
        assert producer.flush(30) == 0
        _consume_all(broker.bootstrap, "grp")  # commits: creates __consumer_offsets
        broker.restart()
        started = time.monotonic()
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        topics = admin.list_topics(timeout=10).topics
        assert len(topics["many"].partitions) == PARTITIONS
        assert "__consumer_offsets" in topics
        assert time.monotonic() - started < 30
        assert sorted(_consume_all(broker.bootstrap, "fresh")) == sorted(
            b"v%d" % p for p in range(PARTITIONS)
        )
        consumer = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "grp"})
        committed = consumer.committed([ck.TopicPartition("many", p) for p in range(3)], 30)
        consumer.close()
        assert [tp.offset for tp in committed] == [1, 1, 1]
    finally:
        broker.stop()


def _consume_all(bootstrap: str, group: str) -> list[bytes]:
    consumer = ck.Consumer(
        {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest"}
    )
    consumer.subscribe(["many"])
    values: list[bytes] = []

    def more() -> bool:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            values.append(msg.value())
        return len(values) >= PARTITIONS

    wait_for(more, f"{PARTITIONS} records", 60, 0)
    consumer.commit(asynchronous=False)
    consumer.close()
    return values
