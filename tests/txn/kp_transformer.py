"""The kafka-python consume-transform-produce process of test_eos_kafka_python (a script):

    python -m tests.txn.kp_transformer BOOTSTRAP IN_TOPIC OUT_TOPIC GROUP TXN_ID LOG_PATH

As tests.support.eos_transformer, with kafka-python's KafkaConsumer (read_committed, assigned
every input partition, starting at GROUP's committed offsets) and a transactional KafkaProducer
that sends the consumed positions in the transaction (send_offsets_to_transaction with the
consumer's group metadata). Each transaction is logged to LOG_PATH as JSON lines (`begin`,
`write`, `end` with its outcome) in the format tests.support.eos_run reads back.
"""

from __future__ import annotations

import faulthandler
import json
import os
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

BATCH_MAX = 25
IDLE_EXIT_S = 6.0
RECORD_DELAY_S = 0.02
STUCK_DUMP_S = 100.0


def main(bootstrap: str, in_topic: str, out_topic: str, group: str, tid: str, log_path: str):
    faulthandler.dump_traceback_later(STUCK_DUMP_S, exit=True)
    log = open(log_path, "a", buffering=1)
    run = f"kp-{os.getpid()}"

    def note(**event) -> None:
        log.write(json.dumps(dict(event, run=run)) + "\n")

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        isolation_level="read_committed",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = KafkaProducer(bootstrap_servers=bootstrap, transactional_id=tid, linger_ms=2)
    producer.init_transactions()  # fences and finishes what a killed predecessor left
    partitions = sorted(_partitions(consumer, in_topic))
    consumer.assign([TopicPartition(in_topic, p) for p in partitions])
    idle_since = time.monotonic()
    seq = 0
    while time.monotonic() - idle_since < IDLE_EXIT_S:
        polled = consumer.poll(timeout_ms=500, max_records=BATCH_MAX)
        msgs = [m for records in polled.values() for m in records]
        if not msgs:
            continue
        idle_since = time.monotonic()
        faulthandler.dump_traceback_later(STUCK_DUMP_S, exit=True)
        seq += 1
        txn = f"{run}-{seq}"
        producer.begin_transaction()
        note(type="begin", txn=txn)
        for m in msgs:
            value = "out-" + m.value.decode()
            producer.send(out_topic, value=value.encode(), partition=m.partition)
            note(type="write", txn=txn, partition=m.partition, value=value, at=m.offset)
            time.sleep(RECORD_DELAY_S)  # transactions take a while: kills land inside them
        positions = {
            tp: OffsetAndMetadata(consumer.position(tp), "", -1) for tp in consumer.assignment()
        }
        try:
            producer.send_offsets_to_transaction(positions, consumer.group_metadata())
            note(type="commit", txn=txn, t=time.time())
            producer.commit_transaction()
            note(type="end", txn=txn, outcome="committed")
        except KafkaError as exc:
            note(type="end", txn=txn, outcome="unknown", error=repr(exc))
            raise
    consumer.close()
    producer.close(5)
    return 0


def _partitions(consumer: KafkaConsumer, topic: str) -> set[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = consumer.partitions_for_topic(topic)
        if found:
            return found
        time.sleep(0.2)
    raise RuntimeError(f"no metadata for {topic}")


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:7]))
