"""Whether the broker refuses rpk's SASL login, asked of the broker directly.

kafka-python drops the broker's SaslAuthenticate error when the connection closes right after it
(as a broker closes it after a refused login), and retries until its bootstrap times out, so on
its own a wrong password reaches rpk only as a timeout seconds later. franz-go (rpk) reports the
broker's answer at once; to do the same, rpk logs in once itself before building a client
(`refusal`): one SaslHandshake and, when the mechanism is accepted, one whole login with the same
credentials over the same TLS settings, and reports what the broker answered in franz-go's words
(`SASL_AUTHENTICATION_FAILED: SASL Authentication failed.: <the broker's message>`; a refused
handshake as franz-go's kgo returns it, the bare kerr error: `UNSUPPORTED_SASL_MECHANISM: The
broker does not support the requested SASL mechanism.` when the broker offers other mechanisms,
`ILLEGAL_SASL_STATE: Request is not valid given the current SASL state.` when it has no SASL).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import os
import socket
import ssl
import struct
from dataclasses import dataclass

from kio.schema.sasl_authenticate.v1.request import SaslAuthenticateRequest
from kio.schema.sasl_authenticate.v1.response import SaslAuthenticateResponse
from kio.schema.sasl_handshake.v1.request import SaslHandshakeRequest
from kio.schema.sasl_handshake.v1.response import SaslHandshakeResponse
from kio.serial import entity_reader, entity_writer

PROBE_TIMEOUT_S = 3.0
_MAX_REPLY_BYTES = 64 * 1024
# franz-go's kerr descriptions of the errors a SASL login can end with (pkg/kerr/kerr.go)
_DESCRIPTIONS = {
    "UNSUPPORTED_SASL_MECHANISM": "The broker does not support the requested SASL mechanism.",
    "ILLEGAL_SASL_STATE": "Request is not valid given the current SASL state.",
    "SASL_AUTHENTICATION_FAILED": "SASL Authentication failed.",
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """`stage` "login": the broker refused the mechanism or the credentials, `detail` in
    franz-go's words (what rpk prints after "unable to request metadata: "). "handshake": a
    client library's own report of a refused handshake, `detail` its description."""

    stage: str
    detail: str


class _Refused(Exception):
    pass


def refusal(
    broker: str, mechanism: str, user: str, password: str, tls: ssl.SSLContext | None = None
) -> Refusal | None:
    """The broker's refusal of this login, or None if it accepts it or cannot be asked."""
    host, _, port = broker.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=PROBE_TIMEOUT_S) as raw:
            sock = tls.wrap_socket(raw, server_hostname=host) if tls is not None else raw
            sock.sendall(request_frame(SaslHandshakeRequest(mechanism=mechanism), 1))
            refused = _handshake_refusal(_read_frame(sock))
            if refused is not None:
                return Refusal("login", refused)
            if mechanism == "PLAIN":
                _authenticate(sock, b"\0" + user.encode() + b"\0" + password.encode(), 2)
            else:
                _scram(sock, mechanism, user, password)
    except _Refused as exc:
        return Refusal("login", str(exc))
    except (OSError, ValueError, KeyError):
        return None
    return None


def _handshake_refusal(reply: bytes | None) -> str | None:
    if reply is None:
        raise OSError("no answer")
    try:
        header, used = entity_reader(SaslHandshakeResponse.__header_schema__)(reply, 0)
        response, _ = entity_reader(SaslHandshakeResponse)(reply, used)
    except Exception:  # an answer we cannot read says nothing about SASL
        raise OSError("an answer that cannot be read") from None
    if response.error_code.value == 0:
        return None
    # franz-go returns kerr's error as is (rpk asks for one mechanism, so kgo retries no other)
    return franz_text(response.error_code.name.upper(), None)


def franz_text(name: str, message: str | None) -> str:
    """franz-go's text for a Kafka error and the broker's message (kgo errCodeMessage)."""
    described = f"{name}: {_DESCRIPTIONS[name]}" if name in _DESCRIPTIONS else name
    return f"{described}: {message}" if message else described


def _authenticate(sock: socket.socket, token: bytes, correlation: int) -> bytes:
    sock.sendall(request_frame(SaslAuthenticateRequest(auth_bytes=token), correlation))
    reply = _read_frame(sock)
    if reply is None:
        raise OSError("no answer")
    try:
        _, used = entity_reader(SaslAuthenticateResponse.__header_schema__)(reply, 0)
        response, _ = entity_reader(SaslAuthenticateResponse)(reply, used)
    except Exception:
        raise OSError("an answer that cannot be read") from None
    if response.error_code.value != 0:
        raise _Refused(franz_text(response.error_code.name.upper(), response.error_message))
    return response.auth_bytes


def _scram(sock: socket.socket, mechanism: str, user: str, password: str) -> None:
    bare, first = scram_client_first(user)
    server_first = _authenticate(sock, first, 2).decode()
    without_proof, proof = scram_client_final(mechanism, password, bare, server_first)
    _authenticate(sock, f"{without_proof},p={proof}".encode(), 3)


def scram_client_first(user: str) -> tuple[str, bytes]:
    """SCRAM (RFC 5802) client-first: (client-first-message-bare, the whole message)."""
    nonce = base64.b64encode(os.urandom(18)).decode()
    name = user.replace("=", "=3D").replace(",", "=2C")
    bare = f"n={name},r={nonce}"
    return bare, f"n,,{bare}".encode()


def scram_client_final(
    mechanism: str, password: str, bare: str, server_first: str
) -> tuple[str, str]:
    """SCRAM client-final answering `server_first`: (the message without its proof, the proof
    in base64). KeyError/ValueError for a server-first message that cannot be read."""
    digest = "sha256" if mechanism == "SCRAM-SHA-256" else "sha512"
    attrs = dict(part.split("=", 1) for part in server_first.split(","))
    salted = hashlib.pbkdf2_hmac(
        digest, password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"])
    )
    client_key = hmac.new(salted, b"Client Key", digest).digest()
    without_proof = f"c=biws,r={attrs['r']}"
    message = f"{bare},{server_first},{without_proof}".encode()
    signature = hmac.new(hashlib.new(digest, client_key).digest(), message, digest).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    return without_proof, base64.b64encode(proof).decode()


def request_frame(body, correlation: int) -> bytes:
    """A kio request entity as a size-prefixed frame (client id `rpk`)."""
    header_cls = body.__header_schema__
    buf = io.BytesIO()
    entity_writer(header_cls)(
        buf,
        header_cls(
            request_api_key=body.__api_key__,
            request_api_version=body.__version__,
            correlation_id=correlation,
            client_id="rpk",
        ),
    )
    entity_writer(type(body))(buf, body)
    body = buf.getvalue()
    return struct.pack(">i", len(body)) + body


def _read_frame(sock: socket.socket) -> bytes | None:
    head = _read_exact(sock, 4)
    if head is None:
        return None
    (size,) = struct.unpack(">i", head)
    if not 0 < size <= _MAX_REPLY_BYTES:
        return None
    return _read_exact(sock, size)


def _read_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)
