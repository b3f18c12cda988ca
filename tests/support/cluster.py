"""Multi-process clusters for tests: BrokerCluster (core/testing/cluster.py, shipped so bench can
use it) re-exported, plus the helpers the cluster tests share."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kio.schema.errors import ErrorCode
from kio.schema.find_coordinator.v3.request import FindCoordinatorRequest
from kio.schema.offset_commit.v8 import request as commit8

from core.testing.cluster import (
    BrokerCluster,
    ClusterError,
    ClusterNode,
    admin_get,
)
from core.testing.link_proxy import LinkProxies
from core.testing.metadata import ClusterMetadata, PartitionInfo, fetch_metadata
from core.testing.ports import reserve_ports
from tests.support.raw_client import RawClient

__all__ = [
    "CLUSTER_PROPERTIES",
    "BrokerCluster",
    "ClusterError",
    "ClusterMetadata",
    "ClusterNode",
    "LinkProxies",
    "PartitionInfo",
    "admin_get",
    "admin_put",
    "commit_offset",
    "create_topic",
    "fetch_metadata",
    "find_coordinator",
    "reserve_ports",
    "running_cluster",
]

TOPIC_TIMEOUT_S = 20.0
CREATE_ATTEMPTS = 2  # a CreateTopics lost to a controller election is sent once more
# Cluster properties of the fault tests' nodes. __consumer_offsets gets
# min(default_topic_replications, members): 3 here, so group offsets survive the loss of a node
# (Redpanda's internal topics default to RF 3 on their own: internal_topic_replication_factor).
# A new group's first rebalance waits 300 ms for more members instead of 3 s.
CLUSTER_PROPERTIES = {"default_topic_replications": 3, "group_initial_rebalance_delay": 300}


@contextmanager
def running_cluster(base_dir: Path, n: int = 3, **kwargs: Any) -> Iterator[BrokerCluster]:
    cluster = BrokerCluster(n, base_dir, **kwargs)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def create_topic(
    cluster: BrokerCluster,
    topic: str,
    partitions: int,
    replication_factor: int,
    config: dict[str, str] | None = None,
    timeout_s: float = TOPIC_TIMEOUT_S,
) -> None:
    """Create a topic (CreateTopics through confluent-kafka, sent again once if the first one
    gets no answer) and wait until every partition has a leader listing
    `replication_factor` replicas."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient, NewTopic

    new = NewTopic(topic, partitions, replication_factor, config=config or {})
    errors = []
    for _attempt in range(CREATE_ATTEMPTS):
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        started = time.monotonic()
        try:
            admin.create_topics([new], request_timeout=timeout_s)[topic].result(timeout_s)
            break
        except KafkaException as exc:
            if exc.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS and errors:
                break  # an earlier attempt created it after all
            errors.append(f"{exc!r} after {time.monotonic() - started:.1f}s")
        except TimeoutError:
            errors.append(f"no answer in {timeout_s}s")
    else:
        raise ClusterError(
            f"CreateTopics {topic} ({partitions}x{replication_factor}) failed: {errors}\n"
            f"{cluster.views()}\n" + cluster.log_tails()
        )
    if errors:  # an availability problem worth seeing in the test output, not a failure
        print(f"CreateTopics {topic}: retried after {errors}")
    deadline = time.monotonic() + timeout_s
    for p in range(partitions):
        cluster.leader_of(topic, p, timeout_s=max(1.0, deadline - time.monotonic()))
        info = cluster.partition_info(topic, p)
        assert len(info.replicas) == replication_factor, f"{topic}/{p}: {info}"


def admin_put(port: int, path: str, body: dict[str, Any], timeout_s: float = 10.0) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout_s) as resp:
        return json.loads(resp.read() or b"null")


def find_coordinator(port: int, group: str) -> tuple[ErrorCode, int, int]:
    """The node at `port`'s FindCoordinator answer for `group`: (error, node id, port)."""
    client = RawClient(port)
    try:
        answer = client.request(FindCoordinatorRequest(key=group, key_type=0))
        return answer.error_code, int(answer.node_id), int(answer.port)
    finally:
        client.close()


def commit_offset(port: int, group: str, topic: str, offset: int) -> ErrorCode:
    """One OffsetCommit of `offset` for `group` on `topic` partition 0, sent to the node at
    `port` outside any generation (as a simple consumer commits); the partition's error."""
    client = RawClient(port)
    try:
        answer = client.request(
            commit8.OffsetCommitRequest(
                group_id=group,
                generation_id_or_member_epoch=-1,
                member_id="",
                group_instance_id=None,
                topics=(
                    commit8.OffsetCommitRequestTopic(
                        name=topic,
                        partitions=(
                            commit8.OffsetCommitRequestPartition(
                                partition_index=0,
                                committed_offset=offset,
                                committed_leader_epoch=-1,
                                committed_metadata=None,
                            ),
                        ),
                    ),
                ),
            )
        )
        return answer.topics[0].partitions[0].error_code
    finally:
        client.close()
