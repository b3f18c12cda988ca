"""HTTP Basic authentication and TLS on the Admin API (`admin_api_require_auth`, `admin_api_tls`),
the HTTP proxy and the Schema Registry (`authentication_method: http_basic`,
`pandaproxy_api_tls`, `schema_registry_api_tls`), against the broker's SCRAM users, on one real
broker with SASL and authorization on. The proxy acts as the authenticated user: what the user's
ACLs do not allow is refused with 40301, and GET /topics lists only what the user may describe.
Refusals take the same time for an unknown user and a wrong password."""

from __future__ import annotations

import ssl
import time

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

from core.testing.certs import make_certs
from tests.support.broker import BrokerProcess
from tests.support.proxy import BINARY, V2, b64
from tests.support.security import SUPERUSER, confluent_sasl, create_user, sasl_args

MECH = "SCRAM-SHA-256"
ALICE = ("alice", "alice-pw")
SR_JSON = "application/vnd.schemaregistry.v1+json"


def _tls_entry(certs) -> str:
    return (
        f"[{{enabled: true, cert_file: '{certs.server_cert}', key_file: '{certs.server_key}', "
        f"truststore_file: '{certs.ca}'}}]"
    )


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("http-certs"))


@pytest.fixture(scope="module")
def broker(tmp_path_factory, certs):
    tls = _tls_entry(certs)
    basic = "[{address: 127.0.0.1, port: 0, authentication_method: http_basic}]"
    args = [
        *["--set", f"redpanda.admin_api_tls={tls}"],
        *["--set", f"pandaproxy.pandaproxy_api={basic}"],
        *["--set", f"pandaproxy.pandaproxy_api_tls={tls}"],
        *["--set", f"schema_registry.schema_registry_api={basic}"],
        *["--set", f"schema_registry.schema_registry_api_tls={tls}"],
        *["--set", f"pandaproxy_client.scram_username={SUPERUSER[0]}"],
        *["--set", f"pandaproxy_client.scram_password={SUPERUSER[1]}"],
        *["--set", f"schema_registry_client.scram_username={SUPERUSER[0]}"],
        *["--set", f"schema_registry_client.scram_password={SUPERUSER[1]}"],
    ]
    b = BrokerProcess(tmp_path_factory.mktemp("http-auth") / "broker", *sasl_args(*args)).start()
    try:
        context = ssl.create_default_context(cafile=str(certs.ca))
        for user in (SUPERUSER, ALICE):
            create_user(b, *user, mechanism=MECH, context=context)
        admin = AdminClient(confluent_sasl(b, *SUPERUSER, MECH))
        for f in admin.create_topics([NewTopic(t, 1, 1) for t in ("a-ok", "a-no")]).values():
            f.result(15)
        allow = [
            AclBinding(
                ResourceType.TOPIC,
                "a-ok",
                ResourcePatternType.LITERAL,
                f"User:{ALICE[0]}",
                "*",
                AclOperation.WRITE,
                AclPermissionType.ALLOW,
            )
        ]
        for f in admin.create_acls(allow).values():
            f.result(10)
        _admin(b, certs, SUPERUSER).put(
            "/v1/cluster_config", json={"upsert": {"admin_api_require_auth": True}, "remove": []}
        ).raise_for_status()
        yield b
    finally:
        b.stop()
        assert "Traceback" not in b.log_text(), b.log_text()[-3000:]


def _client(url: str, certs, who) -> httpx.Client:
    auth = httpx.BasicAuth(*who) if who else None
    base = url.replace("http://", "https://")
    return httpx.Client(base_url=base, verify=str(certs.ca), auth=auth, timeout=30)


def _admin(broker, certs, who=None) -> httpx.Client:
    return _client(f"https://127.0.0.1:{broker.admin_port}", certs, who)


def _proxy(broker, certs, who=None) -> httpx.Client:
    return _client(broker.listener_url("pandaproxy"), certs, who)


def _registry(broker, certs, who=None) -> httpx.Client:
    return _client(broker.listener_url("schema_registry"), certs, who)


def test_admin_api_levels_with_require_auth(broker, certs):
    assert _admin(broker, certs).get("/v1/status/ready").status_code == 200  # public
    anonymous = _admin(broker, certs).get("/v1/cluster_config")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    assert _admin(broker, certs, ("alice", "nope")).get("/v1/cluster_config").status_code == 401
    not_super = _admin(broker, certs, ALICE).get("/v1/cluster_config")
    assert not_super.status_code == 403
    assert _admin(broker, certs, SUPERUSER).get("/v1/cluster_config").status_code == 200
    assert _admin(broker, certs, SUPERUSER).get("/v1/security/users").status_code == 200


def test_refusals_cost_the_same_for_unknown_users_and_wrong_passwords(broker, certs):
    def refused_s(who) -> float:
        client = _registry(broker, certs, who)
        started = time.monotonic()
        assert client.get("/subjects").status_code == 401
        return time.monotonic() - started

    unknowns, wrongs = [], []
    for _ in range(4):  # one of each at a time: the per-address limit allows 10 at once
        unknowns.append(refused_s(("nobody", "x")))
        wrongs.append(refused_s(("alice", "wrong")))
    assert min(unknowns) >= 0.1 and min(wrongs) >= 0.1
    # the fastest of each kind: a loaded host only ever adds time to a sample
    assert abs(min(unknowns) - min(wrongs)) < 0.08, (unknowns, wrongs)
    log = broker.log_text()
    assert "HTTP basic authentication failed from 127.0.0.1 for user 'nobody'" in log


def test_schema_registry_needs_a_user(broker, certs):
    anonymous = _registry(broker, certs).get("/subjects")
    assert anonymous.status_code == 401
    assert anonymous.json()["error_code"] == 40101
    assert _registry(broker, certs).get("/status/ready").status_code == 200
    ok = _registry(broker, certs, ALICE).get("/subjects", headers={"Accept": SR_JSON})
    assert ok.status_code == 200, ok.text


def test_the_proxy_acts_as_the_authenticated_user(broker, certs):
    records = {"records": [{"value": b64(b"v")}]}
    headers = {"Content-Type": BINARY, "Accept": V2}
    assert _proxy(broker, certs).post(
        "/topics/a-ok", json=records, headers=headers
    ).status_code == (401)
    alice = _proxy(broker, certs, ALICE)
    ok = alice.post("/topics/a-ok", json=records, headers=headers)
    assert ok.status_code == 200, ok.text
    denied = alice.post("/topics/a-no", json=records, headers=headers)
    assert denied.status_code == 403
    assert denied.json()["error_code"] == 40301
    read = alice.get("/topics/a-ok/partitions/0/records", headers={"Accept": V2})
    assert read.status_code == 403  # WRITE implies DESCRIBE, not READ
    assert alice.get("/topics", headers={"Accept": V2}).json() == ["a-ok"]
    everything = _proxy(broker, certs, SUPERUSER).get("/topics", headers={"Accept": V2}).json()
    assert {"a-ok", "a-no"} <= set(everything)


def test_rpk_security_user_over_admin_tls_with_basic_auth(broker, certs):
    from tests.support.rpk import run_in_process

    base = [
        *("-X", f"admin.hosts=127.0.0.1:{broker.admin_port}"),
        *("-X", "admin.tls.enabled=true", "-X", f"admin.tls.ca={certs.ca}"),
    ]
    creds = ["-X", f"user={SUPERUSER[0]}", "-X", f"pass={SUPERUSER[1]}"]
    listed = run_in_process(["security", "user", "list", *base, *creds])
    assert listed.exit_code == 0, listed.stderr
    assert ALICE[0] in listed.stdout.split()
    refused = run_in_process(["security", "user", "list", *base])
    assert refused.exit_code == 1
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "401" in refused.stderr or "authentication" in refused.stderr.lower()


def test_admin_api_require_client_auth(tmp_path):
    certs = make_certs(tmp_path / "certs")
    entry = (
        f"{{enabled: true, cert_file: '{certs.server_cert}', key_file: '{certs.server_key}', "
        f"truststore_file: '{certs.ca}', require_client_auth: true}}"
    )
    b = BrokerProcess(tmp_path / "b", "--set", f"redpanda.admin_api_tls={entry}").start()
    try:
        url = f"https://127.0.0.1:{b.admin_port}/v1/status/ready"
        context = ssl.create_default_context(cafile=str(certs.ca))
        context.load_cert_chain(str(certs.client_cert), str(certs.client_key))
        with_cert = httpx.Client(verify=context)
        assert with_cert.get(url).status_code == 200
        with pytest.raises(httpx.HTTPError):
            httpx.Client(verify=str(certs.ca)).get(url)
    finally:
        b.stop()
