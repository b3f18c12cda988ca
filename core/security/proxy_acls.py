"""The HTTP proxy acts on Kafka as the user who authenticated (`authentication_method:
http_basic`): before a route runs, the broker's authorizer decides for that user's principal and
client address what Kafka would decide for the requests the route makes, and refuses with 40301
(403) what Kafka would refuse:

- `/topics/{topic}` and its partitions and offsets: DESCRIBE on the topic; producing (POST):
  WRITE; reading records: READ;
- `/consumers/{group}...`: READ on the group, and READ on every topic a body names
  (subscription `topics`, assignments, positions and offsets `partitions`/`offsets`);
- `GET /topics` lists only the topics the user may DESCRIBE (Kafka's Metadata hides the others).

Without an authenticated principal (no http_basic) nothing is checked here.

This is a check ahead of the work, for a clear answer before anything happens (and on routes
that would otherwise answer 40403 for an instance first); Kafka then authorizes the work itself
for the same user: the proxy's Kafka requests are made by the user's own clients
(core.proxy.user_clients) and its in-process paths to local partitions ask the authorizer for
that user's principal (core.proxy.local_produce, core.proxy.local_read), from the address the
proxy's Kafka connections come from.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from core.http.basic_auth import PRINCIPAL_KEY, ErrorBody, client_address

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Check = tuple[str, str, str]  # operation, resource type, name


def topic_operation(method: str, template: str) -> str:
    if method == "POST":
        return "WRITE"
    return "READ" if template.endswith("/records") else "DESCRIBE"


def body_topics(body: Any) -> set[str]:
    """Topic names a consumer request body names."""
    if not isinstance(body, dict):
        return set()
    names = {t for t in body.get("topics") or () if isinstance(t, str)}
    for key in ("partitions", "offsets"):
        for entry in body.get(key) or ():
            if isinstance(entry, dict) and isinstance(entry.get("topic"), str):
                names.add(entry["topic"])
    return names


async def checks(request: web.Request) -> list[Check]:
    info = request.match_info
    template = info.route.resource.canonical if info.route.resource else ""
    if "topic" in info:
        return [(topic_operation(request.method, template), "TOPIC", info["topic"])]
    if "group" not in info:
        return []
    out = [("READ", "GROUP", info["group"])]
    if request.method in ("POST", "PUT", "DELETE") and request.can_read_body:
        try:
            body = json.loads(await request.read())
        except ValueError:
            body = None  # the route answers the bad body
        out += [("READ", "TOPIC", t) for t in sorted(body_topics(body))]
    return out


def proxy_acl_middleware(authorizer: Any, error_body: ErrorBody):
    """Refuse with `error_body(403, message, {})` what the user may not do; filter GET /topics."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        principal = request.get(PRINCIPAL_KEY)
        if principal is None or authorizer is None:
            return await handler(request)
        host = client_address(request)
        for operation, rtype, name in await checks(request):
            if not authorizer.authorize(principal, host, operation, rtype, name):
                what = f"{rtype.lower()} {name!r}"
                return error_body(403, f"{principal} may not {operation} {what}", {})
        response = await handler(request)
        if request.method == "GET" and request.path == "/topics":
            return _visible_topics(response, authorizer, principal, host)
        return response

    return middleware


def _visible_topics(
    response: web.StreamResponse, authorizer: Any, principal: str, host: str
) -> web.StreamResponse:
    if not isinstance(response, web.Response) or response.status != 200 or not response.text:
        return response
    names = json.loads(response.text)
    if not isinstance(names, list):
        return response
    visible = [n for n in names if authorizer.authorize(principal, host, "DESCRIBE", "TOPIC", n)]
    response.text = json.dumps(visible)
    return response
