"""The audit queue and writer (core.security.audit): the queue's byte bound
(audit_queue_max_buffer_size_per_shard), identical events counted once per drain window
(audit_queue_drain_interval_ms), the bytes in flight bounded by audit_client_max_buffer_size,
and the OCSF shapes Redpanda writes."""

from __future__ import annotations

import asyncio
import json

from core.security.audit import ocsf
from core.security.audit.queue import AuditQueue
from core.security.audit.writer import AuditWriter


def _login(user: str, error: str | None = None) -> ocsf.Event:
    login = ocsf.Login(user, "SCRAM-SHA-256", ("10.0.0.1", None), ("127.0.0.1", 9092), error=error)
    return ocsf.authentication(login, node_id=1, version="v1")


def test_an_event_past_the_queue_size_is_refused():
    """audit_queue_max_buffer_size_per_shard: a new event that does not fit is refused (the
    caller then fails the request); an identical one is still counted; a drain frees room."""
    first = _login("alice")
    queue = AuditQueue(max_bytes=first.size_bytes + 10)
    assert queue.push(first)
    assert not queue.push(_login("bob"))
    assert queue.refused == 1
    assert queue.push(_login("alice"))  # identical: counted, no bytes
    assert len(queue) == 1
    assert [e.count for e in queue.take()] == [2]
    assert queue.used_bytes == 0 and queue.push(_login("bob"))


def test_identical_events_in_a_window_are_one_record_with_a_count():
    """What is queued between two drains (audit_queue_drain_interval_ms) goes out once per
    distinct event, with count, start_time and end_time when it was seen more than once."""
    queue = AuditQueue(max_bytes=1 << 20)
    for _ in range(5):
        queue.push(_login("alice", error="bad password"))
    queue.push(_login("alice"))
    failed, ok = (json.loads(e.to_json()) for e in queue.take())
    assert failed["count"] == 5 and failed["end_time"] >= failed["start_time"] == failed["time"]
    assert failed["status_id"] == 2 and failed["status_detail"] == "bad password"
    assert "count" not in ok and ok["status_id"] == 1


def test_ocsf_shapes_follow_redpanda():
    auth = json.loads(_login("alice").to_json())
    assert (auth["category_uid"], auth["class_uid"], auth["type_uid"]) == (3, 3002, 300201)
    assert auth["auth_protocol"] == "SCRAM-SHA-256" and auth["auth_protocol_id"] == 99
    assert auth["user"] == {"name": "alice", "type_id": 1}
    assert auth["src_endpoint"]["ip"] == "10.0.0.1"
    assert auth["metadata"]["product"]["name"] == "Redpanda"
    life = json.loads(ocsf.lifecycle(ocsf.LIFECYCLE_START, 1, "v1").to_json())
    assert (life["class_uid"], life["activity_id"], life["type_uid"]) == (6002, 3, 600203)
    authz = ocsf.Authorization(
        api_key=19,
        principal="User:bob",
        operation="CREATE",
        resource_type="TOPIC",
        resource_name="t1",
        allowed=False,
        client=("10.0.0.2", 5555),
        server=("127.0.0.1", 9092),
        client_id="rpk",
        policy="acl",
    )
    api = json.loads(ocsf.kafka_api_activity(authz, 1, "v1").to_json())
    assert (api["class_uid"], api["activity_id"], api["type_uid"]) == (6003, 1, 600301)
    assert api["api"]["operation"] == "create_topics" and api["status_id"] == 2
    assert api["resources"] == [{"name": "t1", "type": "topic"}]
    assert api["actor"]["authorizations"][0]["decision"] == "denied"


class _Partition:
    """A stand-in for a led partition whose acks=all futures the test resolves (only the
    writer's own bookkeeping is under test here)."""

    is_leader = True

    def __init__(self) -> None:
        self.pending: list[asyncio.Future] = []
        self.batches = 0

    def produce(self, batch, acks):
        from core.cluster.partition_txn import ProduceResult

        self.batches += 1
        fut = asyncio.get_running_loop().create_future()
        self.pending.append(fut)
        return ProduceResult(base_offset=0, last_offset=0, acked=fut)


class _Table:
    def __init__(self, partitions: int) -> None:
        from core.cluster.topic_table import TopicMeta

        self.meta = TopicMeta("_redpanda.audit_log", "id", 1, {}, list(range(partitions)))

    def get(self, name):
        return self.meta


def test_writes_in_flight_are_bounded_by_the_client_buffer():
    """audit_client_max_buffer_size: past it, the next batch waits for acks of earlier ones."""

    async def run() -> None:
        part = _Partition()
        topics = type("Topics", (), {"table": _Table(1)})()
        parts = type("Parts", (), {"get": lambda self, t, i: part})()
        limit = {"audit_client_max_buffer_size": 700_000}
        writer = AuditWriter(topics, parts, limit.__getitem__, lambda: 1)
        values = [b"x" * 1000] * 1000  # two batches of ~512 KiB
        task = asyncio.create_task(writer.write(values))
        await asyncio.sleep(0.05)
        assert part.batches == 1 and not task.done()  # the second waits for room
        assert writer.in_flight_bytes <= 700_000
        part.pending[0].set_result(None)
        await asyncio.wait_for(task, 2)
        assert part.batches == 2
        part.pending[1].set_result(None)
        await writer.flush(1)
        assert writer.written == 1000 and writer.in_flight_bytes == 0

    asyncio.run(run())


def test_events_stay_queued_while_no_audit_partition_is_led_here():
    """A drain with no partition of the audit topic led here writes nothing and keeps the
    events (they go out once one is led again)."""
    from core.security.audit.log import DEFAULTS, AuditLog

    async def run() -> None:
        part = _Partition()
        part.is_leader = False
        topics = type("Topics", (), {"table": _Table(2)})()
        parts = type("Parts", (), {"get": lambda self, t, i: part})()
        config = dict(DEFAULTS, audit_enabled=True)
        writer = AuditWriter(topics, parts, config.__getitem__, lambda: 1)
        audit = AuditLog(1, "v1", config.__getitem__, writer, ("127.0.0.1", 9092))
        assert audit.login("10.0.0.1", "PLAIN", "alice", None)
        await audit.drain()
        assert len(audit.queue) == 1 and part.batches == 0
        part.is_leader = True
        await audit.drain()
        assert len(audit.queue) == 0 and part.batches == 1
        part.pending[0].set_result(None)
        await writer.flush(1)
        assert writer.written == 1

    asyncio.run(run())
