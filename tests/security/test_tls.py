"""TLS on the Kafka listener (`kafka_api_tls`): SASL_SSL with SCRAM through confluent-kafka and
kafka-python, a fetch of more than one TLS chunk read back intact (no sendfile through TLS), a
plaintext client refused; mTLS (`require_client_auth`): a client without a certificate is
refused, one with a certificate signed by the truststore is served."""

from __future__ import annotations

import socket
import ssl
import time
import urllib.error
import urllib.request

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient
from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient, NewTopic

from core.testing.certs import make_certs, tls_set_arg
from tests.support.broker import BrokerProcess
from tests.support.security import create_user, sasl_args

USER = ("tina", "tina-pw")
VALUE = b"x" * 50_000
COUNT = 12  # 600 kB: more than one 256 KiB TLS chunk of one segment


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory, certs):
    admin_tls = tls_set_arg(certs, key="admin_api_tls")
    args = sasl_args(*tls_set_arg(certs), *admin_tls, authz=False)
    broker = BrokerProcess(tmp_path_factory.mktemp("tls") / "broker", *args).start()
    try:
        context = ssl.create_default_context(cafile=str(certs.ca))
        create_user(broker, *USER, mechanism="SCRAM-SHA-512", context=context)
        yield broker
    finally:
        broker.stop()


def _ck_cfg(broker, certs) -> dict:
    return {
        "bootstrap.servers": broker.bootstrap,
        "security.protocol": "SASL_SSL",
        "ssl.ca.location": str(certs.ca),
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": USER[0],
        "sasl.password": USER[1],
    }


def _kp_cfg(broker, certs) -> dict:
    return {
        "bootstrap_servers": broker.bootstrap,
        "security_protocol": "SASL_SSL",
        "ssl_cafile": str(certs.ca),
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": USER[0],
        "sasl_plain_password": USER[1],
        "request_timeout_ms": 10_000,
    }


def test_sasl_ssl_produce_and_fetch_over_tls(tls_broker, certs):
    admin = KafkaAdminClient(**_kp_cfg(tls_broker, certs))
    try:
        admin.create_topics([NewTopic("tls", 1, 1)])
    finally:
        admin.close()
    producer = ck.Producer(_ck_cfg(tls_broker, certs))
    for i in range(COUNT):
        producer.produce("tls", VALUE + str(i).encode())
    assert producer.flush(15) == 0
    consumer = KafkaConsumer(
        "tls",
        auto_offset_reset="earliest",
        consumer_timeout_ms=10_000,
        **_kp_cfg(tls_broker, certs),
    )
    values = []
    for message in consumer:
        values.append(message.value)
        if len(values) == COUNT:
            break
    consumer.close()
    assert values == [VALUE + str(i).encode() for i in range(COUNT)]


def test_the_admin_api_serves_https_with_admin_api_tls(tls_broker, certs):
    context = ssl.create_default_context(cafile=str(certs.ca))
    url = f"https://127.0.0.1:{tls_broker.admin_port}/v1/security/users"
    with urllib.request.urlopen(url, context=context, timeout=10) as response:
        assert response.status == 200 and USER[0] in response.read().decode()
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(
            f"http://127.0.0.1:{tls_broker.admin_port}/v1/status/ready", timeout=5
        )


def test_a_plaintext_client_gets_no_kafka_answer(tls_broker):
    with socket.create_connection(("127.0.0.1", tls_broker.kafka_port), timeout=5) as sock:
        sock.sendall(b"\x00\x00\x00\x0a" + b"\x00\x12\x00\x00" + b"\x00" * 6)
        try:
            reply = sock.recv(64)
        except (ConnectionResetError, TimeoutError):
            reply = b""
    assert not reply.startswith(b"\x00\x00")  # a TLS alert or nothing, never a Kafka frame


def test_mtls_requires_a_client_certificate(tmp_path, certs):
    args = tls_set_arg(certs, require_client_auth=True)
    broker = BrokerProcess(tmp_path / "mtls", *args).start()
    try:
        base = {
            "bootstrap.servers": broker.bootstrap,
            "security.protocol": "SSL",
            "ssl.ca.location": str(certs.ca),
        }
        with_cert = {
            **base,
            "ssl.certificate.location": str(certs.client_cert),
            "ssl.key.location": str(certs.client_key),
        }
        good = AdminClient(with_cert)
        assert good.list_topics(timeout=10).brokers
        bad = AdminClient({**base, "socket.timeout.ms": 3000})
        started = time.monotonic()
        with pytest.raises(ck.KafkaException):
            bad.list_topics(timeout=4)
        assert time.monotonic() - started < 10
    finally:
        broker.stop()
