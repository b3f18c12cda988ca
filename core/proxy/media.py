"""Content negotiation as Confluent's REST proxy: 415 for a body it cannot read, 406 for an
Accept it cannot answer. Embedded formats travel in the media type:
`application/vnd.kafka.{binary,json,avro,jsonschema,protobuf}.v2+json`."""

from __future__ import annotations

import functools

from aiohttp import web

from core.proxy.errors import ProxyError

BINARY, JSON = "binary", "json"
SCHEMA_FORMATS = ("avro", "jsonschema", "protobuf")
SERVED_FORMATS = (BINARY, JSON, *SCHEMA_FORMATS)
GENERIC = ("application/vnd.kafka.v2+json", "application/vnd.kafka+json", "application/json")
V2 = GENERIC[0]


@functools.lru_cache(maxsize=256)  # clients send the same few headers over and over
def _types(header: str) -> tuple[str, ...]:
    return tuple(part.split(";")[0].strip().lower() for part in header.split(",") if part.strip())


def embedded_format(media_type: str) -> str | None:
    """`binary` for application/vnd.kafka.binary.v2+json; None for other types."""
    prefix, suffix = "application/vnd.kafka.", ".v2+json"
    if media_type.startswith(prefix) and media_type.endswith(suffix):
        fmt = media_type[len(prefix) : -len(suffix)]
        return fmt or None
    return None


def unsupported_format(fmt: str) -> ProxyError:
    return ProxyError(415, f"HTTP 415 Unsupported Media Type: unknown embedded format {fmt!r}")


def produce_format(request: web.Request) -> str:
    """The embedded format of a produce body; the generic v2 types mean binary (Confluent)."""
    ctype = _types(request.headers.get("Content-Type", ""))
    if not ctype:
        raise ProxyError(415, "HTTP 415 Unsupported Media Type: Content-Type is required")
    media = ctype[0]
    if media in GENERIC:
        return BINARY
    fmt = embedded_format(media)
    if fmt is None:
        raise ProxyError(415, f"HTTP 415 Unsupported Media Type: {media}")
    if fmt not in SERVED_FORMATS:
        raise unsupported_format(fmt)
    return fmt


def check_v2_body(request: web.Request) -> None:
    """Consumer and offset bodies: the v2 JSON types (a missing Content-Type is accepted)."""
    ctype = _types(request.headers.get("Content-Type", ""))
    if ctype and ctype[0] not in GENERIC:
        raise ProxyError(415, f"HTTP 415 Unsupported Media Type: {ctype[0]}")


def _acceptable(accepted: tuple[str, ...], offered: str) -> bool:
    if not accepted:
        return True
    for media in accepted:
        if media in ("*/*", "application/*", offered):
            return True
    return False


def check_accept(request: web.Request, offered: tuple[str, ...] = GENERIC) -> str:
    accepted = _types(request.headers.get("Accept", ""))
    for media in offered:
        if _acceptable(accepted, media):
            return V2 if media in GENERIC else media
    raise ProxyError(406, f"HTTP 406 Not Acceptable: {', '.join(accepted)}")


def records_format(request: web.Request, instance_format: str | None) -> str:
    """The embedded format a records GET answers in: the Accept's, which must match the
    instance's (40601); a generic Accept takes the instance's (binary without one)."""
    accepted = _types(request.headers.get("Accept", ""))
    wanted = [f for f in (embedded_format(m) for m in accepted) if f]
    generic = not accepted or any(m in ("*/*", "application/*", *GENERIC) for m in accepted)
    fallback = instance_format or BINARY
    if instance_format is not None and wanted and instance_format not in wanted and not generic:
        raise ProxyError(
            40601,
            f"the requested embedded format ({', '.join(wanted)}) does not "
            f"match the consumer instance's ({instance_format})",
        )
    if instance_format is not None:
        return instance_format
    for fmt in wanted:
        if fmt in SERVED_FORMATS:
            return fmt
        raise unsupported_accept(fmt)
    if generic:
        return fallback
    raise ProxyError(406, f"HTTP 406 Not Acceptable: {', '.join(accepted)}")


def unsupported_accept(fmt: str) -> ProxyError:
    return ProxyError(406, f"HTTP 406 Not Acceptable: the {fmt} embedded format is not served")
