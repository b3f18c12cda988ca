"""SCRAM credentials (RFC 5802, RFC 7677): what the broker stores instead of a password."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

from core.security.saslprep import SaslPrepError, saslprep

SCRAM_SHA_256 = "SCRAM-SHA-256"
SCRAM_SHA_512 = "SCRAM-SHA-512"
MECHANISMS: dict[str, str] = {SCRAM_SHA_256: "sha256", SCRAM_SHA_512: "sha512"}
MIN_ITERATIONS = 4096  # RFC 7677 and Kafka's minimum
SALT_BYTES = 32


@dataclass(frozen=True)
class ScramCredential:
    mechanism: str
    salt: bytes
    iterations: int
    stored_key: bytes
    server_key: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "mechanism": self.mechanism,
            "salt": _b64(self.salt),
            "iterations": self.iterations,
            "stored_key": _b64(self.stored_key),
            "server_key": _b64(self.server_key),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScramCredential:
        return cls(
            mechanism=data["mechanism"],
            salt=base64.b64decode(data["salt"]),
            iterations=int(data["iterations"]),
            stored_key=base64.b64decode(data["stored_key"]),
            server_key=base64.b64decode(data["server_key"]),
        )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_name(mechanism: str) -> str:
    try:
        return MECHANISMS[mechanism]
    except KeyError:
        raise ValueError(f"unsupported SCRAM mechanism {mechanism!r}") from None


def salted_password(mechanism: str, password: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac(hash_name(mechanism), password.encode("utf-8"), salt, iterations)


def hmac_digest(mechanism: str, key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hash_name(mechanism)).digest()


def h(mechanism: str, data: bytes) -> bytes:
    return hashlib.new(hash_name(mechanism), data).digest()


def derive_credential(
    mechanism: str, password: str, salt: bytes | None = None, iterations: int = MIN_ITERATIONS
) -> ScramCredential:
    """StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword, "Server Key")."""
    assert iterations >= MIN_ITERATIONS
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    salted = salted_password(mechanism, saslprep(password), salt, iterations)
    return credential_from_salted(mechanism, salted, salt, iterations)


MAX_ITERATIONS = 16384  # Kafka's maximum for AlterUserScramCredentials
KAFKA_MECHANISM_CODES: dict[int, str] = {1: SCRAM_SHA_256, 2: SCRAM_SHA_512}  # ScramMechanism


def credential_from_salted(
    mechanism: str, salted: bytes, salt: bytes, iterations: int
) -> ScramCredential:
    """The credential of a password a client salted itself (AlterUserScramCredentials sends
    SaltedPassword = Hi(password, salt, iterations), never the password)."""
    client_key = hmac_digest(mechanism, salted, b"Client Key")
    return ScramCredential(
        mechanism=mechanism,
        salt=salt,
        iterations=iterations,
        stored_key=h(mechanism, client_key),
        server_key=hmac_digest(mechanism, salted, b"Server Key"),
    )


def password_matches(credential: ScramCredential, password: str) -> bool:
    """Check a plain password (HTTP basic auth, SASL/PLAIN) against a stored credential, in
    constant time. A password SASLprep refuses matches nothing."""
    try:
        again = derive_credential(
            credential.mechanism, password, credential.salt, credential.iterations
        )
    except SaslPrepError:
        return False
    return hmac.compare_digest(again.stored_key, credential.stored_key)
