"""kio adapter: decode request frames and encode responses, with the header rules.

Request headers are v1 for non-flexible versions and v2 (tagged fields) for
flexible ones; response headers are v0 and v1 respectively, except ApiVersions
whose response header is always v0 (KIP-511).
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any, cast

from kio.index import UnknownAPIKey, UnknownEntity, load_request_schema, load_response_schema
from kio.schema.response_header.v0.header import ResponseHeader as ResponseHeaderV0
from kio.schema.response_header.v1.header import ResponseHeader as ResponseHeaderV1
from kio.serial import entity_reader, entity_writer
from kio.static.primitive import i32

from core.protocol.framing import SIZE
from core.protocol.guard import GuardError, check_request
from core.protocol.walk_layout import header_schema

API_VERSIONS_KEY = 18


class DecodeError(ValueError):
    """The request body does not parse for its declared key and version."""


@cache
def request_class(api_key: int, api_version: int) -> type | None:
    try:
        return load_request_schema(api_key, api_version)
    except (UnknownAPIKey, UnknownEntity, KeyError, ValueError):
        return None


@cache
def response_class(api_key: int, api_version: int) -> type:
    return load_response_schema(api_key, api_version)


@cache
def _reader(cls: type):
    return entity_reader(cls)


@cache
def _writer(cls: type):
    return entity_writer(cls)


# librdkafka 2.x ends AlterUserScramCredentials v0 with a second empty tag buffer (one 0 byte);
# Kafka ignores bytes after a request's fields, so that one byte is dropped for this request.
EXTRA_TAG_BYTE = frozenset({(51, 0)})


def _without_extra_tags(
    payload: bytes | memoryview, api_key: int, version: int, cls: type
) -> bytes:
    raw = bytes(payload)
    if (api_key, version) not in EXTRA_TAG_BYTE or not raw.endswith(b"\0"):
        return raw
    try:
        check_request(raw, cls)
    except GuardError:
        return raw[:-1]
    return raw


def decode_request(payload: bytes | memoryview, api_key: int, api_version: int) -> tuple[Any, Any]:
    """Parse (header, body) of a request whose key and version kio knows.

    The frame is first checked by core.protocol.guard (every claimed length and count
    fits, unknown tagged fields dropped): kio's native reader never sees a claim the
    frame cannot hold. Anything either of them refuses is a DecodeError.
    """
    cls = request_class(api_key, api_version)
    if cls is None:
        raise DecodeError(f"no schema for api key {api_key} version {api_version}")
    name = f"{cls.__name__} v{api_version}"
    try:
        payload = check_request(_without_extra_tags(payload, api_key, api_version, cls), cls)
    except GuardError as exc:
        raise DecodeError(f"malformed {name}: {exc}") from None
    try:
        header, used = _reader(header_schema(cls))(payload, 0)
        body, used_body = _reader(cls)(payload, used)
    except BaseException as exc:  # kio's errors, KeyError, OverflowError, a Rust panic
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        raise DecodeError(f"malformed {name}: {type(exc).__name__}: {exc}") from None
    if used + used_body != len(payload):
        raise DecodeError(f"{name}: {len(payload) - used - used_body} trailing bytes")
    return header, body


def response_header_bytes(api_key: int, api_version: int, correlation_id: int) -> bytes:
    cls = response_class(api_key, api_version)
    buf = io.BytesIO()
    if header_schema(cls) is ResponseHeaderV1 and api_key != API_VERSIONS_KEY:
        _writer(ResponseHeaderV1)(buf, ResponseHeaderV1(correlation_id=cast(i32, correlation_id)))
    else:
        _writer(ResponseHeaderV0)(buf, ResponseHeaderV0(correlation_id=cast(i32, correlation_id)))
    return buf.getvalue()


def encode_response(api_key: int, api_version: int, correlation_id: int, response: object) -> bytes:
    """A whole response frame: size prefix, header, body."""
    buf = io.BytesIO()
    buf.write(b"\0\0\0\0")
    buf.write(response_header_bytes(api_key, api_version, correlation_id))
    _writer(_schema_of(response))(buf, response)
    frame = buf.getbuffer()
    SIZE.pack_into(frame, 0, len(frame) - 4)
    out = bytes(frame)
    frame.release()
    return out


def _schema_of(entity: object) -> type:
    cls: type = type(entity)
    return cls


def encode_body(response: object) -> bytes:
    buf = io.BytesIO()
    _writer(_schema_of(response))(buf, response)
    return buf.getvalue()


def unsupported_key_frame(correlation_id: int, error_code: int) -> bytes:
    """Answer for an API key no schema exists for: header v0 and a bare int16 error code."""
    body = correlation_id.to_bytes(4, "big", signed=True) + error_code.to_bytes(
        2, "big", signed=True
    )
    return SIZE.pack(len(body)) + body
