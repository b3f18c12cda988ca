"""SASL on the Kafka API: PLAIN and SCRAM-SHA-256/512 with kafka-python and confluent-kafka;
wrong passwords and unknown users refused with SASL_AUTHENTICATION_FAILED and the connection
closed; a request before authentication closes the connection; v0 raw-token framing.
One broker (enable_sasl=true, authorization off) for the module."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import struct
import time

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kio.schema.api_versions.v3.request import ApiVersionsRequest
from kio.schema.metadata.v5.request import MetadataRequest
from kio.schema.sasl_authenticate.v1.request import SaslAuthenticateRequest
from kio.schema.sasl_handshake.v0.request import SaslHandshakeRequest as HandshakeV0
from kio.schema.sasl_handshake.v1.request import SaslHandshakeRequest

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
SASL_FAILED = 58


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
        client = RawClient(sasl_broker.kafka_port)
        try:
            client.send_request(SaslHandshakeRequest(mechanism=mechanism))
            assert client.recv_frame() is not None
            if mechanism == "PLAIN":
                response = _authenticate(client, b"\0" + user.encode() + b"\0" + password.encode())
            else:
                response = _scram_with_raw_client(client, user, password)
            code, message = _auth_error(response)
            assert code == SASL_FAILED
            assert "Authentication failed" in message
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
    client = RawClient(sasl_broker.kafka_port)
    try:
        client.send_request(SaslHandshakeRequest(mechanism="PLAIN"))
        client.recv_frame()
        frame = _authenticate(client, b"\0" + user.encode() + b"\0" + password.encode())
        assert _auth_error(frame)[0] == 0
        assert struct.unpack(">q", frame[-8:])[0] == 1000  # session_lifetime_ms
        client.send_request(MetadataRequest(topics=None, allow_auto_topic_creation=False))
        assert client.recv_frame() is not None
        # Re-authentication within the lifetime keeps the connection.
        client.send_request(SaslHandshakeRequest(mechanism="PLAIN"))
        client.recv_frame()
        frame = _authenticate(client, b"\0" + user.encode() + b"\0" + password.encode())
        assert _auth_error(frame)[0] == 0
        time.sleep(1.2)
        client.send_request(MetadataRequest(topics=None, allow_auto_topic_creation=False))
        assert client.recv_frame() is None
    finally:
        client.close()
        set_cluster_config(sasl_broker, kafka_sasl_max_reauth_ms=None)
    assert "sent before SASL expired" in sasl_broker.log_text()


# Helpers: a SaslAuthenticate v1 exchange over the raw client.


def _create_topic(cfg: dict, topic: str) -> None:
    admin = KafkaAdminClient(**cfg)
    try:
        admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        admin.close()


def _authenticate(client: RawClient, token: bytes) -> bytes:
    client.send_request(SaslAuthenticateRequest(auth_bytes=token))
    frame = client.recv_frame()
    assert frame is not None
    return frame


def _auth_error(frame: bytes) -> tuple[int, str]:
    code = struct.unpack(">h", frame[4:6])[0]
    (length,) = struct.unpack(">h", frame[6:8])
    return code, frame[8 : 8 + max(length, 0)].decode()


def _scram_with_raw_client(client: RawClient, user: str, password: str) -> bytes:
    nonce = base64.b64encode(os.urandom(12)).decode()
    bare = f"n={user},r={nonce}"
    first = _authenticate(client, f"n,,{bare}".encode())
    code, _ = _auth_error(first)
    assert code == 0
    server_first = _auth_bytes(first)
    attrs = dict(part.split("=", 1) for part in server_first.split(","))
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"])
    )
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    without_proof = f"c=biws,r={attrs['r']}"
    auth_message = f"{bare},{server_first},{without_proof}".encode()
    signature = hmac.new(hashlib.sha256(client_key).digest(), auth_message, "sha256").digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    final = f"{without_proof},p={base64.b64encode(proof).decode()}"
    return _authenticate(client, final.encode())


def _auth_bytes(frame: bytes) -> str:
    # v1 response: correlation id, error code, nullable error message, auth bytes, lifetime.
    (length,) = struct.unpack(">h", frame[6:8])
    at = 8 + max(length, 0)
    (size,) = struct.unpack(">i", frame[at : at + 4])
    return frame[at + 4 : at + 4 + size].decode()


@pytest.mark.parametrize(
    "mechanism,token",
    [
        ("SCRAM-SHA-256", b""),
        ("SCRAM-SHA-256", b"\xff\xfe\x00garbage"),
        ("SCRAM-SHA-256", b"p=tls-unique,,n=a,r=b"),
        ("SCRAM-SHA-512", b"n,,n=" + b"a" * 5000 + b",r=x"),
        ("PLAIN", b"no-separators"),
        ("PLAIN", b"\x00\x00\x00\x00"),
    ],
)
def test_malformed_tokens_close_only_their_connection(sasl_broker, mechanism, token):
    client = RawClient(sasl_broker.kafka_port)
    try:
        client.send_request(SaslHandshakeRequest(mechanism=mechanism))
        client.recv_frame()
        code, _ = _auth_error(_authenticate(client, token))
        assert code == SASL_FAILED
        assert client.is_closed_by_peer()
    finally:
        client.close()
    other = RawClient(sasl_broker.kafka_port)  # the broker keeps serving other connections
    try:
        other.send_request(
            ApiVersionsRequest(client_software_name="t", client_software_version="1")
        )
        assert other.recv_frame() is not None
    finally:
        other.close()


def test_failed_attempts_are_rate_limited_per_address(sasl_broker):
    """Last in the module: it spends this address's failure budget."""
    messages = []
    for _ in range(30):
        client = RawClient(sasl_broker.kafka_port)
        try:
            client.send_request(SaslHandshakeRequest(mechanism="PLAIN"))
            client.recv_frame()
            messages.append(_auth_error(_authenticate(client, b"\0carol\0wrong"))[1])
        finally:
            client.close()
        if "too many failed attempts" in messages[-1]:
            break
    assert "too many failed attempts" in messages[-1]
    time.sleep(1.1)  # one attempt back per second
    _assert_plain_login_works(sasl_broker)


def _assert_plain_login_works(broker) -> None:
    user, password = USERS["PLAIN"]
    client = RawClient(broker.kafka_port)
    try:
        client.send_request(SaslHandshakeRequest(mechanism="PLAIN"))
        client.recv_frame()
        frame = _authenticate(client, b"\0" + user.encode() + b"\0" + password.encode())
        assert _auth_error(frame)[0] == 0
    finally:
        client.close()
