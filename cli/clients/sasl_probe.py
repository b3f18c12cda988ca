"""Why a SASL connection failed, asked of the broker directly.

kafka-python retries a connection whose SASL handshake or authentication the broker refused
until its bootstrap times out, so the refusal reaches rpk only as a timeout. franz-go (rpk)
reports the broker's answer; to say the same, rpk sends one SaslHandshake of its own after such
a timeout (`handshake_refusal`) and, when the mechanism is accepted, one whole login with the
same credentials over the same TLS settings (`login_refusal`), and reports what the broker
answered.
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

from kio.schema.sasl_authenticate.v1.request import SaslAuthenticateRequest
from kio.schema.sasl_authenticate.v1.response import SaslAuthenticateResponse
from kio.schema.sasl_handshake.v1.request import SaslHandshakeRequest
from kio.schema.sasl_handshake.v1.response import SaslHandshakeResponse
from kio.serial import entity_reader, entity_writer

PROBE_TIMEOUT_S = 3.0
_MAX_REPLY_BYTES = 64 * 1024


def handshake_refusal(broker: str, mechanism: str) -> str | None:
    """The broker's refusal of `mechanism` (e.g. 'ILLEGAL_SASL_STATE; enabled mechanisms:
    none'), or None if it accepts it or cannot be asked."""
    host, _, port = broker.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=PROBE_TIMEOUT_S) as sock:
            sock.sendall(_request(mechanism))
            reply = _read_frame(sock)
    except (OSError, ValueError):
        return None
    if reply is None:
        return None
    try:
        header, used = entity_reader(SaslHandshakeResponse.__header_schema__)(reply, 0)
        response, _ = entity_reader(SaslHandshakeResponse)(reply, used)
    except Exception:  # an answer we cannot read says nothing about SASL
        return None
    if response.error_code.value == 0:
        return None
    enabled = ", ".join(response.mechanisms) or "none"
    return f"{response.error_code.name.upper()}; enabled mechanisms: {enabled}"


class _Refused(Exception):
    pass


def login_refusal(
    broker: str, mechanism: str, user: str, password: str, tls: ssl.SSLContext | None = None
) -> str | None:
    """The broker's refusal of these credentials (e.g. 'SASL_AUTHENTICATION_FAILED:
    Authentication failed: invalid credentials with SASL mechanism SCRAM-SHA-256'), or None if
    it accepts them or cannot be asked."""
    host, _, port = broker.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=PROBE_TIMEOUT_S) as raw:
            sock = tls.wrap_socket(raw, server_hostname=host) if tls is not None else raw
            sock.sendall(_request(mechanism))
            if _read_frame(sock) is None:
                return None
            if mechanism == "PLAIN":
                _authenticate(sock, b"\0" + user.encode() + b"\0" + password.encode(), 2)
            else:
                _scram(sock, mechanism, user, password)
    except _Refused as exc:
        return str(exc)
    except (OSError, ValueError, KeyError):
        return None
    return None


def _authenticate(sock: socket.socket, token: bytes, correlation: int) -> bytes:
    sock.sendall(_frame(SaslAuthenticateRequest(auth_bytes=token), correlation))
    reply = _read_frame(sock)
    if reply is None:
        raise OSError("no answer")
    try:
        _, used = entity_reader(SaslAuthenticateResponse.__header_schema__)(reply, 0)
        response, _ = entity_reader(SaslAuthenticateResponse)(reply, used)
    except Exception:
        raise OSError("an answer that cannot be read") from None
    if response.error_code.value != 0:
        raise _Refused(f"{response.error_code.name.upper()}: {response.error_message or ''}")
    return response.auth_bytes


def _scram(sock: socket.socket, mechanism: str, user: str, password: str) -> None:
    digest = "sha256" if mechanism == "SCRAM-SHA-256" else "sha512"
    nonce = base64.b64encode(os.urandom(18)).decode()
    name = user.replace("=", "=3D").replace(",", "=2C")
    bare = f"n={name},r={nonce}"
    first = _authenticate(sock, f"n,,{bare}".encode(), 2).decode()
    attrs = dict(part.split("=", 1) for part in first.split(","))
    salted = hashlib.pbkdf2_hmac(
        digest, password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"])
    )
    client_key = hmac.new(salted, b"Client Key", digest).digest()
    final = f"c=biws,r={attrs['r']}"
    message = f"{bare},{first},{final}".encode()
    signature = hmac.new(hashlib.new(digest, client_key).digest(), message, digest).digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature, strict=True)))
    _authenticate(sock, f"{final},p={proof.decode()}".encode(), 3)


def _request(mechanism: str) -> bytes:
    return _frame(SaslHandshakeRequest(mechanism=mechanism), 1)


def _frame(body, correlation: int) -> bytes:
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
