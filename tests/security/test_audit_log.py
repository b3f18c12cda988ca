"""Audit logging (`audit_enabled`) on a real broker with SASL and ACLs: logins, Kafka
management requests and Admin API requests recorded as OCSF JSON in `_redpanda.audit_log`,
read back with kafka-python; `audit_enabled_event_types`, `audit_excluded_principals` and
`audit_excluded_topics` applied live; nothing written while auditing is off; a full audit queue
(`audit_queue_max_buffer_size_per_shard`) failing what it cannot audit."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError

from tests.security.sasl_wire import SASL_AUTHENTICATION_FAILED, WireClient, scram_login
from tests.support.broker import BrokerProcess
from tests.support.security import (
    SUPERUSER,
    create_user,
    kafka_python_sasl,
    sasl_args,
    set_cluster_config,
)

AUDIT_TOPIC = "_redpanda.audit_log"
MECH = "SCRAM-SHA-256"
ALICE = ("alice", "alice-pw")
BOB = ("bob", "bob-pw")
DRAIN = ["--set", "redpanda.audit_queue_drain_interval_ms=100"]


def _start(tmp_path_factory, name: str, *args: str) -> BrokerProcess:
    broker = BrokerProcess(tmp_path_factory.mktemp(name) / "broker", *sasl_args(*args))
    broker.start()
    try:
        create_user(broker, *SUPERUSER, mechanism=MECH)
        create_user(broker, *ALICE, mechanism=MECH)
        create_user(broker, *BOB, mechanism=MECH)
    except BaseException:
        broker.stop()
        raise
    return broker


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    broker = _start(
        tmp_path_factory,
        "audited",
        "--set",
        "redpanda.audit_enabled=true",
        "--set",
        "redpanda.audit_log_num_partitions=3",
        "--set",
        "redpanda.audit_log_replication_factor=1",
        *DRAIN,
    )
    try:
        yield broker
    finally:
        broker.stop()


def _cfg(broker: BrokerProcess, user: tuple[str, str]) -> dict:
    return kafka_python_sasl(broker, *user, MECH)


def _admin(broker: BrokerProcess, user: tuple[str, str] = SUPERUSER) -> KafkaAdminClient:
    return KafkaAdminClient(**_cfg(broker, user))


def _failed_login(broker: BrokerProcess, user: str) -> str:
    """A SCRAM login with a wrong password; the client address it came from."""
    client = WireClient(broker.kafka_port)
    try:
        assert client.handshake(MECH) == 0
        assert scram_login(client, MECH, user, "wrong-password").code == SASL_AUTHENTICATION_FAILED
    finally:
        client.close()
    return client.source


def _http(
    broker: BrokerProcess,
    path: str,
    auth: tuple[str, str] | None = None,
    body: dict | None = None,
) -> int:
    """The status of a GET (a PUT of `body`) on the Admin API, with Basic `auth` if given."""
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
    request = urllib.request.Request(
        broker.admin_url + path,
        data=None if body is None else json.dumps(body).encode(),
        headers=headers,
        method="GET" if body is None else "PUT",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _events(broker: BrokerProcess, until, timeout_s: float = 20.0) -> list[dict]:
    """Every record of the audit topic (read as the superuser), re-read until `until(events)`."""
    deadline = time.monotonic() + timeout_s
    while True:
        consumer = KafkaConsumer(**_cfg(broker, SUPERUSER), consumer_timeout_ms=1500)
        try:
            parts = [
                TopicPartition(AUDIT_TOPIC, p)
                for p in consumer.partitions_for_topic(AUDIT_TOPIC) or ()
            ]
            consumer.assign(parts)
            consumer.seek_to_beginning()
            events = [json.loads(m.value) for m in consumer]
        finally:
            consumer.close()
        if until(events) or time.monotonic() > deadline:
            return events
        time.sleep(0.3)


def _logins(events, user, status):
    return [
        e
        for e in events
        if e["class_uid"] == 3002 and e["user"]["name"] == user and e["status_id"] == status
    ]


def _kafka_calls(events, operation, resource, resource_type="topic"):
    return [
        e
        for e in events
        if e["class_uid"] == 6003
        and e["api"]["operation"] == operation
        and {"name": resource, "type": resource_type} in e["resources"]
    ]


def _admin_calls(events, path):
    return [
        e
        for e in events
        if e["class_uid"] == 6003 and e.get("http_request", {}).get("url", {}).get("path") == path
    ]


def test_audit_log_records_logins_management_and_admin_requests(audited):
    """audit_enabled: the topic (audit_log_num_partitions=3, audit_log_replication_factor=1)
    holds the lifecycle start, SASL logins (failed and successful), CreateTopics/DeleteTopics
    decisions (allowed for the superuser, denied for alice) and an Admin API request."""
    source = _failed_login(audited, ALICE[0])
    admin = _admin(audited)
    try:
        admin.create_topics([NewTopic("audited-topic", 1, 1)])
        admin.delete_topics(["audited-topic"])
        meta = admin.describe_topics([AUDIT_TOPIC])[0]
    finally:
        admin.close()
    assert len(meta["partitions"]) == 3
    assert {len(p["replica_nodes"]) for p in meta["partitions"]} == {1}
    alice = _admin(audited, ALICE)
    try:
        with pytest.raises(KafkaError):
            alice.create_topics([NewTopic("denied-topic", 1, 1)])
    finally:
        alice.close()
    assert _http(audited, "/v1/brokers") == 200

    def complete(events):
        return (
            _logins(events, ALICE[0], 2)
            and _logins(events, ALICE[0], 1)
            and _kafka_calls(events, "delete_topics", "audited-topic")
            and _kafka_calls(events, "create_topics", "denied-topic")
            and _admin_calls(events, "/v1/brokers")
        )

    events = _events(audited, complete)
    assert [e for e in events if e["class_uid"] == 6002 and e["activity_id"] == 3]
    (failed,) = _logins(events, ALICE[0], 2)[:1]
    assert failed["auth_protocol"] == MECH and failed["status_detail"]
    assert failed["src_endpoint"]["ip"] == source
    assert _logins(events, SUPERUSER[0], 1)[0]["user"]["type_id"] == 2  # a superuser
    # CreateTopics asks CREATE on the cluster first: the superuser's decision names the cluster
    created = [
        e
        for e in _kafka_calls(events, "create_topics", "kafka-cluster", "cluster")
        if e["actor"]["user"]["name"] == SUPERUSER[0]
    ]
    assert created and created[0]["status_id"] == 1 and created[0]["activity_id"] == 1
    deleted = _kafka_calls(events, "delete_topics", "audited-topic")[0]
    assert deleted["status_id"] == 1 and deleted["activity_id"] == 4
    denied = _kafka_calls(events, "create_topics", "denied-topic")[0]
    assert denied["status_id"] == 2 and denied["actor"]["user"]["name"] == ALICE[0]
    assert denied["actor"]["authorizations"][0]["decision"] == "denied"
    brokers = _admin_calls(events, "/v1/brokers")[0]
    assert brokers["api"]["service"]["name"] == "Redpanda Admin HTTP Server"
    assert brokers["http_request"]["http_method"] == "GET" and brokers["status_id"] == 1


def test_event_types_and_exclusions_apply_live(audited):
    """audit_excluded_principals, audit_excluded_topics and audit_enabled_event_types, set
    through the Admin API while the broker runs."""
    set_cluster_config(
        audited, audit_excluded_principals=["User:bob"], audit_excluded_topics=["secret-topic"]
    )
    _failed_login(audited, BOB[0])
    alice = _admin(audited, ALICE)  # denied: decisions on each topic (no CREATE on the cluster)
    try:
        with pytest.raises(KafkaError):
            alice.create_topics([NewTopic("secret-topic", 1, 1), NewTopic("visible-topic", 1, 1)])
    finally:
        alice.close()
    set_cluster_config(audited, audit_enabled_event_types=["authenticate"])
    admin = _admin(audited, ALICE)  # a login: recorded; its CreateTopics: not (management off)
    try:
        with pytest.raises(KafkaError):
            admin.create_topics([NewTopic("unaudited-topic", 1, 1)])
    finally:
        admin.close()
    _failed_login(audited, "carol")
    set_cluster_config(
        audited,
        audit_enabled_event_types=None,
        audit_excluded_principals=None,
        audit_excluded_topics=None,
    )
    events = _events(
        audited,
        lambda ev: _kafka_calls(ev, "create_topics", "visible-topic") and _logins(ev, "carol", 2),
    )
    assert _kafka_calls(events, "create_topics", "visible-topic")
    assert _logins(events, "carol", 2)
    assert not _kafka_calls(events, "create_topics", "secret-topic")
    assert not [e for e in events if e["class_uid"] == 3002 and e["user"]["name"] == BOB[0]]
    assert not _kafka_calls(events, "create_topics", "unaudited-topic")


def test_admin_api_basic_logins_are_audited(audited):
    """With admin_api_require_auth on, the Admin API's Basic logins are authentication events
    of the admin service (a wrong password: failed) beside the requests' api_activity."""
    set_cluster_config(audited, admin_api_require_auth=True)
    try:
        assert _http(audited, "/v1/brokers", auth=(SUPERUSER[0], "wrong")) == 401
        assert _http(audited, "/v1/brokers", auth=SUPERUSER) == 200
    finally:
        body = {"upsert": {}, "remove": ["admin_api_require_auth"]}
        assert _http(audited, "/v1/cluster_config", auth=SUPERUSER, body=body) == 200

    def admin_logins(events, status):
        return [
            e
            for e in events
            if e["class_uid"] == 3002
            and e["service"]["name"] == "Redpanda Admin HTTP Server"
            and e["user"]["name"] == SUPERUSER[0]
            and e["status_id"] == status
        ]

    events = _events(audited, lambda ev: admin_logins(ev, 1) and admin_logins(ev, 2))
    ok = admin_logins(events, 1)[0]
    assert ok["auth_protocol"] == MECH and ok["is_cleartext"] and ok["user"]["type_id"] == 2
    assert admin_logins(events, 2)[0]["status_detail"]
    refused = [
        e
        for e in _admin_calls(events, "/v1/brokers")
        if e["status_id"] == 2 and e["actor"]["user"]["name"] == SUPERUSER[0]
    ]
    assert refused and refused[0]["actor"]["authorizations"][0]["decision"] == "denied"


def test_produce_events_when_the_kind_is_enabled(audited):
    """audit_enabled_event_types with "produce": a Produce's WRITE decision on the topic is an
    api_activity (update) event, identical ones counted once per drain."""
    from kafka import KafkaProducer

    admin = _admin(audited)
    try:
        admin.create_topics([NewTopic("produced-topic", 1, 1)])
    finally:
        admin.close()
    set_cluster_config(audited, audit_enabled_event_types=["produce"])
    try:
        producer = KafkaProducer(**_cfg(audited, SUPERUSER))
        for i in range(3):
            producer.send("produced-topic", f"v{i}".encode()).get(10)
        producer.close()
    finally:
        set_cluster_config(audited, audit_enabled_event_types=None)
    events = _events(audited, lambda ev: _kafka_calls(ev, "produce", "produced-topic"))
    produced = _kafka_calls(events, "produce", "produced-topic")
    assert produced and produced[0]["activity_id"] == 3 and produced[0]["status_id"] == 1
    assert sum(e.get("count", 1) for e in produced) >= 3


def _topics(broker: BrokerProcess) -> set[str]:
    admin = _admin(broker)
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


def test_audit_off_writes_nothing(tmp_path_factory):
    """audit_enabled false (the default): logins, management and Admin API requests leave no
    topic; turned on live, the topic appears with the lifecycle start and later events."""
    broker = _start(tmp_path_factory, "off", *DRAIN)
    try:
        _failed_login(broker, ALICE[0])
        admin = _admin(broker)
        try:
            admin.create_topics([NewTopic("quiet-topic", 1, 1)])
        finally:
            admin.close()
        assert _http(broker, "/v1/brokers") == 200
        time.sleep(0.5)
        assert AUDIT_TOPIC not in _topics(broker)
        set_cluster_config(broker, audit_enabled=True)
        _failed_login(broker, "dave")
        events = _events(broker, lambda ev: _logins(ev, "dave", 2))
        assert [e for e in events if e["class_uid"] == 6002]
        assert _logins(events, "dave", 2)
        assert not _kafka_calls(events, "create_topics", "quiet-topic")
        assert not _logins(events, ALICE[0], 2)
    finally:
        broker.stop()


def test_a_full_audit_queue_fails_what_it_cannot_audit(tmp_path_factory):
    """audit_queue_max_buffer_size_per_shard too small for any event: a correct SASL login
    fails and an Admin API request answers 503, except cluster_config (the escape hatch); with
    audit_failure_policy permit both go through (the events are dropped)."""
    broker = _start(
        tmp_path_factory, "full", "--set", "redpanda.audit_queue_max_buffer_size_per_shard=16"
    )
    try:
        set_cluster_config(broker, audit_enabled=True)
        deadline = time.monotonic() + 20  # logins now fail: wait for the log line instead
        while "audit logging enabled" not in broker.log_text(since_start=True):
            assert time.monotonic() < deadline, "auditing did not start"
            time.sleep(0.2)
        client = WireClient(broker.kafka_port)
        try:
            assert client.handshake(MECH) == 0
            answer = scram_login(client, MECH, *ALICE)
        finally:
            client.close()
        assert answer.code == SASL_AUTHENTICATION_FAILED
        assert _http(broker, "/v1/brokers") == 503
        assert _http(broker, "/v1/cluster_config") == 200
        set_cluster_config(broker, audit_failure_policy="permit")  # drop the event instead
        client = WireClient(broker.kafka_port)
        try:
            assert client.handshake(MECH) == 0
            assert scram_login(client, MECH, *ALICE).code == 0
        finally:
            client.close()
        assert _http(broker, "/v1/brokers") == 200
        set_cluster_config(broker, audit_enabled=False)
        assert _http(broker, "/v1/brokers") == 200
    finally:
        broker.stop()


def test_the_audit_topic_cannot_be_deleted(audited):
    """kafka_nodelete_topics lists _redpanda.audit_log by default (as Redpanda): even a
    superuser's DeleteTopics is refused and the topic stays."""
    from kafka.errors import TopicAuthorizationFailedError

    admin = _admin(audited)
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            admin.delete_topics([AUDIT_TOPIC])
        assert AUDIT_TOPIC in admin.list_topics()
    finally:
        admin.close()
