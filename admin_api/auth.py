"""HTTP basic authentication, enforced only while `admin_api_require_auth` is true."""

from __future__ import annotations

import asyncio
import base64
import binascii

from aiohttp import web

from admin_api.spec import PUBLIC, SUPERUSER, Handler, services
from core.http import error_response

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="ailurus-admin"'}


def _credentials(request: web.Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        user, sep, password = (
            base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        )
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (user, password) if sep else None


def make_auth_middleware(levels: dict[Handler, str]):
    """`levels` maps each route handler to its auth level; unknown routes fall through to 404."""

    @web.middleware
    async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        svc = services(request)
        route_handler = request.match_info.route.handler
        level = levels.get(route_handler, PUBLIC)
        if level == PUBLIC or not svc.cluster_config.get("admin_api_require_auth"):
            return await handler(request)
        creds = _credentials(request)
        if creds is None:
            return error_response(401, "authentication required", headers=_CHALLENGE)
        user, password = creds
        if not await asyncio.to_thread(svc.users.verify_password, user, password):
            return error_response(401, "invalid username or password", headers=_CHALLENGE)
        if level == SUPERUSER and user not in svc.cluster_config.get("superusers"):
            return error_response(403, f"user {user!r} is not a superuser")
        return await handler(request)

    return auth_middleware
