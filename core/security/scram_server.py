"""The server side of one SCRAM exchange (RFC 5802, RFC 7677), as Kafka runs it.

    client-first  n,[a=authzid],n=user,r=cnonce[,ext...]
    server-first  r=cnonce+snonce,s=salt,i=iterations
    client-final  c=base64(gs2 header),r=cnonce+snonce,p=proof
    server-final  v=base64(ServerSignature)

An unknown user gets a server-first message built from a fake credential (a salt derived from
the name, so it is the same on every attempt) and fails at the proof, exactly as a wrong
password does: neither the answer nor its timing tells who exists. Channel binding is refused.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
from collections.abc import Callable

from core.security.saslprep import SaslPrepError, saslprep
from core.security.scram import MIN_ITERATIONS, ScramCredential, h, hmac_digest

NONCE_BYTES = 24
MAX_MESSAGE_BYTES = 4096
_FAKE_SECRET = os.urandom(32)


class ScramError(Exception):
    """The exchange failed; the message is for the log (the client gets a generic one)."""


def _attributes(text: str) -> list[tuple[str, str]]:
    out = []
    for part in text.split(","):
        if len(part) < 2 or part[1] != "=":
            raise ScramError(f"malformed attribute {part[:20]!r}")
        out.append((part[0], part[2:]))
    return out


def decode_saslname(name: str) -> str:
    """RFC 5802 saslname: "=2C" is ",", "=3D" is "=", any other "=" is an error."""
    if "=" in name.replace("=2C", "").replace("=3D", ""):
        raise ScramError("malformed user name")
    return name.replace("=2C", ",").replace("=3D", "=")


def fake_credential(mechanism: str, username: str) -> ScramCredential:
    salt = hmac.new(_FAKE_SECRET, username.encode("utf-8"), "sha256").digest()
    key = hmac_digest(mechanism, _FAKE_SECRET, salt)
    return ScramCredential(mechanism, salt, MIN_ITERATIONS, h(mechanism, key), key)


class ScramExchange:
    """One exchange: `step(message)` returns the next server message; `done` once verified."""

    def __init__(self, mechanism: str, lookup: Callable[[str], ScramCredential | None]) -> None:
        self.mechanism = mechanism
        self._lookup = lookup
        self.username: str | None = None
        self.done = False
        self._state = "first"
        self._gs2 = ""
        self._client_first_bare = ""
        self._server_first = ""
        self._nonce = ""
        self._client_nonce = ""
        self._credential: ScramCredential | None = None
        self._known = False

    def step(self, message: bytes) -> bytes:
        if len(message) > MAX_MESSAGE_BYTES:
            raise ScramError("message too long")
        try:
            text = message.decode("utf-8")
        except UnicodeDecodeError:
            raise ScramError("message is not UTF-8") from None
        if self._state == "first":
            return self._first(text)
        if self._state == "final":
            return self._final(text)
        raise ScramError("exchange already finished")

    def _first(self, text: str) -> bytes:
        flag, sep, rest = text.partition(",")
        authzid, sep2, bare = rest.partition(",")
        if not (sep and sep2) or flag not in ("n", "y"):
            raise ScramError(
                "channel binding is not supported"
                if flag.startswith("p")
                else ("malformed client-first message")
            )
        attrs = _attributes(bare)
        if len(attrs) < 2 or attrs[0][0] != "n" or attrs[1][0] != "r" or not attrs[1][1]:
            raise ScramError("client-first message needs n= and r=")
        if any(key == "m" for key, _ in attrs):
            raise ScramError("unsupported mandatory SCRAM extension")
        try:
            username = saslprep(decode_saslname(attrs[0][1]))
        except SaslPrepError as exc:
            raise ScramError(f"user name refused by SASLprep: {exc}") from None
        if authzid and authzid != f"a={attrs[0][1]}":
            raise ScramError("authorization identity differs from the user name")
        self.username = username
        credential = self._lookup(username)
        if credential is not None and credential.mechanism == self.mechanism:
            self._known, cred = True, credential
        else:
            self._known, cred = False, fake_credential(self.mechanism, username)
        self._credential = cred
        self._gs2 = f"{flag},{authzid},"
        self._client_first_bare = bare
        self._client_nonce = attrs[1][1]
        self._nonce = attrs[1][1] + os.urandom(NONCE_BYTES).hex()  # alphanumeric, as Kafka's
        salt = base64.b64encode(cred.salt).decode("ascii")
        self._server_first = f"r={self._nonce},s={salt},i={cred.iterations}"
        self._state = "final"
        return self._server_first.encode("utf-8")

    def _final(self, text: str) -> bytes:
        self._state = "finished"
        attrs = _attributes(text)
        if len(attrs) < 3 or attrs[0][0] != "c" or attrs[1][0] != "r" or attrs[-1][0] != "p":
            raise ScramError("client-final message needs c=, r= and p=")
        try:
            binding = base64.b64decode(attrs[0][1], validate=True).decode("utf-8")
            proof = base64.b64decode(attrs[-1][1], validate=True)
        except (binascii.Error, UnicodeDecodeError):
            raise ScramError("malformed base64 in client-final message") from None
        if binding != self._gs2:
            raise ScramError("channel binding data does not match the client-first message")
        # librdkafka before 2.6.1 sends its own nonce again in front of the server's (its #4895;
        # Debian's kcat links 2.0.2): that exact form is accepted too, as Kafka 3.8.1-3.9 do
        if attrs[1][1] not in (self._nonce, self._client_nonce + self._nonce):
            raise ScramError("nonce does not match")
        without_proof = text[: text.rindex(",p=")]
        auth_message = f"{self._client_first_bare},{self._server_first},{without_proof}".encode()
        cred = self._credential
        assert cred is not None
        signature = hmac_digest(self.mechanism, cred.stored_key, auth_message)
        if len(proof) != len(signature):
            raise ScramError("invalid credentials")
        client_key = bytes(a ^ b for a, b in zip(proof, signature, strict=True))
        if not hmac.compare_digest(h(self.mechanism, client_key), cred.stored_key) or not (
            self._known
        ):
            raise ScramError("invalid credentials")
        self.done = True
        server_signature = hmac_digest(self.mechanism, cred.server_key, auth_message)
        return b"v=" + base64.b64encode(server_signature)
