"""A group consume commits the offsets of the records it printed before giving partitions up.

`rpk topic consume -g` runs with its 5 s commit timer switched off, prints every record, then a
kafka-python member joins the group. Once that member owns a partition, the group's committed
offset for it (read through KafkaAdminClient.list_group_offsets) must already cover what rpk printed: every member's revocation runs before any
member's assignment, so no waiting on timers is involved.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

from tests.support.broker import start_broker
from tests.support.groups import GROUP_BROKER_ARGS
from tests.support.rpk import REPO, clean_env, interrupt, run_in_process

pytestmark = pytest.mark.timeout(120)

PARTITIONS = 2
RECORDS_PER_PARTITION = 3
DEADLINE_S = 20.0
# rpk consume with its periodic commit off (only the revocation, and the exit, can commit), and
# a short heartbeat so that it hears of the rebalance sooner (kafka-python's default is 3 s).
NO_TIMER_RPK = """
import sys
import cli.clients.kafka as kc
import cli.commands.topic.consume as c
c.COMMIT_INTERVAL_S = 3600.0
make_consumer = kc.consumer
kc.consumer = lambda p, **kw: make_consumer(p, heartbeat_interval_ms=300, **kw)
from cli.main import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """This module's broker (kafka_env points at it): groups form in 300 ms, not 3 s."""
    proc = start_broker(tmp_path_factory.mktemp("rebalance-broker"), *GROUP_BROKER_ARGS)
    yield proc
    proc.stop()


@contextlib.contextmanager
def _rpk_without_commit_timer(args: list[str], home, env) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(
        [sys.executable, "-c", NO_TIMER_RPK, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**clean_env(home), **env},
        cwd=REPO,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def _produce(bootstrap: str, topic: str) -> list[bytes]:
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    try:
        lines = []
        for p in range(PARTITIONS):
            for i in range(RECORDS_PER_PARTITION):
                producer.send(topic, f"p{p}-{i}".encode(), partition=p)
                lines.append(f"p{p}-{i}\n".encode())
        producer.flush(timeout=30)
    finally:
        producer.close()
    return lines


def _await_assignment(member: KafkaConsumer, deadline: float) -> set[TopicPartition]:
    while time.monotonic() < deadline:
        member.poll(timeout_ms=200)
        if member.assignment():
            return set(member.assignment())
    raise AssertionError("the second member got no partition before the deadline")


def _await_committed(admin, group: str, want: dict[TopicPartition, int], deadline: float):
    seen: dict[TopicPartition, int] = {}
    while time.monotonic() < deadline:
        offsets = admin.list_group_offsets({group: None})[group]
        seen = {tp: offsets[tp].offset for tp in want if tp in offsets}
        if seen == want:
            return seen
        time.sleep(0.1)
    return seen


@pytest.mark.parametrize(
    "balancer, assignor",
    [
        ("cooperative-sticky", CooperativeStickyAssignor),
        ("roundrobin", RoundRobinPartitionAssignor),
    ],
)
def test_revoked_partitions_commit_printed_records(home, kafka_env, broker, balancer, assignor):
    topic, group = f"rb-{uuid.uuid4().hex[:8]}", f"grp-{uuid.uuid4().hex[:8]}"
    res = run_in_process(["topic", "create", topic, "-p", str(PARTITIONS)], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    lines = _produce(broker.bootstrap, topic)
    args = ["topic", "consume", topic, "-g", group, "-b", balancer, "-f", "%v\\n"]
    with _rpk_without_commit_timer(args, home, kafka_env) as proc:
        printed = [proc.stdout.readline() for _ in lines]
        assert sorted(printed) == sorted(lines)
        deadline = time.monotonic() + DEADLINE_S
        member = KafkaConsumer(
            bootstrap_servers=broker.bootstrap,
            group_id=group,
            partition_assignment_strategy=(assignor,),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            heartbeat_interval_ms=300,
        )
        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
        try:
            member.subscribe([topic])
            taken = _await_assignment(member, deadline)
            want = {tp: RECORDS_PER_PARTITION for tp in taken}
            assert _await_committed(admin, group, want, deadline) == want
            assert proc.poll() is None, proc.stderr.read().decode()  # rpk still consuming
        finally:
            member.close(autocommit=False)
            admin.close()
        _, err = interrupt(proc)
    assert proc.returncode == 0, err.decode()
