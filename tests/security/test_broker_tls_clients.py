"""The HTTP proxy's and the Schema Registry's own Kafka clients reach a TLS Kafka listener with
`broker_tls` (pandaproxy_client / schema_registry_client: truststore_file), and their new
connections follow the files: after the listener's certificate moves to another CA and the
clients' truststore file is replaced with that CA, a new proxy consumer connects without a
restart. One broker: Kafka over TLS, the proxy and the registry on plain HTTP."""

from __future__ import annotations

import shutil
import socket
import ssl
import time
from pathlib import Path

import httpx
import pytest

from core.testing.certs import make_certs, tls_set_arg
from tests.support.broker import BrokerProcess
from tests.support.proxy import FAST_GROUPS, V2, new_consumer

SR_JSON = "application/vnd.schemaregistry.v1+json"
SCHEMA = '{"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}'


def _replace(src: Path, dst: Path) -> None:
    tmp = dst.with_suffix(".new")
    shutil.copyfile(src, tmp)
    tmp.replace(dst)  # renamed into place, as cert-manager does


def _served_der(port: int) -> bytes:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw) as tls:
            der = tls.getpeercert(binary_form=True)
    assert der is not None
    return der


def _eventually(check, what: str, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.3)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("broker-tls")
    live, nxt = make_certs(base / "live"), make_certs(base / "next")
    trust = base / "client-trust.pem"
    shutil.copyfile(live.ca, trust)
    clients = []
    for section in ("pandaproxy_client", "schema_registry_client"):
        clients += ["--set", f"{section}.broker_tls={{enabled: true, truststore_file: '{trust}'}}"]
    broker = BrokerProcess(
        base / "broker",
        *("--pandaproxy-addr", "127.0.0.1:0", "--schema-registry-addr", "127.0.0.1:0"),
        *FAST_GROUPS,
        *tls_set_arg(live),
        *clients,
    ).start()
    try:
        yield broker, live, nxt, trust
    finally:
        broker.stop()


def test_registry_client_uses_broker_tls(setup):
    broker = setup[0]
    with httpx.Client(base_url=broker.listener_url("schema_registry"), timeout=30) as sr:
        r = sr.post(
            "/subjects/t-value/versions", json={"schema": SCHEMA}, headers={"Content-Type": SR_JSON}
        )
        assert r.status_code == 200, r.text
        assert sr.get(f"/schemas/ids/{r.json()['id']}").status_code == 200


def test_new_proxy_connections_trust_a_replaced_ca(setup):
    broker, live, nxt, trust = setup
    with httpx.Client(base_url=broker.listener_url("pandaproxy"), timeout=30) as http:
        new_consumer(http, "before", format="binary")  # connects over broker_tls
        _replace(nxt.server_key, live.server_key)
        _replace(nxt.server_cert, live.server_cert)
        new_der = ssl.PEM_cert_to_DER_cert(nxt.server_cert.read_text())
        _eventually(lambda: _served_der(broker.kafka_port) == new_der, "listener kept its cert")
        _replace(nxt.ca, trust)

        def connects() -> bool:
            r = http.post("/consumers/after", json={}, headers={"Content-Type": V2})
            assert r.status_code in (200, 503), r.text  # 503: cannot connect (yet)
            return r.status_code == 200

        _eventually(connects, "the proxy's new consumer never trusted the new CA")
