"""Helpers for the security tests: a broker with SASL on, users, and client settings."""

from __future__ import annotations

import json
import ssl
import urllib.request
from typing import Any

from tests.support.broker import BrokerProcess

SUPERUSER = ("admin", "admin-secret")


def sasl_args(
    *extra: str, mechanisms: str = "[SCRAM, PLAIN]", authz: bool | None = None
) -> list[str]:
    """Broker arguments turning SASL on (and the ACL authorizer with it, as Redpanda does when
    `kafka_enable_authorization` is null) with `admin` a superuser."""
    args = [
        "--set",
        "redpanda.enable_sasl=true",
        "--set",
        f"redpanda.sasl_mechanisms={mechanisms}",
        "--set",
        f"redpanda.superusers=[{SUPERUSER[0]}]",
    ]
    if authz is not None:
        args += ["--set", f"redpanda.kafka_enable_authorization={str(authz).lower()}"]
    return [*args, *extra]


def create_user(
    broker: BrokerProcess,
    name: str,
    password: str,
    mechanism: str = "SCRAM-SHA-256",
    context: ssl.SSLContext | None = None,
) -> None:
    body = json.dumps({"username": name, "password": password, "algorithm": mechanism}).encode()
    request = urllib.request.Request(
        f"{'https' if context else 'http'}://127.0.0.1:{broker.admin_port}/v1/security/users",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10, context=context) as response:
        assert response.status in (200, 201), response.status


def kafka_python_sasl(
    broker: BrokerProcess, user: str, password: str, mechanism: str
) -> dict[str, Any]:
    return {
        "bootstrap_servers": broker.bootstrap,
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": mechanism,
        "sasl_plain_username": user,
        "sasl_plain_password": password,
        "request_timeout_ms": 10_000,
    }


def confluent_sasl(broker: BrokerProcess, user: str, password: str, mechanism: str) -> dict:
    return {
        "bootstrap.servers": broker.bootstrap,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": mechanism,
        "sasl.username": user,
        "sasl.password": password,
    }


def set_cluster_config(broker: BrokerProcess, **values: Any) -> None:
    """Upsert cluster properties through the Admin API (None removes one)."""
    upsert = {k: v for k, v in values.items() if v is not None}
    remove = [k for k, v in values.items() if v is None]
    body = json.dumps({"upsert": upsert, "remove": remove}).encode()
    request = urllib.request.Request(
        f"{broker.admin_url}/v1/cluster_config",
        data=body,
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200, response.status


def raw_plain_login(client: Any, user: str, password: str) -> None:
    """SASL/PLAIN over a tests.support.raw_client.RawClient (SaslHandshake v1, SaslAuthenticate
    v1); raises AssertionError unless it succeeds."""
    from kio.schema.sasl_authenticate.v1.request import SaslAuthenticateRequest
    from kio.schema.sasl_handshake.v1.request import SaslHandshakeRequest

    assert client.request(SaslHandshakeRequest(mechanism="PLAIN")).error_code == 0
    token = b"\0" + user.encode() + b"\0" + password.encode()
    response = client.request(SaslAuthenticateRequest(auth_bytes=token))
    assert response.error_code == 0, response.error_message
