"""The consume-transform-produce process of the exactly-once tests (run as a script):

    python -m tests.support.eos_transformer BOOTSTRAP IN_TOPIC OUT_TOPIC GROUP TXN_ID LOG_PATH

A confluent-kafka read_committed consumer assigned every partition of IN_TOPIC (starting at
GROUP's committed offsets, no auto commit) and a
transactional producer (TXN_ID) writing `out-<value>` for each input to the same partition of
OUT_TOPIC, with the consumed positions sent in the transaction (send_offsets_to_transaction).
Each transaction is logged to LOG_PATH as JSON lines (`begin`, `write`, `end` with its outcome)
so a killed run leaves its last transaction without an outcome (unknown). It exits after
IDLE_EXIT_S without input; the tests SIGKILL it at random moments and start it again.
"""

from __future__ import annotations

import faulthandler
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

BATCH_MAX = 25
IDLE_EXIT_S = 6.0
RECORD_DELAY_S = 0.02
STUCK_DUMP_S = 100.0


def main(bootstrap: str, in_topic: str, out_topic: str, group: str, tid: str, log_path: str):
    faulthandler.dump_traceback_later(STUCK_DUMP_S, exit=True)  # where a stuck run hangs
    log = open(log_path, "a", buffering=1)
    run = f"{os.getpid()}"

    def note(**event) -> None:
        log.write(json.dumps(dict(event, run=run)) + "\n")

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
        }
    )
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid, "linger.ms": 2})
    producer.init_transactions(60)  # fences and finishes what a killed predecessor left
    # assigned, not subscribed: a killed member would hold a rebalance for its session timeout
    metadata = consumer.list_topics(in_topic, timeout=30).topics[in_topic]
    consumer.assign([TopicPartition(in_topic, p) for p in sorted(metadata.partitions)])
    idle_since = time.monotonic()
    seq = 0
    while time.monotonic() - idle_since < IDLE_EXIT_S:
        msgs = [m for m in consumer.consume(BATCH_MAX, 0.5) if not m.error()]
        if not msgs:
            continue
        idle_since = time.monotonic()
        faulthandler.dump_traceback_later(STUCK_DUMP_S, exit=True)
        seq += 1
        txn = f"{run}-{seq}"
        producer.begin_transaction()
        note(type="begin", txn=txn)
        for m in msgs:
            value = "out-" + m.value().decode()
            producer.produce(out_topic, value=value.encode(), partition=m.partition())
            note(type="write", txn=txn, partition=m.partition(), value=value, at=m.offset())
            time.sleep(RECORD_DELAY_S)  # transactions take a while: kills land inside them
        try:
            producer.send_offsets_to_transaction(
                consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 30
            )
            note(type="commit", txn=txn, t=time.time())
            producer.commit_transaction(60)
            note(type="end", txn=txn, outcome="committed")
        except KafkaException as exc:
            error = exc.args[0]
            if error.txn_requires_abort():
                producer.abort_transaction(60)
                note(type="end", txn=txn, outcome="aborted")
                _rewind(consumer)
            else:
                note(type="end", txn=txn, outcome="unknown", error=str(error))
                raise
    consumer.close()
    return 0


def _rewind(consumer: Consumer) -> None:
    """After an abort, consume again from the committed positions."""
    committed = consumer.committed(consumer.assignment(), 30)
    for tp in committed:
        if tp.offset >= 0:
            consumer.seek(tp)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:7]))
