"""`rpk cluster txn list | describe | describe-producers` against a broker with an open and a
committed transaction, as rpk prints them (in-process rpk)."""

from __future__ import annotations

import json
import uuid

from confluent_kafka import Producer

from tests.support.rpk import run_in_process
from tests.support.txn_clients import new_topic


def _rpk(broker, *args: str):
    return run_in_process(["-X", f"brokers={broker.bootstrap}", *args])


def test_rpk_cluster_txn(txn_broker, tmp_path):
    bootstrap = txn_broker.bootstrap
    topic = new_topic(bootstrap, 2)
    done, open_ = f"done-{uuid.uuid4().hex[:6]}", f"open-{uuid.uuid4().hex[:6]}"
    p1 = Producer({"bootstrap.servers": bootstrap, "transactional.id": done})
    p1.init_transactions(30)
    p1.begin_transaction()
    p1.produce(topic, b"a", partition=0)
    p1.commit_transaction(30)
    p2 = Producer(
        {"bootstrap.servers": bootstrap, "transactional.id": open_, "transaction.timeout.ms": 50000}
    )
    p2.init_transactions(30)
    p2.begin_transaction()
    p2.produce(topic, b"b", partition=0)
    p2.produce(topic, b"c", partition=1)
    p2.flush(30)

    listed = _rpk(txn_broker, "cluster", "txn", "list")
    assert listed.exit_code == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["COORDINATOR", "TRANSACTIONAL-ID", "PRODUCER-ID", "STATE"]
    states = {line.split()[1]: line.split()[3] for line in lines[1:]}
    assert states[done] == "CompleteCommit" and states[open_] == "Ongoing"

    doc = json.loads(_rpk(txn_broker, "cluster", "txn", "list", "--format", "json").stdout)
    assert {"broker", "transaction_id", "producer_id", "state"} <= set(doc[0])

    described = _rpk(txn_broker, "cluster", "txn", "describe", open_, "--print-partitions")
    assert described.exit_code == 0, described.stderr
    head, row = described.stdout.splitlines()
    assert head.split() == ["COORDINATOR", "TRANSACTIONAL-ID", "PRODUCER-ID", "PRODUCER-EPOCH",
                            "STATE", "START-TIMESTAMP", "TIMEOUT", "TOPICS"]  # fmt: skip
    cells = row.split()
    assert cells[1] == open_ and cells[4] == "Ongoing" and cells[6] == "50s"
    assert cells[7] == f"{topic}[0;1]"

    producers = _rpk(txn_broker, "cluster", "txn", "describe-producers", "--topics", topic)
    assert producers.exit_code == 0, producers.stderr
    head, *rows = producers.stdout.splitlines()
    assert head.split()[:4] == ["LEADER", "TOPIC", "PARTITION", "PRODUCER-ID"]
    assert len(rows) >= 2  # both producers on partition 0, the open one on 1

    missing = _rpk(txn_broker, "cluster", "txn", "describe-producers")
    assert missing.exit_code != 0
    assert "must specify at least one of --all or --topics" in missing.stderr + missing.stdout
    p2.abort_transaction(30)
