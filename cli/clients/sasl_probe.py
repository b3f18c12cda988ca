"""Why a SASL connection failed, asked of the broker directly.

kafka-python retries a connection whose SASL handshake the broker refused until its
bootstrap times out, so the refusal reaches rpk only as a timeout. franz-go (rpk) reports
the broker's answer; to say the same, rpk sends one SaslHandshake of its own after such a
timeout and reports what the broker answered.
"""

from __future__ import annotations

import io
import socket
import struct

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


def _request(mechanism: str) -> bytes:
    header_cls = SaslHandshakeRequest.__header_schema__
    buf = io.BytesIO()
    entity_writer(header_cls)(
        buf,
        header_cls(
            request_api_key=SaslHandshakeRequest.__api_key__,
            request_api_version=SaslHandshakeRequest.__version__,
            correlation_id=1,
            client_id="rpk",
        ),
    )
    entity_writer(SaslHandshakeRequest)(buf, SaslHandshakeRequest(mechanism=mechanism))
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
