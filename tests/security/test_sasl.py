"""SASL on the Kafka API: PLAIN and SCRAM-SHA-256/512 with kafka-python and confluent-kafka;
wrong passwords and unknown users refused with SASL_AUTHENTICATION_FAILED and the connection
closed; a request before authentication closes the connection; v0 raw-token framing; failed
attempts rate limited per client address (malformed tokens: test_sasl_fuzz). One broker (enable_sasl=true, authorization off) for the module."""

from __future__ import annotations

import asyncio
import datetime
import struct
import time

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kio.schema.metadata.v5.request import MetadataRequest
from kio.schema.sasl_authenticate.v1.request import SaslAuthenticateRequest
from kio.schema.sasl_handshake.v0.request import SaslHandshakeRequest as HandshakeV0
from kio.schema.sasl_handshake.v1.request import SaslHandshakeRequest

from tests.security.sasl_wire import SASL_AUTHENTICATION_FAILED, WireClient, scram_login
from tests.support.broker import BrokerProcess
from tests.support.raw_client import RawClient
from tests.support.security import (
    confluent_sasl,
    create_user,
    kafka_python_sasl,
    sasl_args,
    set_cluster_config,
)

USERS = {
    "SCRAM-SHA-256": ("alice256", "alice-pw-256"),
    "SCRAM-SHA-512": ("bob512", "bob-pw-512"),
    "PLAIN": ("carol", "carol-pw"),
}


@pytest.fixture(scope="module")
def sasl_broker(tmp_path_factory):
    # kafka_enable_authorization=false: SASL without ACL checks (null would follow enable_sasl)
    args = sasl_args(authz=False)
    broker = BrokerProcess(tmp_path_factory.mktemp("sasl") / "broker", *args).start()
    try:
        create_user(broker, *USERS["SCRAM-SHA-256"], mechanism="SCRAM-SHA-256")
        create_user(broker, *USERS["SCRAM-SHA-512"], mechanism="SCRAM-SHA-512")
        create_user(broker, *USERS["PLAIN"], mechanism="SCRAM-SHA-512")
        yield broker
    finally:
        broker.stop()


@pytest.mark.parametrize("mechanism", list(USERS))
def test_kafka_python_produces_and_consumes(sasl_broker, mechanism):
    user, password = USERS[mechanism]
    cfg = kafka_python_sasl(sasl_broker, user, password, mechanism)
    topic = f"kp-{mechanism.lower()}"
    _create_topic(cfg, topic)
    producer = KafkaProducer(**cfg)
    for i in range(5):
        producer.send(topic, f"v{i}".encode())
    producer.flush(10)
    producer.close()
    consumer = KafkaConsumer(topic, auto_offset_reset="earliest", consumer_timeout_ms=10_000, **cfg)
    values = []
    for message in consumer:
        values.append(message.value)
        if len(values) == 5:
            break
    consumer.close()
    assert values == [f"v{i}".encode() for i in range(5)]


@pytest.mark.parametrize("mechanism", list(USERS))
def test_confluent_kafka_produces_and_consumes(sasl_broker, mechanism):
    import confluent_kafka as ck

    user, password = USERS[mechanism]
    cfg = confluent_sasl(sasl_broker, user, password, mechanism)
    topic = f"ck-{mechanism.lower()}"
    _create_topic(kafka_python_sasl(sasl_broker, user, password, mechanism), topic)
    producer = ck.Producer(cfg)
    for i in range(5):
        producer.produce(topic, f"v{i}".encode())
    assert producer.flush(15) == 0
    consumer = ck.Consumer({**cfg, "group.id": f"g-{topic}", "enable.auto.commit": False})
    consumer.assign([ck.TopicPartition(topic, 0, ck.OFFSET_BEGINNING)])
    values: list[bytes] = []
    deadline = time.monotonic() + 20
    while len(values) < 5 and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            values.append(msg.value())
    consumer.close()
    assert values == [f"v{i}".encode() for i in range(5)]


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"])
def test_aiokafka_produces_and_consumes(sasl_broker, mechanism):
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    user, password = USERS[mechanism]
    topic = f"aio-{mechanism.lower()}"
    _create_topic(kafka_python_sasl(sasl_broker, user, password, mechanism), topic)
    cfg = {
        "bootstrap_servers": sasl_broker.bootstrap,
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": mechanism,
        "sasl_plain_username": user,
        "sasl_plain_password": password,
    }

    async def run() -> list[bytes]:
        producer = AIOKafkaProducer(**cfg)
        await producer.start()
        try:
            for i in range(3):
                await producer.send_and_wait(topic, f"a{i}".encode())
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(topic, auto_offset_reset="earliest", **cfg)
        await consumer.start()
        try:
            got = []
            async with asyncio.timeout(15):
                async for message in consumer:
                    got.append(message.value)
                    if len(got) == 3:
                        break
            return got
        finally:
            await consumer.stop()

    assert asyncio.run(run()) == [b"a0", b"a1", b"a2"]


@pytest.mark.parametrize(
    "user,password",
    [("alice256", "wrong"), ("nobody", "whatever")],
    ids=["wrong-password", "unknown-user"],
)
def test_bad_credentials_are_refused_and_the_connection_closed(sasl_broker, user, password):
    for mechanism in ("SCRAM-SHA-256", "PLAIN"):
        client = WireClient(sasl_broker.kafka_port, source="127.0.0.1")
        try:
            assert client.handshake(mechanism) == 0
            if mechanism == "PLAIN":
                answer = client.authenticate(f"\0{user}\0{password}".encode())
            else:
                answer = scram_login(client, mechanism, user, password)
            assert answer.code == SASL_AUTHENTICATION_FAILED
            assert "Authentication failed" in (answer.message or "")
            assert client.is_closed_by_peer()
        finally:
            client.close()
    assert "SASL authentication failed from 127.0.0.1" in sasl_broker.log_text()


def test_kafka_python_wrong_password_raises(sasl_broker):
    import kafka.errors as kerr

    cfg = kafka_python_sasl(sasl_broker, "alice256", "nope", "SCRAM-SHA-256")
    started = time.monotonic()
    with pytest.raises(kerr.KafkaError):
        KafkaAdminClient(**cfg, bootstrap_timeout_ms=3000).list_topics()
    assert time.monotonic() - started < 10


def test_request_before_authentication_closes_the_connection(sasl_broker):
    client = RawClient(sasl_broker.kafka_port)
    try:
        client.send_request(MetadataRequest(topics=None, allow_auto_topic_creation=False))
        assert client.recv_frame() is None
    finally:
        client.close()
    assert "sent before SASL authentication" in sasl_broker.log_text()


def test_v0_handshake_then_raw_plain_token(sasl_broker):
    user, password = USERS["PLAIN"]
    client = RawClient(sasl_broker.kafka_port)
    try:
        client.send_request(HandshakeV0(mechanism="PLAIN"))
        assert client.recv_frame() is not None
        client.send_frame(b"\0" + user.encode() + b"\0" + password.encode())
        assert client.recv_frame() == b""  # an empty token: authenticated
        client.send_request(MetadataRequest(topics=None, allow_auto_topic_creation=False))
        assert client.recv_frame() is not None
    finally:
        client.close()


def test_unknown_mechanism_is_refused_with_the_enabled_ones(sasl_broker):
    client = RawClient(sasl_broker.kafka_port)
    try:
        client.send_request(SaslHandshakeRequest(mechanism="GSSAPI"))
        frame = client.recv_frame()
        assert frame is not None
        assert struct.unpack(">h", frame[4:6])[0] == 33  # UNSUPPORTED_SASL_MECHANISM
        assert b"SCRAM-SHA-256" in frame and b"PLAIN" in frame
        assert client.is_closed_by_peer()
    finally:
        client.close()


def test_sasl_mechanisms_applies_live(sasl_broker):
    """sasl_mechanisms=[SCRAM] takes PLAIN away from the next handshake."""
    set_cluster_config(sasl_broker, sasl_mechanisms=["SCRAM"])
    try:
        client = RawClient(sasl_broker.kafka_port)
        try:
            client.send_request(SaslHandshakeRequest(mechanism="PLAIN"))
            frame = client.recv_frame()
            assert frame is not None and struct.unpack(">h", frame[4:6])[0] == 33
            assert b"PLAIN" not in frame and b"SCRAM-SHA-512" in frame
        finally:
            client.close()
    finally:
        set_cluster_config(sasl_broker, sasl_mechanisms=["SCRAM", "PLAIN"])


def test_kafka_sasl_max_reauth_ms_ends_the_session(sasl_broker):
    """kafka_sasl_max_reauth_ms is the session lifetime of SaslAuthenticate v1+ (KIP-368); a
    request after it ends (without re-authenticating) closes the connection."""
    set_cluster_config(sasl_broker, kafka_sasl_max_reauth_ms=1000)
    user, password = USERS["PLAIN"]
    client = WireClient(sasl_broker.kafka_port)
    try:
        assert client.handshake("PLAIN") == 0
        token = f"\0{user}\0{password}".encode()
        response = client.request(SaslAuthenticateRequest(auth_bytes=token))
        assert response.error_code.value == 0
        assert response.session_lifetime == datetime.timedelta(milliseconds=1000)
        client.send_request(MetadataRequest(topics=None, allow_auto_topic_creation=False))
        assert client.recv_frame() is not None
        # Re-authentication within the lifetime keeps the connection.
        assert client.handshake("PLAIN") == 0
        assert client.authenticate(f"\0{user}\0{password}".encode()).code == 0
        time.sleep(1.2)
        client.send_request(MetadataRequest(topics=None, allow_auto_topic_creation=False))
        assert client.recv_frame() is None
    finally:
        client.close()
        set_cluster_config(sasl_broker, kafka_sasl_max_reauth_ms=None)
    assert "sent before SASL expired" in sasl_broker.log_text()


# Helpers.


def _create_topic(cfg: dict, topic: str) -> None:
    admin = KafkaAdminClient(**cfg)
    try:
        admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        admin.close()


def test_failed_attempts_are_rate_limited_per_address(sasl_broker):
    """Last in the module: it spends this address's failure budget."""
    messages = []
    for _ in range(30):
        client = WireClient(sasl_broker.kafka_port, source="127.0.0.1")
        try:
            assert client.handshake("PLAIN") == 0
            messages.append(client.authenticate(b"\0carol\0wrong").message or "")
        finally:
            client.close()
        if "too many failed attempts" in messages[-1]:
            break
    assert "too many failed attempts" in messages[-1]
    time.sleep(1.1)  # one attempt back per second
    _assert_plain_login_works(sasl_broker)


def _assert_plain_login_works(broker) -> None:
    user, password = USERS["PLAIN"]
    client = WireClient(broker.kafka_port, source="127.0.0.1")
    try:
        assert client.handshake("PLAIN") == 0
        assert client.authenticate(f"\0{user}\0{password}".encode()).code == 0
    finally:
        client.close()


def test_second_handshake_mid_exchange_is_illegal_and_closes(sasl_broker):
    """Kafka's SaslServerAuthenticator answers a request other than SaslAuthenticate during the
    exchange with its error (ILLEGAL_SASL_STATE) and closes the connection."""
    client = WireClient(sasl_broker.kafka_port)
    try:
        assert client.handshake("SCRAM-SHA-256") == 0
        assert client.handshake("PLAIN") == 34  # ILLEGAL_SASL_STATE
        assert client.is_closed_by_peer()
    finally:
        client.close()
    assert "SaslHandshake during the SCRAM-SHA-256 exchange" in sasl_broker.log_text()


def test_handshake_after_login_reauthenticates_on_the_same_connection(sasl_broker):
    """On an authenticated connection a SaslHandshake starts re-authentication (KIP-368, as
    Redpanda): it is accepted, the connection stays open and the new exchange succeeds."""
    user, password = USERS["PLAIN"]
    client = WireClient(sasl_broker.kafka_port)
    try:
        for _ in range(2):
            assert client.handshake("PLAIN") == 0
            assert client.authenticate(f"\0{user}\0{password}".encode()).code == 0
        assert client.request(MetadataRequest(topics=None, allow_auto_topic_creation=False))
    finally:
        client.close()
