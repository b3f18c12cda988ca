"""The HTTP proxy's and the Schema Registry's own Kafka clients authenticate with SASL/SCRAM
(pandaproxy_client / schema_registry_client: sasl_mechanism, scram_username, scram_password)
when the Kafka listener requires it, and act as that principal under the authorizer, the
proxy's direct local-produce path included. Without credentials both answer a clear error.

Two brokers, SASL and authorization on: one whose internal clients log in as `panda` (a user
with ACLs, created after start: the clients connect on first use), one without credentials."""

from __future__ import annotations

import httpx
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

from tests.support.broker import BrokerProcess
from tests.support.proxy import BINARY, FAST_GROUPS, V2, b64, new_consumer, unb64
from tests.support.security import SUPERUSER, confluent_sasl, create_user, sasl_args

MECH = "SCRAM-SHA-256"
PANDA = ("panda", "panda-pw")
TOPICS = ("ok-t", "denied-t")
SR_JSON = "application/vnd.schemaregistry.v1+json"
SCHEMA = '{"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}'


def _client_args(user: str, password: str) -> list[str]:
    args = []
    for section in ("pandaproxy_client", "schema_registry_client"):
        args += ["--set", f"{section}.sasl_mechanism={MECH}"]
        args += ["--set", f"{section}.scram_username={user}"]
        args += ["--set", f"{section}.scram_password={password}"]
    return args


def _start(tmp, *extra: str) -> BrokerProcess:
    return BrokerProcess(
        tmp / "broker",
        "--pandaproxy-addr",
        "127.0.0.1:0",
        "--schema-registry-addr",
        "127.0.0.1:0",
        *FAST_GROUPS,
        *sasl_args(authz=True),
        *extra,
    ).start()


def _acl(rtype, name, op, pattern=ResourcePatternType.LITERAL) -> AclBinding:
    allow = AclPermissionType.ALLOW
    return AclBinding(rtype, name, pattern, f"User:{PANDA[0]}", "*", op, allow)


def _setup(broker: BrokerProcess, acls: bool) -> None:
    create_user(broker, *SUPERUSER, mechanism=MECH)
    create_user(broker, *PANDA, mechanism=MECH)
    admin = AdminClient(confluent_sasl(broker, *SUPERUSER, MECH))
    for f in admin.create_topics([NewTopic(t, 1, 1) for t in TOPICS]).values():
        f.result(15)
    if not acls:
        return
    bindings = [
        _acl(ResourceType.TOPIC, "ok-", AclOperation.ALL, ResourcePatternType.PREFIXED),
        _acl(ResourceType.TOPIC, "_schemas", AclOperation.ALL),
        _acl(ResourceType.TOPIC, "denied-t", AclOperation.DESCRIBE),
        _acl(ResourceType.GROUP, "*", AclOperation.ALL),
        _acl(ResourceType.BROKER, "kafka-cluster", AclOperation.ALL),
    ]
    for f in admin.create_acls(bindings).values():
        f.result(10)


@pytest.fixture(scope="module")
def with_creds(tmp_path_factory):
    broker = _start(tmp_path_factory.mktemp("creds"), *_client_args(*PANDA))
    try:
        _setup(broker, acls=True)
        yield broker
    finally:
        broker.stop()
        assert "Traceback" not in broker.log_text(), broker.log_text()[-3000:]


@pytest.fixture(scope="module")
def without_creds(tmp_path_factory):
    broker = _start(tmp_path_factory.mktemp("nocreds"))
    try:
        _setup(broker, acls=False)
        yield broker
    finally:
        broker.stop()
        assert "Traceback" not in broker.log_text(), broker.log_text()[-3000:]


def _proxy(broker: BrokerProcess) -> httpx.Client:
    return httpx.Client(base_url=broker.listener_url("pandaproxy"), timeout=30)


def _registry(broker: BrokerProcess) -> httpx.Client:
    return httpx.Client(base_url=broker.listener_url("schema_registry"), timeout=30)


def _produce(http: httpx.Client, topic: str, values: list[bytes]) -> httpx.Response:
    records = [{"value": b64(v)} for v in values]
    headers = {"Content-Type": BINARY, "Accept": V2}
    return http.post(f"/topics/{topic}", json={"records": records}, headers=headers)


def test_proxy_produces_and_consumes_as_the_configured_user(with_creds):
    values = [f"v{i}".encode() for i in range(3)]
    with _proxy(with_creds) as http:
        r = _produce(http, "ok-t", values)
        assert r.status_code == 200, r.text
        assert [o["offset"] for o in r.json()["offsets"]] == [0, 1, 2]
        name = new_consumer(http, "ok-g", format="binary", **{"auto.offset.reset": "earliest"})
        base = f"/consumers/ok-g/instances/{name}"
        r = http.post(
            f"{base}/subscription", json={"topics": ["ok-t"]}, headers={"Content-Type": V2}
        )
        assert r.status_code == 204, r.text
        got: list[bytes | None] = []
        for _ in range(20):
            r = http.get(f"{base}/records", headers={"Accept": BINARY}, params={"timeout": 1000})
            assert r.status_code == 200, r.text
            got += [unb64(rec["value"]) for rec in r.json()]
            if len(got) >= 3:
                break
        assert got == values
        assert http.delete(base, headers={"Content-Type": V2}).status_code == 204


def test_direct_produce_checks_the_users_write_acl(with_creds):
    """denied-t is led by this broker (the direct path), and panda may only DESCRIBE it."""
    with _proxy(with_creds) as http:
        r = _produce(http, "denied-t", [b"x"])
    assert r.status_code == 200, r.text  # the answer is per record
    offset = r.json()["offsets"][0]
    assert offset["offset"] is None and offset["error_code"] == 40301, offset
    assert "TopicAuthorizationFailed" in offset["error"], offset


def test_schema_registration_as_the_configured_user(with_creds):
    with _registry(with_creds) as sr:
        r = sr.post(
            "/subjects/ok-value/versions",
            json={"schema": SCHEMA},
            headers={"Content-Type": SR_JSON},
        )
        assert r.status_code == 200, r.text
        assert sr.get(f"/schemas/ids/{r.json()['id']}").status_code == 200


def test_proxy_without_credentials_answers_a_clear_error(without_creds):
    with _proxy(without_creds) as http:
        r = _produce(http, "ok-t", [b"x"])
        assert r.status_code == 503, r.text
        message = r.json()["message"]
        assert "without SASL credentials" in message and "pandaproxy_client" in message, message
        r = http.post("/consumers/g", json={"format": "binary"}, headers={"Content-Type": V2})
        assert r.status_code == 503 and "without SASL credentials" in r.json()["message"], r.text


def test_registry_without_credentials_answers_a_clear_error(without_creds):
    with _registry(without_creds) as sr:
        r = sr.post(
            "/subjects/s-value/versions",
            json={"schema": SCHEMA},
            headers={"Content-Type": SR_JSON},
        )
    assert r.status_code == 500, r.text
    body = r.json()
    assert body["error_code"] == 50001, body
    assert "schema_registry_client" in body["message"], body
    assert "without SASL credentials" in body["message"], body
