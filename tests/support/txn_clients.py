"""Helpers of the transaction tests: topics, and full reads at an isolation level."""

from __future__ import annotations

import time
import uuid

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

READ_IDLE_S = 3.0
READ_MAX_S = 60.0


def new_topic(bootstrap: str, partitions: int, replication: int = 1, prefix: str = "txn") -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, replication)])[name].result(30)
    return name


def read_all(
    bootstrap: str, topic: str, partitions: int, isolation: str = "read_committed"
) -> dict[tuple[str, int], list[tuple[int, str]]]:
    """Every record of the topic from offset 0 up to the end visible at `isolation`:
    partition -> [(offset, value)]. Reads until each partition reached its end (the LSO or
    the high watermark) and nothing new came for READ_IDLE_S."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex[:8]}",
            "isolation.level": isolation,
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    out: dict[tuple[str, int], list[tuple[int, str]]] = {(topic, p): [] for p in range(partitions)}
    try:
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        eof: set[int] = set()
        deadline = time.monotonic() + READ_MAX_S
        idle_since = time.monotonic()
        while time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is None:
                if len(eof) == partitions and time.monotonic() - idle_since > READ_IDLE_S:
                    break
                continue
            if msg.error():
                if msg.error().code() == -191:  # _PARTITION_EOF
                    eof.add(msg.partition())
                continue
            eof.discard(msg.partition())
            idle_since = time.monotonic()
            out[(topic, msg.partition())].append((msg.offset(), msg.value().decode()))
    finally:
        consumer.close()
    return out


def values(reads: dict[tuple[str, int], list[tuple[int, str]]]) -> list[str]:
    return sorted(v for records in reads.values() for _, v in records)
