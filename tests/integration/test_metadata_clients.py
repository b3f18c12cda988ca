"""Kafka semantics of a three-process cluster as clients see them: every node's Metadata lists
the three brokers and the same leader, epoch and replicas for each partition; data requests
sent to a replica that does not lead answer NOT_LEADER_OR_FOLLOWER; every node's
FindCoordinator names the leader of the group's __consumer_offsets partition, which alone
serves the group; the Admin API lists every broker alive."""

from __future__ import annotations

import time

import pytest
from kio.schema.errors import ErrorCode
from kio.schema.list_offsets.v4 import request as list_offsets4
from kio.schema.offset_for_leader_epoch.v3 import request as epoch3

from core.model.records import Record, build_batch
from tests.support.batches import partition_response, produce_request
from tests.support.cluster import (
    CLUSTER_PROPERTIES,
    admin_get,
    commit_offset,
    create_topic,
    fetch_metadata,
    find_coordinator,
    running_cluster,
)
from tests.support.raw_client import RawClient, fetch_v11

GROUP = "metadata-group"
OFFSETS = "__consumer_offsets"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(
        tmp_path_factory.mktemp("metadata"), 3, properties=CLUSTER_PROPERTIES
    ) as running:
        create_topic(running, "m", 3, 3)
        yield running


def converged(cluster, topic: str, partitions: int) -> dict[int, tuple[int, int]]:
    """partition -> (leader, epoch) once every node answers the same, with a leader each."""
    deadline = time.monotonic() + 30
    while True:
        views = [fetch_metadata(n.kafka_port, [topic]) for n in cluster.nodes]
        seen = {
            i: {(v.partition(topic, i).leader, v.partition(topic, i).leader_epoch) for v in views}
            for i in range(partitions)
        }
        if all(len(s) == 1 and next(iter(s))[0] >= 0 for s in seen.values()):
            return {i: next(iter(s)) for i, s in seen.items()}
        assert time.monotonic() < deadline, f"metadata did not converge: {seen}"
        time.sleep(0.1)


def test_every_node_answers_the_same_brokers_leaders_and_replicas(cluster):
    leaders = converged(cluster, "m", 3)
    for node in cluster.nodes:
        meta = fetch_metadata(node.kafka_port, ["m"])
        assert sorted(meta.brokers) == [0, 1, 2]
        assert meta.brokers[1] == ("127.0.0.1", cluster.nodes[1].kafka_port)
        assert meta.controller_id in (0, 1, 2)
        for i in range(3):
            info = meta.partition("m", i)
            assert sorted(info.replicas) == [0, 1, 2] and info.error_code == 0
            assert (info.leader, info.leader_epoch) == leaders[i]
    assert len({leader for leader, _ in leaders.values()}) > 1  # leaders spread over nodes
    leader = cluster.nodes[leaders[0][0]]
    deadline = time.monotonic() + 10
    while sorted(fetch_metadata(leader.kafka_port, ["m"]).partition("m", 0).isr) != [0, 1, 2]:
        assert time.monotonic() < deadline, "the leader's ISR never held every replica"
        time.sleep(0.1)


def test_data_requests_to_a_follower_answer_not_leader(cluster):
    leader = converged(cluster, "m", 3)[0][0]
    follower = cluster.nodes[(leader + 1) % 3]
    batch = bytes(build_batch([Record(key=b"k", value=b"v")]))
    client = RawClient(follower.kafka_port)
    try:
        produced = partition_response(client.request(produce_request("m", batch)))
        assert produced.error_code == ErrorCode.not_leader_or_follower
        fetched = client.request(fetch_v11("m")).responses[0].partitions[0]
        assert fetched.error_code == ErrorCode.not_leader_or_follower
        listed = client.request(
            list_offsets4.ListOffsetsRequest(
                replica_id=-1,
                isolation_level=0,
                topics=(
                    list_offsets4.ListOffsetsTopic(
                        name="m",
                        partitions=(
                            list_offsets4.ListOffsetsPartition(
                                partition_index=0, current_leader_epoch=-1, timestamp=-1
                            ),
                        ),
                    ),
                ),
            )
        )
        assert listed.topics[0].partitions[0].error_code == ErrorCode.not_leader_or_follower
        epochs = client.request(
            epoch3.OffsetForLeaderEpochRequest(
                replica_id=-1,
                topics=(
                    epoch3.OffsetForLeaderTopic(
                        topic="m",
                        partitions=(
                            epoch3.OffsetForLeaderPartition(
                                partition=0, current_leader_epoch=-1, leader_epoch=0
                            ),
                        ),
                    ),
                ),
            )
        )
        assert epochs.topics[0].partitions[0].error_code == ErrorCode.not_leader_or_follower
        missing = partition_response(client.request(produce_request("no-such-topic", batch)))
        assert missing.error_code == ErrorCode.unknown_topic_or_partition
    finally:
        client.close()
    to_leader = RawClient(cluster.nodes[leader].kafka_port)
    try:
        assert partition_response(to_leader.request(produce_request("m", batch))).error_code == 0
    finally:
        to_leader.close()


def test_find_coordinator_names_the_offsets_partition_leader_everywhere(cluster):
    deadline = time.monotonic() + 30
    answers = [find_coordinator(n.kafka_port, GROUP) for n in cluster.nodes]
    while not all(a[0] == ErrorCode.none for a in answers) or len(set(answers)) != 1:
        assert time.monotonic() < deadline, f"coordinators never agreed: {answers}"
        time.sleep(0.2)
        answers = [find_coordinator(n.kafka_port, GROUP) for n in cluster.nodes]
    _, coordinator, port = answers[0]
    assert port == cluster.nodes[coordinator].kafka_port
    meta = fetch_metadata(cluster.nodes[0].kafka_port, [OFFSETS])
    partitions = [info for (t, _), info in meta.partitions.items() if t == OFFSETS]
    assert {len(info.replicas) for info in partitions} == {3}  # min(3 wanted, 3 members)
    assert coordinator in {info.leader for info in partitions}
    assert commit_offset(port, GROUP, "m", 1) == ErrorCode.none
    other = cluster.nodes[(coordinator + 1) % 3].kafka_port
    assert commit_offset(other, GROUP, "m", 1) == ErrorCode.not_coordinator


def test_admin_api_lists_every_broker_alive_and_a_healthy_cluster(cluster):
    converged(cluster, "m", 3)
    for node in cluster.nodes:
        brokers = admin_get(node.admin_port, "/v1/brokers")
        assert [(b["node_id"], b["is_alive"]) for b in brokers] == [(0, True), (1, True), (2, True)]
        parts = admin_get(node.admin_port, "/v1/partitions/kafka/m")
        assert [sorted(r["node_id"] for r in p["replicas"]) for p in parts] == [[0, 1, 2]] * 3
    deadline = time.monotonic() + 20
    health = admin_get(cluster.nodes[0].admin_port, "/v1/cluster/health_overview")
    while health["leaderless_partitions"] or health["under_replicated_partitions"]:
        assert time.monotonic() < deadline, health
        time.sleep(0.2)
        health = admin_get(cluster.nodes[0].admin_port, "/v1/cluster/health_overview")
    assert health["all_nodes"] == [0, 1, 2] and health["nodes_down"] == []
    assert health["is_healthy"] is True
