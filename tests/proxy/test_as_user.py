"""With `authentication_method: http_basic` the proxy acts on Kafka as the user who sent the
request (core.proxy.user_clients; Redpanda's pandaproxy does the same): the broker sees that
user as the principal of the Kafka requests (metadata, produce, group membership) and its
authorizer, not only the proxy's own check ahead of the work, refuses what the user may not do.

The proxy's own client (pandaproxy_client) is a user with no ACLs at all, so whatever succeeds
below was authorized for the requesting user."""

from __future__ import annotations

import asyncio

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
from kafka import KafkaConsumer

from core.proxy.errors import ProxyError
from core.proxy.kafka import ClientSettings
from core.proxy.user_clients import UserClients
from core.security.client_auth import ClientAuth
from tests.support.broker import BrokerProcess
from tests.support.proxy import BINARY, FAST_GROUPS, V2, b64, consume_until, proxy_url
from tests.support.security import (
    SUPERUSER,
    confluent_sasl,
    create_user,
    kafka_python_sasl,
    sasl_args,
)

MECH = "SCRAM-SHA-256"
PROXY_CLIENT = ("proxyclient", "proxyclient-pw")
ALICE = ("alice", "alice-pw")
BOB = ("bob", "bob-pw")
TOPIC = "as-user"
BASIC = "[{address: 127.0.0.1, port: 0, authentication_method: http_basic}]"
OTHER_HOST = "127.0.0.2"  # Bob's HTTP requests come from here; the proxy dials from 127.0.0.1


def _acl(rtype, name: str, user: str, operation, host: str = "*") -> AclBinding:
    return AclBinding(
        rtype,
        name,
        ResourcePatternType.LITERAL,
        f"User:{user}",
        host,
        operation,
        AclPermissionType.ALLOW,
    )


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    args = [
        *["--set", f"pandaproxy.pandaproxy_api={BASIC}"],
        *["--set", f"pandaproxy_client.scram_username={PROXY_CLIENT[0]}"],
        *["--set", f"pandaproxy_client.scram_password={PROXY_CLIENT[1]}"],
        *FAST_GROUPS,
    ]
    path = tmp_path_factory.mktemp("as-user") / "broker"
    b = BrokerProcess(path, *sasl_args(*args)).start()
    try:
        for user in (SUPERUSER, PROXY_CLIENT, ALICE, BOB):
            create_user(b, *user, mechanism=MECH)
        admin = AdminClient(confluent_sasl(b, *SUPERUSER, MECH))
        admin.create_topics([NewTopic(TOPIC, 1, 1)])[TOPIC].result(15)
        acls = [
            _acl(ResourceType.TOPIC, TOPIC, ALICE[0], op)
            for op in (AclOperation.WRITE, AclOperation.READ)
        ]
        acls += [
            _acl(ResourceType.GROUP, "g-alice", ALICE[0], AclOperation.READ),
            _acl(ResourceType.TOPIC, TOPIC, BOB[0], AclOperation.DESCRIBE),
            _acl(ResourceType.TOPIC, TOPIC, BOB[0], AclOperation.WRITE, OTHER_HOST),
        ]
        for f in admin.create_acls(acls).values():
            f.result(10)
        yield b
    finally:
        b.stop()
        assert "Traceback" not in b.log_text(), b.log_text()[-3000:]


def _http(broker, who, local_address: str | None = None) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=local_address) if local_address else None
    return httpx.Client(
        base_url=proxy_url(broker), auth=httpx.BasicAuth(*who), timeout=30, transport=transport
    )


def test_the_proxys_own_client_may_do_nothing(broker):
    """The premise: Kafka hides the topic from pandaproxy_client's user."""
    consumer = KafkaConsumer(**kafka_python_sasl(broker, *PROXY_CLIENT, MECH))
    try:
        assert TOPIC not in consumer.topics()
    finally:
        consumer.close()


def test_the_broker_sees_the_user(broker):
    with _http(broker, ALICE) as alice:
        headers = {"Content-Type": BINARY, "Accept": V2}
        body = {"records": [{"key": b64("k"), "value": b64("from-alice")}]}
        produced = alice.post(f"/topics/{TOPIC}", json=body, headers=headers)
        assert produced.status_code == 200, produced.text
        assert "error_code" not in produced.json()["offsets"][0], produced.text
        # Metadata over Kafka, as alice: the proxy's own client would not see the topic
        parts = alice.get(f"/topics/{TOPIC}/partitions", headers={"Accept": V2})
        assert parts.status_code == 200, parts.text
        # a group member joining as alice (the proxy's own user may not read any group)
        r = alice.post("/consumers/g-alice", json={"auto.offset.reset": "earliest"})
        assert r.status_code == 200, r.text
        base = f"/consumers/g-alice/instances/{r.json()['instance_id']}"
        assert alice.post(f"{base}/subscription", json={"topics": [TOPIC]}).status_code == 204
        got = consume_until(alice, base, 1)
        assert [g["value"] for g in got] == [b64("from-alice")]
        assert alice.post(f"{base}/offsets").status_code == 204  # OffsetCommit as alice
        with _http(broker, BOB) as bob:  # another user does not find alice's instance
            assert bob.get(f"{base}/subscription").status_code in (403, 404)
        assert alice.delete(base).status_code == 204


def test_kafka_refuses_what_the_user_may_not(broker):
    """Bob may WRITE only from 127.0.0.2, where his HTTP requests come from, so the proxy's
    own check lets him through; Kafka sees him connect from 127.0.0.1 and refuses the write."""
    headers = {"Content-Type": BINARY, "Accept": V2}
    body = {"records": [{"value": b64("from-bob")}]}
    with _http(broker, BOB, local_address=OTHER_HOST) as bob:
        r = bob.post(f"/topics/{TOPIC}", json=body, headers=headers)
    assert r.status_code == 200, r.text
    offset = r.json()["offsets"][0]
    assert offset["error_code"] == 40301, offset
    assert "TopicAuthorization" in offset["error"], offset
    with _http(broker, BOB) as bob_here:  # from 127.0.0.1 the proxy's check refuses first
        assert bob_here.post(f"/topics/{TOPIC}", json=body, headers=headers).status_code == 403


def test_user_clients_are_bounded_and_expire(broker):
    """The pool on its own against the SASL broker: at most max_users users' clients, the
    least recently used idle one evicted, idle ones closed after keep_alive_ms."""

    async def scenario() -> None:
        auth = ClientAuth(MECH, *PROXY_CLIENT)
        pool = UserClients(ClientSettings(broker.bootstrap, auth=auth), 2, 60_000)
        try:
            for user in (ALICE, BOB, SUPERUSER):
                side = await pool.acquire(*user)
                assert await side.brokers()  # Metadata as that user
                pool.release(side)
                assert len(pool) <= 2
            held = [await pool.acquire(*BOB), await pool.acquire(*SUPERUSER)]
            with pytest.raises(ProxyError) as busy:  # both busy: nothing to evict
                await pool.acquire(*ALICE)
            assert busy.value.error_code == 50003
            for side in held:
                pool.release(side)
            assert pool.settings_for(*ALICE).auth.username == ALICE[0]
            pool.keep_alive_ms = 1
            await asyncio.sleep(0.01)
            await pool.expire_idle()
            assert len(pool) == 0
        finally:
            await pool.stop()

    asyncio.run(scenario())
