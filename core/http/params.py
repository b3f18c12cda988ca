"""Request parsing helpers that reject bad input with 400 instead of failing later."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from core.http.errors import bad_request

_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


async def read_json(request: web.Request) -> Any:
    """The decoded JSON body; 400 when it is missing or malformed."""
    raw = await request.read()
    if not raw:
        raise bad_request("request body is empty, expected JSON")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad_request(f"invalid JSON body: {exc}") from None


async def read_json_object(
    request: web.Request, required: tuple[str, ...] = (), allowed: tuple[str, ...] | None = None
) -> dict[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise bad_request("expected a JSON object")
    missing = [k for k in required if k not in body]
    if missing:
        raise bad_request(f"missing field(s): {', '.join(missing)}")
    if allowed is not None:
        extra = sorted(k for k in body if k not in allowed)
        if extra:
            raise bad_request(f"unexpected field(s): {', '.join(extra)}")
    return body


def query_bool(request: web.Request, name: str, default: bool) -> bool:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise bad_request(f"query parameter {name!r} must be true or false, got {raw!r}")


def int_param(raw: str, name: str, minimum: int = 0, maximum: int = 2**31 - 1) -> int:
    """A path or query integer within [minimum, maximum]; 400 otherwise."""
    try:
        value = int(raw, 10)
    except ValueError:
        raise bad_request(f"{name} must be an integer, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise bad_request(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def string_field(body: dict[str, Any], name: str, max_len: int = 1024) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise bad_request(f"field {name!r} must be a string")
    if not value or len(value) > max_len:
        raise bad_request(f"field {name!r} must be 1 to {max_len} characters")
    return value
