"""Kafka's reassignment APIs on four real brokers, through kafka-python's and
confluent-kafka's admin clients: AlterPartitionReassignments (start, refuse a second,
cancel), ListPartitionReassignments, ElectLeaders (preferred; unclean refused) and
CreatePartitions with explicit assignments."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewPartitions
from kafka import KafkaAdminClient, TopicPartition
from kafka.errors import (
    NoReassignmentInProgressError,
    ReassignmentInProgressError,
)

from core.testing.cluster import admin_get
from tests.support.cluster import create_topic, fetch_metadata
from tests.support.wait import wait_for

pytestmark = pytest.mark.cluster


def replicas_of(cluster, topic: str, partition: int) -> list[int]:
    meta = fetch_metadata(cluster.running()[0].kafka_port, [topic])
    return list(meta.partition(topic, partition).replicas)


def partition_count(cluster, topic: str) -> int:
    meta = fetch_metadata(cluster.nodes[0].kafka_port, [topic])
    return sum(1 for t, _ in meta.partitions if t == topic)


def test_alter_list_cancel_reassignments(cluster4):
    create_topic(cluster4, "k", 1, 3)
    admin = KafkaAdminClient(bootstrap_servers=cluster4.bootstrap, request_timeout_ms=20_000)
    paused = None
    try:
        tp = TopicPartition("k", 0)
        old = replicas_of(cluster4, "k", 0)
        new_node = ({0, 1, 2, 3} - set(old)).pop()
        target = [*old[1:], new_node]
        # An empty partition's move can finish between two requests (CI saw the cancel find
        # none): with the joining node paused it cannot, unless that node leads the controller
        assert admin.list_partition_reassignments() == {}  # the client knows the controller
        overview = admin_get(cluster4.nodes[old[0]].admin_port, "/v1/cluster/health_overview")
        if overview is not None and overview.get("controller_id") not in (None, new_node):
            paused = new_node
            cluster4.pause(new_node)
        assert admin.alter_partition_reassignments({tp: target}) == {tp: None}
        listed = admin.list_partition_reassignments()
        assert listed[tp]["adding_replicas"] == [new_node]
        assert listed[tp]["removing_replicas"] == [old[0]]
        assert sorted(listed[tp]["replicas"]) == sorted({*old, new_node})
        assert admin.list_partition_reassignments([TopicPartition("k", 7)]) == {}
        again = admin.alter_partition_reassignments({tp: old})
        assert again[tp] is ReassignmentInProgressError
        cancelled = admin.alter_partition_reassignments({tp: None})[tp]
        wait_for(lambda: admin.list_partition_reassignments() == {}, "cancel finished", 30)
        if cancelled is None:
            assert replicas_of(cluster4, "k", 0) == old
        else:  # the node leads the controller, was not paused, and the move finished first
            assert paused is None and cancelled is NoReassignmentInProgressError
            assert sorted(replicas_of(cluster4, "k", 0)) == sorted(target)
        gone = admin.alter_partition_reassignments({tp: None})
        assert gone[tp] is NoReassignmentInProgressError
    finally:
        if paused is not None:
            cluster4.resume(paused)
        admin.close()


def test_elect_leaders_and_create_partitions_with_assignments(cluster4):
    create_topic(cluster4, "e", 1, 3)
    admin = KafkaAdminClient(bootstrap_servers=cluster4.bootstrap, request_timeout_ms=20_000)
    try:
        response = admin.elect_leaders(1, {"e": [0]}, raise_errors=False)
        [result] = response.replica_election_results
        assert result.partition_result[0].error_code == 84  # ELECTION_NOT_NEEDED: it has one
        preferred = replicas_of(cluster4, "e", 0)[0]
        wait_for(lambda: cluster4.leader_of("e", 0) == preferred, "preferred leads", 20)
        others = [n for n in replicas_of(cluster4, "e", 0) if n != preferred]
        cluster4.kill(preferred)  # leadership moves to another replica
        cluster4.leader_of("e", 0, among=others)
        cluster4.start_node(preferred)
        cluster4.wait_formed()
        admin.close()  # a fresh client: kafka-python keeps the controller it saw go away
        admin = KafkaAdminClient(bootstrap_servers=cluster4.bootstrap, request_timeout_ms=20_000)
        response = admin.elect_leaders(0, {"e": [0]}, raise_errors=False)
        code = response.replica_election_results[0].partition_result[0].error_code
        assert code in (0, 84)  # elected (84: a leader balancer was quicker)
        wait_for(lambda: cluster4.leader_of("e", 0) == preferred, "preferred leads", 20)
        response = admin.elect_leaders(0, {"e": [0]}, raise_errors=False)
        assert response.replica_election_results[0].partition_result[0].error_code == 84
        response = admin.elect_leaders(0, {"nope": [0]}, raise_errors=False)
        assert response.replica_election_results[0].partition_result[0].error_code == 3
    finally:
        admin.close()
    confluent = AdminClient({"bootstrap.servers": cluster4.bootstrap})
    futures = confluent.create_partitions([NewPartitions("e", 2, replica_assignment=[[3, 0, 1]])])
    futures["e"].result(30)
    wait_for(lambda: partition_count(cluster4, "e") == 2, "two partitions", 20)
    assert replicas_of(cluster4, "e", 1) == [3, 0, 1]
    for bad in ([[3, 3, 1]], [[3, 0]], [[0, 1, 9]]):
        futures = confluent.create_partitions([NewPartitions("e", 3, replica_assignment=bad)])
        with pytest.raises(KafkaException) as info:
            futures["e"].result(30)
        assert info.value.args[0].name() == "INVALID_REPLICA_ASSIGNMENT", bad
