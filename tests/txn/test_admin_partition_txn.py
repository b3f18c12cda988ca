"""Admin API, Redpanda's partition-side transaction routes: the open transactions of a data
partition (GET /v1/partitions/kafka/{topic}/{partition}/transactions) and the repair that drops
a partition from a transaction (POST /v1/transaction/{id}/delete_partition)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from tests.support.txn_clients import new_topic, read_all, values


def _call(url: str, method: str = "GET") -> tuple[int, object]:
    data = b"" if method == "POST" else None
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _summary(admin: str, tid: str) -> dict:
    status, found = _call(f"{admin}/v1/transaction/{tid}/find_coordinator")
    assert status == 200, found
    partition = found["ntp"]["partition"]
    status, listed = _call(f"{admin}/v1/transactions?coordinator_partition_id={partition}")
    assert status == 200, listed
    return next(t for t in listed if t["transactional_id"] == tid)


def test_partition_transactions_and_delete_partition(txn_broker):
    bootstrap, admin = txn_broker.bootstrap, txn_broker.admin_url
    kept, doomed = new_topic(bootstrap, 1), new_topic(bootstrap, 1)
    tid = f"admp-{uuid.uuid4().hex[:6]}"
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid})
    p.init_transactions(30)
    status, empty = _call(f"{admin}/v1/partitions/kafka/{kept}/0/transactions")
    assert status == 200 and empty == {"active_transactions": [], "expired_transactions": []}

    p.begin_transaction()
    p.produce(kept, b"kept", partition=0)
    p.produce(doomed, b"gone", partition=0)
    assert p.flush(30) == 0
    summary = _summary(admin, tid)
    status, body = _call(f"{admin}/v1/partitions/kafka/{kept}/0/transactions")
    assert status == 200, body
    assert body["expired_transactions"] == []
    [txn] = body["active_transactions"]
    assert txn["producer_id"] == summary["pid"] and txn["status"] == "ongoing"
    assert txn["lso_bound"] == 0 and txn["timeout_ms"] == 60000 and txn["staleness_ms"] >= 0

    for url, code in (
        (f"{admin}/v1/partitions/kafka/{kept}/7/transactions", 404),
        (f"{admin}/v1/partitions/other/{kept}/0/transactions", 404),
        (f"{admin}/v1/partitions/kafka/{kept}/x/transactions", 400),
    ):
        assert _call(url)[0] == code, url

    client = AdminClient({"bootstrap.servers": bootstrap})  # alive until the answer
    client.delete_topics([doomed])[doomed].result(30)
    etag = summary["partitions"][0]["etag"]
    base = f"{admin}/v1/transaction/{tid}/delete_partition?namespace=kafka"
    for query, code in (
        (f"&topic={doomed}&partition_id=0&etag={etag + 1}", 400),  # stale etag
        (f"&topic={doomed}&partition_id=0", 400),  # etag missing
        (f"&topic={doomed}&partition_id=3&etag={etag}", 404),  # not in the transaction
        (f"&topic={doomed}&partition_id=zz&etag={etag}", 400),
    ):
        assert _call(base + query, "POST")[0] == code, query
    status, body = _call(f"{base}&topic={doomed}&partition_id=0&etag={etag}", "POST")
    assert status == 200, body
    left = _summary(admin, tid)["partitions"]
    assert [(x["topic"], x["partition_id"]) for x in left] == [(kept, 0)]

    p.commit_transaction(30)
    deadline = time.monotonic() + 10
    while values(read_all(bootstrap, kept, 1)) != ["kept"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert values(read_all(bootstrap, kept, 1)) == ["kept"]
    status, body = _call(f"{admin}/v1/partitions/kafka/{kept}/0/transactions")
    assert status == 200 and body["active_transactions"] == [], body
