"""The group coordinator follows leadership on a three-process cluster: when the node
coordinating a group is killed, the others elect a new leader of the group's
__consumer_offsets partition, every survivor's FindCoordinator names it, and it answers with
the offsets committed before the kill (loaded after its term serves); the killed node,
restarted, neither answers for the group nor brings back an older offset."""

from __future__ import annotations

import time

from kio.schema.errors import ErrorCode
from kio.schema.offset_fetch.v7 import request as fetch7

from tests.support.cluster import (
    CLUSTER_PROPERTIES,
    commit_offset,
    create_topic,
    find_coordinator,
    running_cluster,
)
from tests.support.raw_client import RawClient

GROUP = "failover-group"
RETRIABLE = (
    ErrorCode.not_coordinator,
    ErrorCode.coordinator_not_available,
    ErrorCode.coordinator_load_in_progress,
)


def coordinator(cluster, among: list[int], timeout_s: float = 30) -> int:
    """The node every node of `among` names as GROUP's coordinator, once they agree."""
    deadline = time.monotonic() + timeout_s
    while True:
        answers = {find_coordinator(cluster.nodes[i].kafka_port, GROUP) for i in among}
        if len(answers) == 1:
            error, node, _ = answers.pop()
            if error == ErrorCode.none and node in among:
                return node
        assert time.monotonic() < deadline, f"no agreed coordinator: {answers}"
        time.sleep(0.2)


def commit(port: int, offset: int) -> ErrorCode:
    return commit_offset(port, GROUP, "f", offset)


def committed(port: int) -> tuple[ErrorCode, int]:
    client = RawClient(port)
    try:
        answer = client.request(
            fetch7.OffsetFetchRequest(
                group_id=GROUP,
                topics=(fetch7.OffsetFetchRequestTopic(name="f", partition_indexes=(0,)),),
                require_stable=False,
            )
        )
        if answer.error_code != ErrorCode.none:
            return answer.error_code, -1
        row = answer.topics[0].partitions[0]
        return row.error_code, int(row.committed_offset)
    finally:
        client.close()


def settled(call, timeout_s: float = 30):
    """`call()` until its error is not a retriable coordinator error."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = call()
        error = result[0] if isinstance(result, tuple) else result
        if error not in RETRIABLE:
            return result
        assert time.monotonic() < deadline, f"still {error!r}"
        time.sleep(0.2)


def test_a_killed_coordinator_is_replaced_with_the_committed_offsets(tmp_path):
    with running_cluster(tmp_path / "c", 3, properties=CLUSTER_PROPERTIES) as cluster:
        create_topic(cluster, "f", 1, 3)
        first = coordinator(cluster, [0, 1, 2])
        assert settled(lambda: commit(cluster.nodes[first].kafka_port, 5)) == ErrorCode.none
        cluster.kill(first)
        rest = [i for i in range(3) if i != first]
        second = coordinator(cluster, rest)
        port = cluster.nodes[second].kafka_port
        assert settled(lambda: committed(port)) == (ErrorCode.none, 5)
        assert settled(lambda: commit(port, 7)) == ErrorCode.none
        cluster.start_node(first)  # back as a follower of the offsets partition
        third = coordinator(cluster, [0, 1, 2])
        assert settled(lambda: committed(cluster.nodes[third].kafka_port)) == (ErrorCode.none, 7)
        if third != first:
            assert commit(cluster.nodes[first].kafka_port, 9) == ErrorCode.not_coordinator
