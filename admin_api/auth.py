"""HTTP basic authentication on the Admin API, enforced only while `admin_api_require_auth` is
true (read live), at each route's level as Redpanda registers it: public routes need nothing,
`user` routes a valid SCRAM user, `superuser` routes a user listed in `superusers` (else 403).
Credentials are checked by core.http.basic_auth (failure floor, per-address limit, one log line
per refusal)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from admin_api.spec import PUBLIC, SUPERUSER, Handler, services
from core.http import error_response
from core.http.basic_auth import PRINCIPAL_KEY, BasicAuth, Refused
from core.security.sasl import FailureLimiter

REALM = "ailurus-admin"


def make_auth_middleware(levels: dict[Handler, str]):
    """`levels` maps each route handler to its auth level; unknown routes fall through to 404."""
    limiter = FailureLimiter()
    built: list[BasicAuth] = []  # one checker for the server, made with the first request

    def checker(svc) -> BasicAuth:
        if not built:

            async def verify(user: str, password: str) -> bool:
                return await asyncio.to_thread(svc.users.verify_password, user, password)

            built.append(BasicAuth(verify, limiter, REALM))
        return built[0]

    @web.middleware
    async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        svc = services(request)
        level = levels.get(request.match_info.route.handler, PUBLIC)
        if level == PUBLIC or not svc.cluster_config.get("admin_api_require_auth"):
            return await handler(request)
        auth = checker(svc)
        try:
            user = await auth.authenticate(request)
        except Refused as exc:
            return error_response(401, exc.message, headers=auth.challenge)
        if level == SUPERUSER and user not in svc.cluster_config.get("superusers"):
            return error_response(403, f"user {user!r} is not a superuser")
        request[PRINCIPAL_KEY] = f"User:{user}"
        return await handler(request)

    return auth_middleware
