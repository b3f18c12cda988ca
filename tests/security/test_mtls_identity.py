"""`authentication_method: mtls_identity`: a Kafka listener (TLS with require_client_auth) whose
clients are the principal their certificate maps to through `kafka_mtls_principal_mapping_rules`
(read live), authorized by ACLs like any other principal; confluent-kafka and kafka-python
connect with a client certificate; a certificate no rule maps is refused with one log line;
SASL is refused on such a listener; a listener without client auth is refused at start."""

from __future__ import annotations

import time

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)
from kafka import KafkaProducer

from core.testing.certs import make_certs
from tests.support.broker import BrokerProcess
from tests.support.security import set_cluster_config

TOPIC = "m-topic"


def _listener_args(certs, require: bool = True) -> list[str]:
    tls = (
        f"[{{enabled: true, cert_file: '{certs.server_cert}', key_file: '{certs.server_key}', "
        f"truststore_file: '{certs.ca}', require_client_auth: {str(require).lower()}}}]"
    )
    return [
        "--set",
        "redpanda.kafka_api=[{address: 127.0.0.1, port: 0, authentication_method: mtls_identity}]",
        "--set",
        f"redpanda.kafka_api_tls={tls}",
        "--set",
        "redpanda.kafka_enable_authorization=true",
    ]


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("mtls-certs"))


@pytest.fixture(scope="module")
def broker(tmp_path_factory, certs):
    b = BrokerProcess(tmp_path_factory.mktemp("mtls") / "broker", *_listener_args(certs)).start()
    try:
        yield b
    finally:
        b.stop()
        assert "Traceback" not in b.log_text(), b.log_text()[-3000:]


def _ck(broker, certs) -> dict:
    return {
        "bootstrap.servers": broker.bootstrap,
        "security.protocol": "SSL",
        "ssl.ca.location": str(certs.ca),
        "ssl.certificate.location": str(certs.client_cert),
        "ssl.key.location": str(certs.client_key),
    }


def _produce_error(broker, certs):
    errors: list = []
    producer = ck.Producer({**_ck(broker, certs), "message.timeout.ms": 5000})
    producer.produce(TOPIC, b"v", on_delivery=lambda err, _msg: errors.append(err))
    producer.flush(10)
    return errors[0] if errors else "not delivered"


def _rules(broker, *rules: str, superusers: list[str] | None = None) -> None:
    set_cluster_config(
        broker, kafka_mtls_principal_mapping_rules=list(rules) or None, superusers=superusers or []
    )


def test_the_certificate_is_the_principal(broker, certs):
    # DEFAULT: the whole name, CN=client, who may do nothing yet
    _rules(broker)
    admin = AdminClient(_ck(broker, certs))
    assert TOPIC not in admin.list_topics(timeout=10).topics
    created = admin.create_topics([NewTopic(TOPIC, 1, 1)])[TOPIC]
    with pytest.raises(ck.KafkaException) as err:
        created.result(10)
    assert err.value.args[0].code() == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED
    # mapped to "client", a superuser: creates the topic and an ACL for CLIENT
    _rules(broker, "RULE:^CN=(.*)$/$1/", superusers=["client"])
    admin = AdminClient(_ck(broker, certs))
    admin.create_topics([NewTopic(TOPIC, 1, 1)])[TOPIC].result(15)
    acl = AclBinding(
        ResourceType.TOPIC,
        TOPIC,
        ResourcePatternType.LITERAL,
        "User:CLIENT",
        "*",
        AclOperation.WRITE,
        AclPermissionType.ALLOW,
    )
    for f in admin.create_acls([acl]).values():
        f.result(10)
    # upper-cased by the rule: User:CLIENT, not a superuser, allowed by its ACL only
    _rules(broker, "RULE:^CN=(.*)$/$1/U")
    assert _produce_error(broker, certs) is None
    producer = KafkaProducer(
        bootstrap_servers=broker.bootstrap,
        security_protocol="SSL",
        ssl_cafile=str(certs.ca),
        ssl_certfile=str(certs.client_cert),
        ssl_keyfile=str(certs.client_key),
        ssl_check_hostname=False,
    )
    producer.send(TOPIC, b"kp").get(timeout=10)
    producer.close()
    # lower-cased: User:client without the superuser entry, and no ACL
    _rules(broker, "RULE:^CN=(.*)$/$1/L")
    error = _produce_error(broker, certs)
    assert error is not None and error.code() == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_an_unmapped_certificate_is_refused_with_one_line(broker, certs):
    _rules(broker, "RULE:^CN=nobody$/x/")
    admin = AdminClient({**_ck(broker, certs), "socket.timeout.ms": 3000})
    started = time.monotonic()
    with pytest.raises(ck.KafkaException):
        admin.list_topics(timeout=3)
    assert time.monotonic() - started < 10
    assert "mTLS identity: no principal mapping rule matches 'CN=client'" in broker.log_text()
    _rules(broker)


def test_sasl_is_refused_on_an_mtls_listener(broker, certs):
    cfg = {**_ck(broker, certs), "security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"}
    cfg.update({"sasl.username": "u", "sasl.password": "p", "socket.timeout.ms": 3000})
    with pytest.raises(ck.KafkaException):
        AdminClient(cfg).list_topics(timeout=3)


def test_mtls_identity_without_client_auth_does_not_start(tmp_path, certs):
    broker = BrokerProcess(tmp_path / "b", *_listener_args(certs, require=False))
    with pytest.raises(Exception):  # noqa: B017 - the start helper's own error type
        broker.start(timeout_s=20)
    assert "mtls_identity needs kafka_api_tls with require_client_auth" in broker.log_text()
