"""Topics and records on a real broker through kafka-python: create, produce, committed offsets."""

from __future__ import annotations

ADMIN_TIMEOUT_MS = 10_000
FLUSH_TIMEOUT_S = 30


def admin_client(bootstrap: str):
    from kafka.admin import KafkaAdminClient

    return KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=ADMIN_TIMEOUT_MS)


def make_topic(
    bootstrap: str, name: str, partitions: int = 1, configs: dict[str, str] | None = None
) -> None:
    """Create topic `name` (replication factor 1), with topic `configs` if given."""
    from kafka.admin import NewTopic

    admin = admin_client(bootstrap)
    try:
        admin.create_topics([NewTopic(name, partitions, 1, topic_configs=configs or {})])
    finally:
        admin.close()


def produce(bootstrap: str, topic: str, partitions: int, start: int, count: int) -> None:
    """Records r<start>..r<start+count-1> with acks=all, record i to partition i % partitions."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    try:
        for i in range(start, start + count):
            producer.send(topic, value=f"r{i}".encode(), partition=i % partitions)
        producer.flush(FLUSH_TIMEOUT_S)
    finally:
        producer.close()


def committed_offsets(bootstrap: str, group: str) -> dict[int, int]:
    """The group's committed offset per partition (of whatever topics it committed)."""
    admin = admin_client(bootstrap)
    try:
        return {
            tp.partition: om.offset
            for tp, om in admin.list_group_offsets(group).get(group, {}).items()
        }
    finally:
        admin.close()
