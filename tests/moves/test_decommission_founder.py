"""Decommissioning a founder (a voter of the controller group, raft group 0) shrinks the
controller group, so its majority is counted over the nodes that remain: with node 3
decommissioned and then node 2 killed, the two nodes left still form a controller majority
(2 of 3; 2 of the four original voters would not be one) and create a topic."""

from __future__ import annotations

import pytest

from tests.support.cluster import admin_get, create_topic
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]


def _controller_voters(port: int) -> list[int] | None:
    parts = admin_get(port, "/v1/cluster/partitions?with_internal=true")
    if parts is None:
        return None
    for p in parts:
        if p["ns"] == "redpanda" and p["topic"] == "controller":
            return sorted(r["node_id"] for r in p["replicas"])
    return None


def test_a_decommissioned_founder_leaves_the_controller_group(cluster4, admin) -> None:
    port = cluster4.nodes[0].admin_port
    assert wait_for(lambda: _controller_voters(port) == [0, 1, 2, 3], "4 voters", 30)
    create_topic(cluster4, "keep", 2, 3)
    status, err = admin(port, "PUT", "/v1/brokers/3/decommission")
    assert status == 200, err
    wait_for(
        lambda: (
            (a := admin(port, "GET", "/v1/brokers/3/decommission"))[0] == 200 and a[1]["finished"]
        ),
        "node 3 decommissioned",
        180,
    )
    for node in (0, 1, 2):
        p = cluster4.nodes[node].admin_port
        wait_for(lambda p=p: _controller_voters(p) == [0, 1, 2], "voters [0, 1, 2]", 60)
    cluster4.nodes[3].stop()
    cluster4.kill(2)
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient, NewTopic

    def created() -> bool:  # applied: a controller majority answered
        client = AdminClient({"bootstrap.servers": cluster4.bootstrap})
        future = client.create_topics([NewTopic("after", 2, 1)], request_timeout=30)["after"]
        try:
            future.result(45)
        except KafkaException as exc:
            if exc.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS:
                return True
            print(f"CreateTopics: {exc}")
            return False
        return True

    assert wait_for(created, "a topic created by 2 of the 3 voters", 120, interval_s=1), (
        cluster4.views() + cluster4.log_tails(30)
    )
    assert _controller_voters(port) == [0, 1, 2]
