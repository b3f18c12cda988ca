"""Route declarations: one place builds both the aiohttp router and the OpenAPI document."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from core.http.basic_auth import PRINCIPAL_KEY
from core.proxy import jsonbody
from core.proxy.errors import ProxyError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
STATE_KEY = web.AppKey("pandaproxy_state", object)
KAFKA_KEY = "pandaproxy.kafka"  # request[KAFKA_KEY]: the authenticated user's Kafka clients

NAME = {"type": "string", "minLength": 1, "maxLength": 249}
PARTITION = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
INT64 = {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}
TP = {
    "type": "object",
    "properties": {"topic": NAME, "partition": PARTITION},
    "required": ["topic", "partition"],
}
TP_OFFSET = {
    "type": "object",
    "properties": {
        "topic": NAME,
        "partition": PARTITION,
        "offset": INT64,
        "metadata": {"type": "string"},
    },
    "required": ["topic", "partition", "offset"],
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    query: dict[str, dict[str, Any]]
    body: dict[str, Any] | None
    body_types: tuple[str, ...]
    response_types: tuple[str, ...]
    ok_status: int

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


@dataclass
class RouteList:
    routes: list[Route] = field(default_factory=list)

    def add(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        query: dict[str, dict[str, Any]] | None = None,
        body: dict[str, Any] | None = None,
        body_types: tuple[str, ...] = ("application/vnd.kafka.v2+json",),
        response_types: tuple[str, ...] = ("application/vnd.kafka.v2+json",),
        ok_status: int = 200,
    ) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self.routes.append(
                Route(
                    method,
                    path,
                    handler,
                    summary,
                    query or {},
                    body,
                    body_types,
                    response_types,
                    ok_status,
                )
            )
            return handler

        return decorate


def state(request: web.Request) -> Any:
    return request.app[STATE_KEY]


def kafka(request: web.Request) -> Any:
    """The Kafka clients to act with: the authenticated user's (core.proxy.user_clients),
    else the proxy's own."""
    side = request.get(KAFKA_KEY)
    return side if side is not None else state(request).kafka


def principal(request: web.Request) -> str | None:
    """The principal the request acts as on Kafka: the HTTP Basic user; None for the proxy's
    own client (no http_basic)."""
    found = request.get(PRINCIPAL_KEY)
    return found if isinstance(found, str) else None


def partition_param(request: web.Request) -> int:
    raw = request.match_info["partition"]
    try:
        value = int(raw, 10)
    except ValueError:
        value = -1
    if not 0 <= value <= 2**31 - 1:
        raise ProxyError(40402, f"Partition {raw!r} not found.")
    return value


def query_int(request: web.Request, name: str, default: int | None, lo: int, hi: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        if default is None:
            raise ProxyError(40002, f"query parameter {name} is required")
        return default
    try:
        value = int(raw, 10)
    except ValueError:
        raise ProxyError(40002, f"query parameter {name} must be an integer") from None
    if not lo <= value <= hi:
        raise ProxyError(40002, f"query parameter {name} must be in [{lo}, {hi}]")
    return value


async def read_raw(request: web.Request, max_bytes: int) -> bytes:
    """The body as BaseRequest.read gives it (413 past `max_bytes`, the app's client_max_size),
    with one copy fewer: the chunks are joined once (a body of one chunk is not copied)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.readany():
        size += len(chunk)
        if size > max_bytes:
            raise web.HTTPRequestEntityTooLarge(max_bytes, size)
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def read_body(request: web.Request, required: bool = True) -> Any:
    """The JSON body; 42205 when malformed, None when empty and not required."""
    return parse_body(await request.read(), required, jsonbody.loads)


def parse_body(
    raw: bytes, required: bool = True, parse: Callable[[bytes], Any] = json.loads
) -> Any:
    """`raw` parsed by `parse`; 42205 when malformed, None when empty and not required."""
    if not raw.strip():
        if required:
            raise ProxyError(42205, "request body is empty, expected JSON")
        return None
    try:
        return parse(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProxyError(42205, f"invalid JSON body: {exc}") from None


def tp_list(body: Any, key: str, with_offset: bool = False) -> list[tuple[str, int, int, str]]:
    """`[{"topic","partition"(,"offset","metadata")}]` under `key`; 42205 when malformed."""
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        raise ProxyError(42205, f"expected an object with a {key!r} array")
    out: list[tuple[str, int, int, str]] = []
    for i, raw in enumerate(body[key]):
        item: dict[str, Any] = raw if isinstance(raw, dict) else {}
        topic, part = item.get("topic"), item.get("partition")
        offset, meta = item.get("offset"), item.get("metadata")
        ok = isinstance(topic, str) and legal_topic(topic)
        ok = ok and _int_in(part, 2**31 - 1) and (not with_offset or _int_in(offset, 2**63 - 1))
        if not ok or (meta is not None and not isinstance(meta, str)):
            fields = "topic, partition" + (", offset" if with_offset else "")
            raise ProxyError(42205, f"{key}[{i}] must have {fields}")
        out.append(
            (item["topic"], item["partition"], item["offset"] if with_offset else 0, meta or "")
        )
    return out


_LEGAL_TOPIC = re.compile(r"[a-zA-Z0-9._-]{1,249}")


def legal_topic(name: str) -> bool:
    """Kafka's rule for topic names (aiokafka retries metadata for others in a tight loop)."""
    return bool(_LEGAL_TOPIC.fullmatch(name)) and name not in (".", "..")


def _int_in(value: Any, hi: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= hi
