"""SASL over the raw Kafka wire for the security tests: a client that can dial from any loopback
address (the broker limits failed logins per client address, so each hostile case gets its own),
SaslAuthenticate v0-v2, and the client side of SCRAM: rpk's (cli.clients.sasl_probe, hashlib
alone), so the broker's SCRAM (core.security) is checked against another implementation."""

from __future__ import annotations

import itertools
import socket
from dataclasses import dataclass

from kio.schema.sasl_authenticate.v0.request import SaslAuthenticateRequest as Authenticate0
from kio.schema.sasl_authenticate.v1.request import SaslAuthenticateRequest as Authenticate1
from kio.schema.sasl_authenticate.v2.request import SaslAuthenticateRequest as Authenticate2
from kio.schema.sasl_handshake.v1.request import SaslHandshakeRequest

from cli.clients.sasl_probe import scram_client_final, scram_client_first
from tests.support.raw_client import RawClient

AUTHENTICATE = {0: Authenticate0, 1: Authenticate1, 2: Authenticate2}
SASL_AUTHENTICATION_FAILED = 58
_addresses = itertools.count(1)


def fresh_address() -> str:
    """A loopback address no other case of this process has dialled from (127.1.0.1 on)."""
    n = next(_addresses)
    return f"127.1.{n // 250 % 250}.{n % 250 + 1}"


class WireClient(RawClient):
    """A RawClient dialling from `source` (default: a fresh loopback address)."""

    def __init__(self, port: int, source: str | None = None, timeout_s: float = 10.0) -> None:
        self.source = source or fresh_address()
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout=timeout_s, source_address=(self.source, 0)
        )
        self._correlation = 0

    def handshake(self, mechanism: str) -> int:
        """SaslHandshake v1; its error code."""
        return self.request(SaslHandshakeRequest(mechanism=mechanism)).error_code.value

    def authenticate(self, token: bytes, version: int = 1) -> Answer:
        response = self.request(AUTHENTICATE[version](auth_bytes=token))
        return Answer(response.error_code.value, response.error_message, response.auth_bytes)


@dataclass(frozen=True)
class Answer:
    code: int
    message: str | None
    auth_bytes: bytes


def scram_login(
    client: WireClient, mechanism: str, user: str, password: str, version: int = 1
) -> Answer:
    """A whole SCRAM exchange after the handshake; the last answer."""
    bare, first = scram_client_first(user)
    answer = client.authenticate(first, version)
    if answer.code:
        return answer
    without_proof, proof = scram_client_final(mechanism, password, bare, answer.auth_bytes.decode())
    return client.authenticate(f"{without_proof},p={proof}".encode(), version)
