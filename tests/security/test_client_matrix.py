"""Every client family against every authentication path: confluent-kafka, kafka-python,
aiokafka and kcat produce a record and read it back over SASL_PLAINTEXT and SASL_SSL with
SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN, and over mTLS (`mtls_identity`), on one broker with
three named listeners (kcat cases skip where kcat is not installed)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid

import confluent_kafka as ck
import pytest
from kafka import KafkaConsumer, KafkaProducer

from core.testing.certs import make_certs
from core.testing.ports import reserve_ports
from tests.support.broker import BrokerProcess
from tests.support.security import create_user

MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN")
USERS = {"SCRAM-SHA-256": ("u256", "p256"), "SCRAM-SHA-512": ("u512", "p512")}
USERS["PLAIN"] = USERS["SCRAM-SHA-256"]  # PLAIN checks the password against any credential
CLIENTS = ("confluent", "kafka-python", "aiokafka", "kcat")
CASES = [
    (client, protocol, mechanism)
    for client in CLIENTS
    for protocol in ("SASL_PLAINTEXT", "SASL_SSL")
    for mechanism in MECHANISMS
] + [(client, "SSL", "mTLS") for client in CLIENTS]


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("matrix")
    certs = make_certs(tmp / "certs")
    ports = dict(zip(("SASL_PLAINTEXT", "SASL_SSL", "SSL"), reserve_ports(3), strict=True))
    listeners = (
        f"[{{name: sasl, address: 127.0.0.1, port: {ports['SASL_PLAINTEXT']}, "
        "authentication_method: sasl}, "
        f"{{name: sasl_ssl, address: 127.0.0.1, port: {ports['SASL_SSL']}, "
        "authentication_method: sasl}, "
        f"{{name: mtls, address: 127.0.0.1, port: {ports['SSL']}, "
        "authentication_method: mtls_identity}]"
    )
    files = (
        f"cert_file: '{certs.server_cert}', key_file: '{certs.server_key}', "
        f"truststore_file: '{certs.ca}'"
    )
    tls = (
        f"[{{name: sasl_ssl, enabled: true, {files}}}, "
        f"{{name: mtls, enabled: true, require_client_auth: true, {files}}}]"
    )
    addresses = ",".join(
        f"{name}://127.0.0.1:{ports[protocol]}"
        for name, protocol in (
            ("sasl", "SASL_PLAINTEXT"),
            ("sasl_ssl", "SASL_SSL"),
            ("mtls", "SSL"),
        )
    )
    b = BrokerProcess(
        tmp / "broker",
        *["--set", f"redpanda.kafka_api={listeners}"],
        *["--kafka-addr", addresses],  # after BrokerProcess's own: every listener, by name
        *["--set", f"redpanda.kafka_api_tls={tls}"],
        *["--set", "redpanda.sasl_mechanisms=[SCRAM, PLAIN]"],
        *["--set", "redpanda.auto_create_topics_enabled=true"],
    ).start()
    try:
        for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
            create_user(b, *USERS[mechanism], mechanism=mechanism)
        yield b, ports, certs
    finally:
        b.stop()
        assert "Traceback" not in b.log_text(), b.log_text()[-3000:]


def _confluent(bootstrap, protocol, mechanism, certs) -> dict:
    cfg = {"bootstrap.servers": bootstrap, "security.protocol": protocol}
    if protocol != "SASL_PLAINTEXT":
        cfg["ssl.ca.location"] = str(certs.ca)
    if mechanism == "mTLS":
        cfg["ssl.certificate.location"] = str(certs.client_cert)
        cfg["ssl.key.location"] = str(certs.client_key)
    else:
        user, password = USERS[mechanism]
        cfg.update({"sasl.mechanism": mechanism, "sasl.username": user, "sasl.password": password})
    return cfg


def _python(bootstrap, protocol, mechanism, certs) -> dict:
    cfg = {"bootstrap_servers": bootstrap, "security_protocol": protocol}
    if protocol != "SASL_PLAINTEXT":
        cfg["ssl_cafile"] = str(certs.ca)
    if mechanism == "mTLS":
        cfg["ssl_certfile"] = str(certs.client_cert)
        cfg["ssl_keyfile"] = str(certs.client_key)
    else:
        user, password = USERS[mechanism]
        cfg.update(
            {
                "sasl_mechanism": mechanism,
                "sasl_plain_username": user,
                "sasl_plain_password": password,
            }
        )
    return cfg


def _run_confluent(cfg: dict, topic: str, value: bytes) -> bytes:
    producer = ck.Producer(cfg)
    producer.produce(topic, value)
    assert producer.flush(20) == 0
    consumer = ck.Consumer({**cfg, "group.id": topic, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    try:
        for _ in range(40):
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                return msg.value()
    finally:
        consumer.close()
    raise AssertionError("nothing read")


def _run_kafka_python(cfg: dict, topic: str, value: bytes) -> bytes:
    producer = KafkaProducer(**cfg)
    producer.send(topic, value).get(timeout=20)
    producer.close()
    consumer = KafkaConsumer(topic, auto_offset_reset="earliest", consumer_timeout_ms=20_000, **cfg)
    try:
        return next(iter(consumer)).value
    finally:
        consumer.close()


def _run_aiokafka(cfg: dict, topic: str, value: bytes) -> bytes:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.helpers import create_ssl_context

    cfg = dict(cfg)
    files = {k: cfg.pop(k, None) for k in ("ssl_cafile", "ssl_certfile", "ssl_keyfile")}
    if files["ssl_cafile"]:
        cfg["ssl_context"] = create_ssl_context(
            cafile=files["ssl_cafile"], certfile=files["ssl_certfile"], keyfile=files["ssl_keyfile"]
        )

    async def run() -> bytes:
        producer = AIOKafkaProducer(**cfg)
        await producer.start()
        try:
            await producer.send_and_wait(topic, value)
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(topic, auto_offset_reset="earliest", **cfg)
        await consumer.start()
        try:
            async with asyncio.timeout(20):
                return (await consumer.getone()).value
        finally:
            await consumer.stop()

    return asyncio.run(run())


def _run_kcat(cfg: dict, topic: str, value: bytes) -> bytes:
    options = [
        arg for k, v in cfg.items() if k != "bootstrap.servers" for arg in ("-X", f"{k}={v}")
    ]
    base = ["kcat", "-b", cfg["bootstrap.servers"], "-t", topic, *options]
    subprocess.run([*base, "-P"], input=value + b"\n", check=True, timeout=30)
    out = subprocess.run(
        [*base, "-C", "-e", "-q", "-o", "beginning", "-c", "1"],
        capture_output=True,
        check=True,
        timeout=30,
    )
    return out.stdout.rstrip(b"\n")


@pytest.mark.parametrize("client,protocol,mechanism", CASES, ids=["-".join(c) for c in CASES])
def test_client_connects(broker, client, protocol, mechanism):
    if client == "kcat" and shutil.which("kcat") is None:
        pytest.skip("kcat is not installed (apt-get install kcat)")
    b, ports, certs = broker
    bootstrap = f"127.0.0.1:{ports[protocol]}"
    topic = f"m-{uuid.uuid4().hex[:8]}"
    value = f"{client}/{protocol}/{mechanism}".encode()
    if client in ("confluent", "kcat"):
        cfg = _confluent(bootstrap, protocol, mechanism, certs)
        got = (_run_confluent if client == "confluent" else _run_kcat)(cfg, topic, value)
    else:
        cfg = _python(bootstrap, protocol, mechanism, certs)
        got = (_run_kafka_python if client == "kafka-python" else _run_aiokafka)(cfg, topic, value)
    assert got == value
