"""Committed offsets and group listings survive broker restarts; consumers resume
where they committed; cooperative-sticky rebalances incrementally; group admin
APIs (ListGroups, DescribeGroups, DeleteGroups, OffsetDelete) answer as Kafka's."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.structs import OffsetAndMetadata

from tests.support.groups import GROUP_BROKER_ARGS
from tests.support.topics import admin_client, make_topic, produce
from tests.support.wait import wait_for

PARTITIONS = 3
RECORDS = 90


@pytest.fixture
def group_broker(broker_factory):
    return broker_factory(*GROUP_BROKER_ARGS)


def _consumer(bootstrap: str, group: str) -> KafkaConsumer:
    return KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=6_000,
        heartbeat_interval_ms=1_000,
    )


def _poll_until(consumer: KafkaConsumer, done, timeout_s: float = 30.0) -> list:
    got = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not done(got):
        for msgs in consumer.poll(300).values():
            got.extend(msgs)
    assert done(got), f"only {len(got)} records within {timeout_s}s"
    return got


def _admin(broker) -> KafkaAdminClient:
    return admin_client(broker.bootstrap)


def _offsets(admin: KafkaAdminClient, group: str) -> dict[int, tuple[int, str]]:
    found = admin.list_group_offsets(group).get(group, {})
    return {tp.partition: (om.offset, om.metadata) for tp, om in found.items()}


def test_offsets_and_groups_survive_restarts_and_consumers_resume(group_broker):
    broker, topic, group = group_broker, "persisted", "resumer"
    make_topic(broker.bootstrap, topic, PARTITIONS)
    produce(broker.bootstrap, topic, PARTITIONS, 0, RECORDS)
    consumer = _consumer(broker.bootstrap, group)
    consumer.subscribe([topic])
    _poll_until(consumer, lambda got: len(got) == RECORDS)
    stops = {p: 5 * (p + 1) for p in range(PARTITIONS)}  # pretend we processed only this far
    consumer.commit(
        {TopicPartition(topic, p): OffsetAndMetadata(o, f"meta-{p}", -1) for p, o in stops.items()}
    )
    consumer.close()
    want = {p: (o, f"meta-{p}") for p, o in stops.items()}

    for crash in (False, True):  # a clean stop, then a SIGKILL
        broker.restart(crash=crash)
        admin = _admin(broker)
        try:
            listed = wait_for(
                lambda: [g for g in admin.list_groups() if g["group_id"] == group],
                "the group to be listed after the restart",
            )
            assert listed[0]["group_state"] == "Empty" and listed[0]["protocol_type"] == "consumer"
            assert _offsets(admin, group) == want
        finally:
            admin.close()

    resumed = _consumer(broker.bootstrap, group)
    resumed.subscribe([topic])
    got = _poll_until(resumed, lambda got: len(got) == RECORDS - sum(stops.values()))
    first = {}
    for m in got:
        first.setdefault(m.partition, m.offset)
    assert first == stops  # exactly where it committed
    resumed.commit()
    resumed.close()
    admin = _admin(broker)
    try:
        assert {p: o for p, (o, _) in _offsets(admin, group).items()} == {
            p: RECORDS // PARTITIONS for p in range(PARTITIONS)
        }
    finally:
        admin.close()


def test_group_admin_apis(group_broker):
    broker, topic, group = group_broker, "admin-t", "admin-g"
    make_topic(broker.bootstrap, topic, PARTITIONS)
    produce(broker.bootstrap, topic, PARTITIONS, 0, 30)
    consumer = _consumer(broker.bootstrap, group)
    consumer.subscribe([topic])
    _poll_until(consumer, lambda got: len(got) == 30)
    consumer.commit()
    admin = _admin(broker)
    try:
        described = admin.describe_groups([group])[group]
        assert described["group_state"] == "Stable" and described["protocol_data"] == "range"
        (member,) = described["members"]
        assigned = {
            p for a in member["member_assignment"]["assigned_partitions"] for p in a["partitions"]
        }
        assert assigned == set(range(PARTITIONS))
        assert admin.delete_groups([group]) == {group: "NonEmptyGroupError"}
        consumer.close()
        wait_for(
            lambda: [
                g
                for g in admin.list_groups()
                if g["group_id"] == group and g["group_state"] == "Empty"
            ],
            "the group to be empty",
        )
        admin.delete_group_offsets(group, [TopicPartition(topic, 0)])
        assert set(_offsets(admin, group)) == {1, 2}
        assert admin.delete_groups([group]) == {group: "OK"}
        assert admin.delete_groups([group]) == {group: "GroupIdNotFoundError"}
        assert not [g for g in admin.list_groups() if g["group_id"] == group]
        assert _offsets(admin, group) == {}
    finally:
        admin.close()


def test_cooperative_sticky_moves_only_what_it_must(group_broker):
    import confluent_kafka as ck

    broker, topic, group, partitions = group_broker, "coop", "coop-g", 6
    make_topic(broker.bootstrap, topic, partitions)
    produce(broker.bootstrap, topic, partitions, 0, 120)
    events: dict[str, list[tuple[str, list[int]]]] = {"c1": [], "c2": []}
    owned: dict[str, set[int]] = {"c1": set(), "c2": set()}

    def make(name: str) -> ck.Consumer:
        c = ck.Consumer(
            {
                "bootstrap.servers": broker.bootstrap,
                "group.id": group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "session.timeout.ms": 6_000,
                "heartbeat.interval.ms": 500,
                "partition.assignment.strategy": "cooperative-sticky",
            }
        )

        def on_assign(consumer, ps):
            events[name].append(("assign", sorted(p.partition for p in ps)))
            owned[name].update(p.partition for p in ps)

        def on_revoke(consumer, ps):
            events[name].append(("revoke", sorted(p.partition for p in ps)))
            owned[name].difference_update(p.partition for p in ps)

        c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
        return c

    seen: dict[str, set[str]] = {"c1": set(), "c2": set()}

    def pump(consumers: dict[str, ck.Consumer]) -> None:
        for name, c in consumers.items():
            for m in c.consume(100, 0.2):
                if m.error() is None:
                    seen[name].add(m.value().decode())

    c1 = make("c1")
    c2 = None
    try:
        wait_for(
            lambda: pump({"c1": c1}) or owned["c1"] == set(range(partitions)),
            "c1 to own all partitions",
            interval_s=0,
        )
        c2 = make("c2")
        wait_for(
            lambda: (
                pump({"c1": c1, "c2": c2})
                or (
                    owned["c2"]
                    and owned["c1"] | owned["c2"] == set(range(partitions))
                    and not owned["c1"] & owned["c2"]
                )
            ),
            "c2 to get its share incrementally",
            interval_s=0,
        )
        revokes = [parts for kind, parts in events["c1"] if kind == "revoke"]
        assert revokes and all(len(parts) < partitions for parts in revokes), events["c1"]
        assert set().union(*revokes) == owned["c2"]  # c1 gave up exactly what c2 took
        print("cooperative rebalance events:", events)
        wait_for(
            lambda: pump({"c1": c1, "c2": c2}) or len(seen["c1"] | seen["c2"]) == 120,
            "every record consumed",
            interval_s=0,
        )
        for c in (c1, c2):
            c.commit(asynchronous=False)
    finally:
        for c in (c1, c2):
            if c is not None:
                c.close()


def test_manually_assigned_consumers_commit_without_joining(group_broker):
    """kafka-python and librdkafka with assign() commit with generation -1 and no member id."""
    import confluent_kafka as ck

    broker, topic = group_broker, "manual"
    make_topic(broker.bootstrap, topic, 2)
    kp = KafkaConsumer(
        bootstrap_servers=broker.bootstrap,
        group_id="manual-kp",
        enable_auto_commit=False,
        request_timeout_ms=10_000,
    )
    try:
        tp = TopicPartition(topic, 1)
        kp.assign([tp])
        assert kp.committed(tp) is None  # an unknown group has nothing committed (-1 on the wire)
        kp.commit({tp: OffsetAndMetadata(7, "kp", -1)})
        assert kp.committed(tp) == 7
    finally:
        kp.close()
    rd = ck.Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": "manual-rd",
            "enable.auto.commit": False,
        }
    )
    try:
        rd.assign([ck.TopicPartition(topic, 0, 0)])
        (before,) = rd.committed([ck.TopicPartition(topic, 0)], timeout=10)
        assert before.error is None and before.offset == ck.OFFSET_INVALID
        rd.commit(offsets=[ck.TopicPartition(topic, 0, 11)], asynchronous=False)
        (after,) = rd.committed([ck.TopicPartition(topic, 0)], timeout=10)
        assert after.error is None and after.offset == 11
    finally:
        rd.close()
    admin = _admin(broker)
    try:
        assert _offsets(admin, "manual-kp") == {1: (7, "kp")}
        assert {p: o for p, (o, _) in _offsets(admin, "manual-rd").items()} == {0: 11}
        listed = {g["group_id"]: g for g in admin.list_groups()}
        assert (
            listed["manual-kp"]["group_state"] == "Empty"
            and listed["manual-kp"]["protocol_type"] == ""
        )
    finally:
        admin.close()
