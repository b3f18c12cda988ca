"""User partitions open in the background after a restart (issue 18), on a real broker: the
broker answers while they open (each leaderless until then: Metadata LEADER_NOT_AVAILABLE,
fetch NOT_LEADER_OR_FOLLOWER, both retriable) and then serves them; kill -9 during the open
leaves a broker that recovers; a topic deleted during the open is gone, its name reusable."""

from __future__ import annotations

import time

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient

from tests.support.broker import BrokerProcess
from tests.support.raw_client import RawClient, fetch_v11
from tests.support.topics import make_topic, produce

PARTITIONS = 2000  # enough that opening them outlasts the first requests after ready
LAST = PARTITIONS - 1
NONE, LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER = 0, 5, 6
WAIT_S = 120


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    broker = BrokerProcess(tmp_path_factory.mktemp("bg") / "data", die_with_parent=True).start()
    try:
        make_topic(broker.bootstrap, "bg", PARTITIONS)
        produce(broker.bootstrap, "bg", PARTITIONS, LAST, 1)  # r1999 -> partition 1999
        broker.stop()
        yield broker
    finally:
        broker.stop()


def _fetch_error(broker: BrokerProcess, partition: int) -> int:
    client = RawClient(broker.kafka_port)
    try:
        response = client.request(fetch_v11("bg", partition=partition))
        return response.responses[0].partitions[0].error_code.value
    finally:
        client.close()


def _read_one(bootstrap: str, topic: str, partition: int) -> bytes:
    consumer = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": f"bg-{time.time()}"})
    consumer.assign([ck.TopicPartition(topic, partition, 0)])
    try:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                return message.value()
        raise AssertionError(f"nothing read from {topic}/{partition}")
    finally:
        consumer.close()


def _await_all_led(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        meta = admin.list_topics(topic=topic, timeout=30).topics[topic]
        if len(meta.partitions) == partitions and all(
            p.leader >= 0 for p in meta.partitions.values()
        ):
            return
        time.sleep(0.5)
    raise AssertionError(f"{topic}: not every partition led within {WAIT_S}s")


def test_requests_while_opening_get_retriable_errors_then_succeed(broker):
    broker.start()
    try:
        first = _fetch_error(broker, LAST)  # opened next (a request hurries it), not yet
        meta = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=30)
        partitions = meta.topics["bg"].partitions
        assert len(partitions) == PARTITIONS  # every partition listed, led or not yet
        for p in partitions.values():
            assert (p.leader >= 0 and p.error is None) or (
                p.leader == -1 and p.error.code() == LEADER_NOT_AVAILABLE
            )
        assert first in (NOT_LEADER_OR_FOLLOWER, NONE)
        assert _read_one(broker.bootstrap, "bg", LAST) == f"r{LAST}".encode()
        assert _fetch_error(broker, LAST) == NONE
        _await_all_led(broker.bootstrap, "bg", PARTITIONS)
        log = broker.log_text(since_start=True)
        ready = log.index("Ailurus ready")
        assert log.index("every partition replica hosted here is open") > ready
    finally:
        broker.stop()


def test_kill_9_while_opening_then_restart_recovers(broker):
    broker.start()
    broker.kill()  # right after ready: most user partitions not open yet
    broker.start()
    try:
        assert _read_one(broker.bootstrap, "bg", LAST) == f"r{LAST}".encode()
        _await_all_led(broker.bootstrap, "bg", PARTITIONS)
    finally:
        broker.stop()


def test_delete_topic_while_opening_removes_it(broker):
    broker.start()
    try:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        admin.delete_topics(["bg"], operation_timeout=30)["bg"].result(60)
        make_topic(broker.bootstrap, "bg", 1)  # the name again: a new topic
        produce(broker.bootstrap, "bg", 1, 7, 1)
        assert _read_one(broker.bootstrap, "bg", 0) == b"r7"
        assert broker.log_text(since_start=True).count(
            "every partition replica hosted here is open"
        )
    finally:
        broker.stop()
    assert len(list((broker.data_dir / "kafka" / "bg").iterdir())) == 1  # the new one's
    broker.start()
    try:
        assert _read_one(broker.bootstrap, "bg", 0) == b"r7"
    finally:
        broker.stop()
