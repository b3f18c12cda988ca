"""How the broker's own Kafka clients (the HTTP proxy's and the Schema Registry's aiokafka
clients) authenticate to a Kafka listener, from redpanda.yaml's `pandaproxy_client:` and
`schema_registry_client:` sections, named as Redpanda names them:

    pandaproxy_client:
      sasl_mechanism: SCRAM-SHA-256    # or SCRAM-SHA-512; empty: no SASL
      scram_username: proxy
      scram_password: secret
      broker_tls: {enabled: true, truststore_file: ca.pem, cert_file: c.pem, key_file: k.pem}

Credentials without a mechanism use SCRAM-SHA-256. `broker_tls` verifies the broker's
certificate against the truststore (the system's CAs without one) but not its host name: these
clients dial addresses (127.0.0.1, the listener's), not names on certificates.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

from core.config.node import TlsConfig
from core.security import tls
from core.security.sasl import ANONYMOUS

MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN")
DEFAULT_MECHANISM = "SCRAM-SHA-256"


class ClientAuthError(ValueError):
    """A client section that cannot be used (unknown mechanism, unreadable TLS files)."""


@dataclass(frozen=True, slots=True)
class ClientAuth:
    mechanism: str | None = None  # None: no SASL
    username: str = ""
    password: str = ""
    tls: ssl.SSLContext | None = None

    @property
    def principal(self) -> str:
        """The principal the broker sees these clients as (for checks made without them)."""
        return f"User:{self.username}" if self.mechanism else ANONYMOUS

    def kafka_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for every aiokafka client (producer, consumer, admin client)."""
        protocol = ("SASL_" if self.mechanism else "") + ("SSL" if self.tls else "PLAINTEXT")
        kwargs: dict[str, Any] = {"security_protocol": protocol}
        if self.tls is not None:
            kwargs["ssl_context"] = self.tls
        if self.mechanism:
            kwargs["sasl_mechanism"] = self.mechanism
            kwargs["sasl_plain_username"] = self.username
            kwargs["sasl_plain_password"] = self.password
        return kwargs

    def describe(self) -> str:
        """For error messages: how the clients connect, never the password."""
        if not self.mechanism:
            return "without SASL credentials"
        return f"as {self.username!r} ({self.mechanism})"


def client_auth(section: object) -> ClientAuth:
    """The ClientAuth of one client section (a mapping; anything else means none)."""
    if not isinstance(section, dict):
        return ClientAuth()
    username = _text(section.get("scram_username"))
    password = _text(section.get("scram_password"))
    mechanism = _text(section.get("sasl_mechanism")).upper() or None
    if mechanism is None and username:
        mechanism = DEFAULT_MECHANISM
    if mechanism is not None and mechanism not in MECHANISMS:
        raise ClientAuthError(f"sasl_mechanism {mechanism!r}: expected one of {MECHANISMS}")
    return ClientAuth(mechanism, username, password, _tls(section.get("broker_tls")))


def bootstrap(section: object, default: str) -> str:
    """The section's `brokers` ([{address, port}]) as host:port,... when given, else `default`
    (this broker's Kafka listener)."""
    brokers = section.get("brokers") if isinstance(section, dict) else None
    if isinstance(brokers, list):
        addrs = [
            f"{b.get('address')}:{b.get('port', 9092)}"
            for b in brokers
            if isinstance(b, dict) and b.get("address")
        ]
        if addrs:
            return ",".join(addrs)
    return default


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _tls(section: object) -> ssl.SSLContext | None:
    """broker_tls as a context that reloads its files when they change (core.security.tls), so
    the clients' new connections trust a rotated CA and present a renewed certificate."""
    if not isinstance(section, dict) or not section.get("enabled"):
        return None
    cert = _text(section.get("cert_file"))
    files = TlsConfig(
        cert, _text(section.get("key_file")), _text(section.get("truststore_file")) or None
    )
    try:
        return tls.reloading(ssl.PROTOCOL_TLS_CLIENT, files, _broker_context)
    except (OSError, ssl.SSLError) as exc:
        raise ClientAuthError(f"broker_tls: {exc}") from None


def _broker_context(files: TlsConfig) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=files.truststore_file)
    context.check_hostname = False
    if files.cert_file:
        context.load_cert_chain(files.cert_file, files.key_file or None)
    return context
