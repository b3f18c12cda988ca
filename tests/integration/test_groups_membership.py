"""Consumer groups against the real broker, with real clients in real processes.

A group of three consumers (kafka-python and confluent-kafka together) shares a
6-partition topic; one leaves, one is SIGKILLed. Partitions move within the
session timeout, every record is processed, and the committed offsets are what
was processed. A static member (group.instance.id) restarts inside its session
timeout and gets its partitions back with no rebalance.

The consumers are processes (tests/support/group_consumer.py), so a test can kill
one without a goodbye.
"""

from __future__ import annotations

import time

import pytest

from tests.support.group_consumer import SESSION_TIMEOUT_MS, ConsumerProcess
from tests.support.groups import GROUP_BROKER_ARGS
from tests.support.topics import committed_offsets, make_topic, produce
from tests.support.wait import wait_for


def rebalances_logged(broker, group: str) -> int:
    return broker.log_text().count(f"group {group}: preparing rebalance")


def split_evenly(consumers, partitions: int):
    def check():
        owned = [c.assignment() for c in consumers]
        flat = [p for o in owned for p in o]
        return all(owned) and sorted(flat) == list(range(partitions))

    return check


# ---------------------------------------------------------------------------- tests


PARTITIONS = 6
BATCH = 120  # records per produce phase, 20 per partition


@pytest.fixture
def group_broker(broker_factory):
    return broker_factory(*GROUP_BROKER_ARGS)


def test_mixed_clients_share_partitions_through_leave_and_crash(group_broker, tmp_path):
    broker, topic, group = group_broker, "shared", "mixed"
    make_topic(broker.bootstrap, topic, PARTITIONS)
    produce(broker.bootstrap, topic, PARTITIONS, 0, BATCH)
    consumers = [
        ConsumerProcess(tmp_path, name, client, broker.bootstrap, topic, group)
        for name, client in (("a", "kafka-python"), ("b", "confluent"), ("c", "kafka-python"))
    ]
    a, b, c = consumers
    try:
        wait_for(split_evenly(consumers, PARTITIONS), "three consumers to share 6 partitions")
        produce(broker.bootstrap, topic, PARTITIONS, BATCH, BATCH)

        a.leave()
        wait_for(split_evenly([b, c], PARTITIONS), "b and c to take over a's partitions")
        produce(broker.bootstrap, topic, PARTITIONS, 2 * BATCH, BATCH)

        c.kill()
        killed_at = time.monotonic()
        wait_for(
            lambda: b.assignment() == set(range(PARTITIONS)),
            "b to own every partition",
            timeout_s=30,
        )
        moved_after_s = time.monotonic() - killed_at
        print(f"partitions of the killed consumer moved after {moved_after_s:.2f}s")
        assert moved_after_s < SESSION_TIMEOUT_MS / 1000 + 4, (
            f"reassigned only after {moved_after_s:.1f}s"
        )
        produce(broker.bootstrap, topic, PARTITIONS, 3 * BATCH, BATCH)

        total = 4 * BATCH
        per_partition = total // PARTITIONS
        wait_for(
            lambda: (
                committed_offsets(broker.bootstrap, group)
                == {p: per_partition for p in range(PARTITIONS)}
            ),
            "every record to be committed",
            interval_s=0.5,
        )
        processed = [r for x in consumers for r in x.events("rec")]
        assert {r["v"] for r in processed} == {f"r{i}" for i in range(total)}  # nothing lost
        for p in range(PARTITIONS):  # committed offsets are exactly what was processed
            assert max(r["o"] for r in processed if r["p"] == p) + 1 == per_partition
        b.leave()
        print(
            f"{len(processed)} records processed for {total} produced; "
            f"{rebalances_logged(broker, group)} rebalances"
        )
        assert rebalances_logged(broker, group) >= 3
    finally:
        for x in consumers:
            x.cleanup()


def test_static_member_restart_keeps_partitions_without_rebalance(group_broker, tmp_path):
    broker, topic, group = group_broker, "static", "static-g"
    make_topic(broker.bootstrap, topic, 4)
    produce(broker.bootstrap, topic, 4, 0, 40)
    s1 = ConsumerProcess(
        tmp_path, "s1", "confluent", broker.bootstrap, topic, group, instance_id="inst-1"
    )
    s2 = ConsumerProcess(
        tmp_path, "s2", "confluent", broker.bootstrap, topic, group, instance_id="inst-2"
    )
    restarted = None
    try:
        wait_for(split_evenly([s1, s2], 4), "two static members to share 4 partitions")
        time.sleep(1.0)  # let any trailing rebalance finish
        before = s1.assignment()
        s2_assigns = len(s2.events("assign"))
        rebalances = rebalances_logged(broker, group)

        s1.kill()
        killed_at = time.monotonic()
        restarted = ConsumerProcess(
            tmp_path, "s1b", "confluent", broker.bootstrap, topic, group, instance_id="inst-1"
        )
        wait_for(lambda: restarted.assignment(), "the restarted static member to be assigned")
        back_after_s = time.monotonic() - killed_at
        print(f"static member back with its partitions after {back_after_s:.2f}s")
        assert back_after_s < SESSION_TIMEOUT_MS / 1000
        assert restarted.assignment() == before
        time.sleep(SESSION_TIMEOUT_MS / 1000 + 1)  # past the old session: still no rebalance
        assert rebalances_logged(broker, group) == rebalances
        assert len(s2.events("assign")) == s2_assigns
        assert restarted.assignment() == before and s2.assignment() == set(range(4)) - before
    finally:
        for x in (s1, s2, restarted):
            if x is not None:
                x.cleanup()
