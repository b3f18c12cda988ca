"""Audit logging on a 3-node cluster: `audit_enabled` turned on live through one node's Admin
API, every node writes its own lifecycle start and the Admin API requests it served into the
one `_redpanda.audit_log` (RF 3, replicas on every node), read back with kafka-python."""

from __future__ import annotations

import json
import time

from kafka import KafkaConsumer, TopicPartition

from tests.support.cluster import admin_get, admin_put, running_cluster

AUDIT_TOPIC = "_redpanda.audit_log"


def _events(bootstrap: str) -> list[dict]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, consumer_timeout_ms=1500)
    try:
        parts = consumer.partitions_for_topic(AUDIT_TOPIC) or set()
        consumer.assign([TopicPartition(AUDIT_TOPIC, p) for p in parts])
        consumer.seek_to_beginning()
        return [json.loads(m.value) for m in consumer]
    finally:
        consumer.close()


def test_every_node_audits_into_the_one_topic(tmp_path):
    with running_cluster(tmp_path, 3, properties={"audit_queue_drain_interval_ms": 100}) as c:
        body = {"upsert": {"audit_enabled": True}, "remove": []}
        admin_put(c.nodes[0].admin_port, "/v1/cluster_config", body)
        deadline = time.monotonic() + 30
        wanted = {(n.node_id, n.admin_port) for n in c.nodes}
        while True:
            for node in c.nodes:
                admin_get(node.admin_port, "/v1/brokers")
            events = _events(c.bootstrap)
            starts = {e["metadata"]["product"]["uid"] for e in events if e["class_uid"] == 6002}
            calls = {
                (int(e["metadata"]["product"]["uid"]), e["http_request"]["url"]["port"])
                for e in events
                if e["class_uid"] == 6003 and "http_request" in e
            }
            if (starts == {"0", "1", "2"} and wanted <= calls) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert starts == {"0", "1", "2"}
        assert wanted <= calls
        meta = c.partition_info(AUDIT_TOPIC, 0)
        assert len(meta.replicas) == 3
