"""Jepsen-style fault tests on three nodes: producers (confluent-kafka and kafka-python,
idempotent, acks=all) and a consumer group run throughout while the leader of a partition is
killed, paused or cut off; then the history is checked (no acknowledged write lost, no
duplicate, no offset with two values, no read of a record later truncated, committed offsets
never go back) and, once healed, every replica's committed bytes are compared."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.cluster.replicas import assert_replicas_identical
from tests.cluster.workload import Workload
from tests.support.cluster import BrokerCluster, create_topic
from tests.support.jepsen import check

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(120)]

TOPIC = "jepsen"
PARTITIONS = 3
REPLICAS = 3
WARMUP_ACKS = 100
PROGRESS_ACKS = 100
PROGRESS_TIMEOUT_S = 15.0
FAULT_S = 4.0  # how long a fault lasts: more than two election timeouts (1.5 s default)


def acks(workload: Workload) -> int:
    return workload.history.count("ok")


def wait_acks(workload: Workload, at_least: int, timeout_s: float, polls: int = 0) -> bool:
    """Until `at_least` values are acknowledged (and `polls` records polled by the group)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if acks(workload) >= at_least and workload.history.count("poll") >= polls:
            return True
        time.sleep(0.1)
    return False


def partition_leader(cluster: BrokerCluster, workload: Workload) -> int:
    return cluster.leader_of(TOPIC, 0)


def group_coordinator(cluster: BrokerCluster, workload: Workload) -> int:
    """The node coordinating the workload's group (DescribeGroups through confluent-kafka)."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    described = admin.describe_consumer_groups([workload.group])[workload.group].result(10)
    return int(described.coordinator.id)


def run_with_fault(
    cluster: BrokerCluster,
    fault: Callable[[BrokerCluster, int], None],
    victim_of: Callable[[BrokerCluster, Workload], int] = partition_leader,
) -> None:
    """Start the workload, apply `fault` to the victim (default: the leader of partition 0)
    once writes are acked and the group consumes, then check the history, liveness after the
    fault and the replicas' bytes."""
    create_topic(cluster, TOPIC, PARTITIONS, REPLICAS)
    workload = Workload(cluster.bootstrap, TOPIC, PARTITIONS).start()
    try:
        warmed = wait_acks(workload, WARMUP_ACKS, PROGRESS_TIMEOUT_S, polls=WARMUP_ACKS)
        assert warmed, (
            f"not {WARMUP_ACKS} acks and polls before the fault: {workload.history.count('ok')} "
            f"acks, {workload.history.count('poll')} polls, {workload.errors[:5]}\n"
            + cluster.log_tails(15)
        )
        victim = victim_of(cluster, workload)
        fault(cluster, victim)
        after_fault = acks(workload)
        progressed = wait_acks(workload, after_fault + PROGRESS_ACKS, PROGRESS_TIMEOUT_S)
    finally:
        workload.stop()
    workload.record_committed()
    final, highs = workload.final_read()
    result = check(workload.history, final)
    context = (
        f"\nclient errors: {workload.errors[:10]}\n{cluster.views([TOPIC])}\n"
        + cluster.log_tails(25)
    )
    print(f"{fault.__name__} of node {victim}: {result.summary()}")
    assert result.valid, "Jepsen check failed:\n" + result.summary() + context
    assert progressed, (
        f"fewer than {PROGRESS_ACKS} acks within {PROGRESS_TIMEOUT_S}s after the fault "
        f"({result.stats})" + context
    )
    for p in range(PARTITIONS):
        assert_replicas_identical(cluster, TOPIC, p, highs[(TOPIC, p)], replicas=REPLICAS)


def others(cluster: BrokerCluster, victim: int) -> list[int]:
    return [i for i in range(cluster.n) if i != victim]


def kill_and_restart(cluster: BrokerCluster, victim: int) -> None:
    cluster.kill(victim)
    cluster.leader_of(TOPIC, 0, among=others(cluster, victim))
    time.sleep(FAULT_S / 2)
    cluster.start_node(victim)
    cluster.wait_formed()


def pause_and_resume(cluster: BrokerCluster, victim: int) -> None:
    cluster.pause(victim)
    cluster.leader_of(TOPIC, 0, among=others(cluster, victim))
    time.sleep(FAULT_S / 2)
    cluster.resume(victim)


def assert_rpc_through_proxies(cluster: BrokerCluster, victim: int) -> None:
    """Isolation cuts the proxied links only: the nodes must reach each other through them."""
    traffic = cluster.link_traffic()
    silent = [link for link, sent in traffic.items() if victim in link and sent == 0]
    assert not silent, (
        f"no RPC bytes through the proxies of links {silent}: the nodes dial each other at "
        f"other addresses (advertised, not the seed_servers entries), so isolation cuts nothing"
    )


def isolate_and_heal(cluster: BrokerCluster, victim: int) -> None:
    assert_rpc_through_proxies(cluster, victim)
    cluster.isolate(victim)
    cluster.leader_of(TOPIC, 0, among=others(cluster, victim))
    time.sleep(FAULT_S / 2)
    cluster.heal()


def test_kill_9_of_a_partition_leader_loses_no_acknowledged_write(cluster3) -> None:
    run_with_fault(cluster3, kill_and_restart)


def test_kill_9_of_the_group_coordinator_loses_no_commit_and_no_write(cluster3) -> None:
    """The group's committed offsets live in __consumer_offsets (RF 3 here): the coordinator's
    crash must not move a committed offset back (checked with the final OffsetFetch)."""
    run_with_fault(cluster3, kill_and_restart, group_coordinator)


def test_sigstop_of_a_partition_leader_loses_no_acknowledged_write(cluster3) -> None:
    run_with_fault(cluster3, pause_and_resume)


def test_an_isolated_leader_loses_no_acknowledged_write(cluster3) -> None:
    run_with_fault(cluster3, isolate_and_heal)


def test_writes_sent_to_a_cut_off_leader_are_acknowledged_only_if_they_survive(cluster3) -> None:
    """A producer that knows only the old leader's address keeps writing to it after its RPC
    links are cut: the cut-off node cannot reach a majority, so whatever it (or the new leader
    the producer may find) acknowledges must be in the log once healed, and its log must then
    hold what the majority committed, byte for byte."""
    from confluent_kafka import Producer

    create_topic(cluster3, TOPIC, 1, REPLICAS)
    victim = cluster3.leader_of(TOPIC, 0)
    assert_rpc_through_proxies(cluster3, victim)
    cluster3.isolate(victim)
    producer = Producer(
        {
            "bootstrap.servers": cluster3.nodes[victim].bootstrap,
            "acks": "all",
            "message.timeout.ms": 3000,
            "topic.metadata.refresh.interval.ms": 60_000,
            "log_level": 0,
        }
    )
    answers: list[tuple[object, int]] = []
    for i in range(10):
        producer.produce(
            TOPIC,
            f"cut-{i}".encode(),
            partition=0,
            on_delivery=lambda e, m: answers.append((e, m.offset())),
        )
    producer.flush(10)
    acked = [offset for err, offset in answers if err is None]
    cluster3.heal()
    final, highs = Workload(cluster3.bootstrap, TOPIC, 1).final_read()
    values = {v for _, v in final[(TOPIC, 0)]}
    # an ack from the cut-off node is only allowed if the majority has the record
    for i, (err, offset) in enumerate(answers):
        if err is None:
            assert f"cut-{i}" in values, f"cut-{i} acked at {offset} by the isolated node, lost"
    assert_replicas_identical(cluster3, TOPIC, 0, highs[(TOPIC, 0)], replicas=REPLICAS)
    assert len(answers) == 10, f"only {len(answers)} answers ({acked})"
