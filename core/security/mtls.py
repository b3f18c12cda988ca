"""`authentication_method: mtls_identity`: a Kafka listener whose clients are identified by the
certificate they present (TLS with `require_client_auth`), as Redpanda does.

The principal is `User:<name>`, the name being the certificate subject's distinguished name
(RFC 2253: most specific first, e.g. `CN=alice,OU=eng,O=Acme`) mapped by the cluster property
`kafka_mtls_principal_mapping_rules`, Kafka's `ssl.principal.mapping.rules` syntax:

    RULE:<regex>/<replacement>/[L|U]    the first rule whose regex matches the whole name gives
                                        the replacement ($1... are its groups), lower- or
                                        upper-cased with L / U
    DEFAULT                             the name unchanged

With no rules (null or empty), DEFAULT. A name no rule maps, or rules that cannot be parsed,
refuse the connection (one warning line with the client address and the reason).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from core.security.sasl import SaslAuthenticator, SaslSession

_RULE = re.compile(r"RULE:((?:\\/|[^/])*)/((?:\\/|[^/])*)/([LU]?)")
SHORT_NAMES = {
    "commonName": "CN",
    "countryName": "C",
    "localityName": "L",
    "stateOrProvinceName": "ST",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "streetAddress": "STREET",
    "domainComponent": "DC",
    "userId": "UID",
    "emailAddress": "EMAILADDRESS",
}


class MappingError(ValueError):
    """Rules that cannot be parsed, or a name that no rule maps."""


@dataclass(frozen=True, slots=True)
class Rule:
    pattern: re.Pattern[str] | None  # None: DEFAULT
    replacement: str = ""
    case: str = ""

    def apply(self, name: str) -> str | None:
        if self.pattern is None:
            return name
        match = self.pattern.fullmatch(name)
        if match is None:
            return None
        try:
            out = match.expand(re.sub(r"\$(\d+)", r"\\g<\1>", self.replacement))
        except (re.error, IndexError) as exc:
            raise MappingError(f"principal mapping rule {self.pattern.pattern!r}: {exc}") from None
        return out.lower() if self.case == "L" else out.upper() if self.case == "U" else out


@lru_cache(maxsize=16)
def parse_rules(rules: tuple[str, ...]) -> tuple[Rule, ...]:
    out = []
    for text in (r.strip() for r in rules):
        if text == "DEFAULT":
            out.append(Rule(None))
            continue
        m = _RULE.fullmatch(text)
        if m is None:
            raise MappingError(f"invalid principal mapping rule {text!r}")
        try:
            pattern = re.compile(m.group(1).replace("\\/", "/"))
        except re.error as exc:
            raise MappingError(f"invalid regex in principal mapping rule {text!r}: {exc}") from None
        out.append(Rule(pattern, m.group(2).replace("\\/", "/"), m.group(3)))
    return tuple(out) or (Rule(None),)


def _escape(value: str) -> str:
    out = re.sub(r'([,+"\\<>;=])', r"\\\1", value)
    if out.startswith(("#", " ")):
        out = "\\" + out
    return out[:-1] + "\\ " if out.endswith(" ") and not out.endswith("\\ ") else out


def distinguished_name(peercert: dict[str, Any]) -> str:
    """RFC 2253 form of `ssl.SSLSocket.getpeercert()`'s subject (most specific RDN first)."""
    rdns = []
    for rdn in reversed(peercert.get("subject") or ()):
        rdns.append("+".join(f"{SHORT_NAMES.get(k, k)}={_escape(v)}" for k, v in rdn))
    return ",".join(rdns)


def map_principal(peercert: dict[str, Any] | None, rules: list[str] | None) -> str:
    """`User:<mapped name>` of a client certificate; MappingError when it cannot be mapped."""
    if not peercert or not peercert.get("subject"):
        raise MappingError("the client presented no certificate")
    name = distinguished_name(peercert)
    for rule in parse_rules(tuple(rules or ())):
        mapped = rule.apply(name)
        if mapped is not None:
            if not mapped:
                break
            return f"User:{mapped}"
    raise MappingError(f"no principal mapping rule matches {name!r}")


RULES_PROPERTY = "kafka_mtls_principal_mapping_rules"


def identity_session(authenticator: SaslAuthenticator, ip: str, ssl_object: Any) -> SaslSession:
    """The session of a connection on an mtls_identity listener: authenticated from the start
    as its certificate's mapped principal (SASL is refused on it); MappingError if it cannot be."""
    peercert = ssl_object.getpeercert() if ssl_object is not None else None
    session = SaslSession(authenticator, ip)
    session.principal = map_principal(peercert, authenticator.config(RULES_PROPERTY))
    session.fixed_identity = True
    return session
