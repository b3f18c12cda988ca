"""create_topic_timeout_ms bounds a topic's auto-creation by Metadata
(core/server/handlers/metadata.py), as Redpanda's Metadata handler bounded it: the controller
command, then the wait for the new partitions' leaders, share that time.

Three real brokers. With two of them stopped (SIGSTOP) the controller cannot commit the
creation: the third answers REQUEST_TIMED_OUT once create_topic_timeout_ms (1 s) has passed,
well before the controller's own bound on a command (10 s). With the nodes back and the
property raised, a topic of three partitions auto-created by one Metadata request comes back
with every leader known in that first answer."""

from __future__ import annotations

import time

from kio.schema.errors import ErrorCode

from tests.cluster_properties.support import auto_create, set_cluster_config
from tests.support.cluster import running_cluster

PROPERTIES = {
    "auto_create_topics_enabled": True,
    "create_topic_timeout_ms": 1_000,
    "default_topic_partitions": 3,
}
CONTROLLER_BOUND_S = 10.0  # core/cluster/controller_submit.py DEFAULT_SUBMIT_TIMEOUT_MS


def _set_when_the_controller_answers(admin_port: int, **values) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            set_cluster_config(admin_port, **values)
            return
        except OSError:  # urllib's HTTPError too: no controller leader yet after the resume
            assert time.monotonic() < deadline, f"could not set {values}"
            time.sleep(0.5)


def test_auto_create_without_a_controller_quorum_answers_at_the_create_timeout(tmp_path):
    with running_cluster(tmp_path / "cluster", 3, properties=PROPERTIES) as cluster:
        asked = cluster.nodes[0]
        cluster.pause(1)
        cluster.pause(2)
        try:
            response, took_s = auto_create(asked.kafka_port, ["stalled"])
        finally:
            cluster.resume(1)
            cluster.resume(2)
        (topic,) = response.topics
        assert topic.error_code == ErrorCode.request_timed_out, topic
        assert 0.9 <= took_s < CONTROLLER_BOUND_S / 2, took_s  # the property's 1 s bounded it

        _set_when_the_controller_answers(asked.admin_port, create_topic_timeout_ms=30_000)
        response, _took_s = auto_create(asked.kafka_port, ["prompt"])
        (topic,) = response.topics
        assert topic.error_code == ErrorCode.none, topic
        assert len(topic.partitions) == 3
        assert all(p.error_code == ErrorCode.none and p.leader_id >= 0 for p in topic.partitions)
