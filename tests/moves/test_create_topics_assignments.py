"""CreateTopics with explicit replica assignments on four real brokers (confluent-kafka's and
kafka-python's admin clients): each partition lives exactly on the nodes asked for, first one
the preferred leader, and serves; Kafka's checks refuse an unknown node, a node twice, uneven
replica counts, gaps in the partition numbering, and a count or factor set beside them."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from tests.support.wait import wait_for

pytestmark = pytest.mark.cluster


def _create(cluster, name: str, assignment: list[list[int]]) -> KafkaError | None:
    """None once created, else the error (a local timeout waiting for a controller on the
    loaded machine is tried again)."""
    topic = NewTopic(name, len(assignment), replica_assignment=assignment)
    for _attempt in range(3):
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        try:
            admin.create_topics([topic], request_timeout=30)[name].result(60)
        except KafkaException as exc:
            err = exc.args[0]
            if err.code() == KafkaError._TIMED_OUT:
                continue
            if err.code() == KafkaError.TOPIC_ALREADY_EXISTS and _attempt:
                return None  # the timed-out attempt created it after all
            return err
        return None
    return err


def test_create_topics_places_replicas_where_asked(cluster4) -> None:
    assert _create(cluster4, "placed", [[3, 0, 1], [1, 2, 3], [2, 3, 0]]) is None
    for p, nodes in enumerate([[3, 0, 1], [1, 2, 3], [2, 3, 0]]):
        info = cluster4.partition_info("placed", p)
        assert list(info.replicas) == nodes
        wait_for(
            lambda p=p, n=nodes: sorted(cluster4.partition_dirs("placed", p)) == sorted(n),
            "replicas opened where asked",
            60,
        )
        cluster4.leader_of("placed", p, timeout_s=60)
    refused = {
        "unknown": [[0, 1, 9]],
        "twice": [[0, 0, 1]],
        "uneven": [[0, 1, 2], [1]],
    }
    for name, assignment in refused.items():
        err = _create(cluster4, name, assignment)
        assert err is not None and err.code() == KafkaError.INVALID_REPLICA_ASSIGNMENT, (name, err)


def test_kafka_python_assignment_rules(cluster4) -> None:
    from kafka.admin import KafkaAdminClient
    from kafka.admin import NewTopic as KpNewTopic
    from kafka.errors import InvalidReplicationAssignmentError, InvalidRequestError

    admin = KafkaAdminClient(bootstrap_servers=cluster4.bootstrap, request_timeout_ms=60_000)
    try:
        admin.create_topics([KpNewTopic("kp", -1, -1, replica_assignments={0: [2, 1, 0]})])
        assert list(cluster4.partition_info("kp", 0).replicas) == [2, 1, 0]
        both = KpNewTopic("both", 1, 3, replica_assignments={0: [0, 1, 2]})
        with pytest.raises(InvalidRequestError):
            admin.create_topics([both])
        gap = KpNewTopic("gap", -1, -1, replica_assignments={0: [0, 1, 2], 2: [1, 2, 3]})
        with pytest.raises(InvalidReplicationAssignmentError):
            admin.create_topics([gap])
    finally:
        admin.close()
