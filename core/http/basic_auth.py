"""HTTP Basic authentication for the broker's HTTP servers (Admin API, HTTP proxy, Schema
Registry), independent of where users live: the caller gives the check and the failure limiter.

A refusal (no or malformed credentials, wrong password, unknown user, too many failures from the
address) is answered 401 with a `WWW-Authenticate: Basic` challenge in the server's own error
body. Every refusal of credentials takes at least `FAILURE_FLOOR_S` from the request's arrival,
so a wrong password and an unknown user cost the client the same time; failed checks are counted per client
address by the limiter, and each refused check is one warning line with the address (refusals
by the limiter itself are counted into the next such line, never a line each).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web

log = logging.getLogger("ailurus.http.auth")

PRINCIPAL_KEY = "ailurus.principal"  # request[PRINCIPAL_KEY]: "User:name" once authenticated
FAILURE_FLOOR_S = 0.1
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ErrorBody = Callable[[int, str, dict[str, str]], web.StreamResponse]
Verify = Callable[[str, str], Awaitable[bool]]


class Limiter(Protocol):
    def allowed(self, address: str) -> bool: ...

    def failed(self, address: str) -> None: ...


class Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def credentials(request: web.Request) -> tuple[str, str] | None:
    """(user, password) of an `Authorization: Basic` header, None when absent or malformed."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep and user else None


def client_address(request: web.Request) -> str:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return str(peer[0]) if isinstance(peer, tuple) else str(request.remote or "?")


class BasicAuth:
    """Checks a request's credentials; `realm` names the server in the challenge."""

    def __init__(self, verify: Verify, limiter: Limiter, realm: str) -> None:
        self._verify = verify
        self._limiter = limiter
        self.challenge = {"WWW-Authenticate": f'Basic realm="{realm}"'}
        self._limited_unlogged = 0

    async def authenticate(self, request: web.Request) -> str:
        """The user name, or Refused (after the failure floor)."""
        started = time.monotonic()
        try:
            return await self._check(request)
        except Refused:
            if credentials(request) is not None:  # no user named: nothing to hide
                await asyncio.sleep(max(0.0, FAILURE_FLOOR_S - (time.monotonic() - started)))
            raise

    async def _check(self, request: web.Request) -> str:
        creds = credentials(request)
        if creds is None:
            raise Refused("authentication required")
        address = client_address(request)
        if not self._limiter.allowed(address):
            self._limited_unlogged += 1
            raise Refused("too many failed authentication attempts, try again later")
        user, password = creds
        if await self._verify(user, password):
            return user
        self._limiter.failed(address)
        limited, self._limited_unlogged = self._limited_unlogged, 0
        log.warning(
            "HTTP basic authentication failed from %s for user %r on %s %s%s",
            address,
            user,
            request.method,
            request.path,
            f" ({limited} more refused by the failure limit)" if limited else "",
        )
        raise Refused("invalid username or password")


def basic_auth_middleware(
    auth: BasicAuth,
    error_body: ErrorBody,
    required: Callable[[web.Request], bool] = lambda request: True,
):
    """Authenticate every request `required` selects; the user's principal is then in
    request[PRINCIPAL_KEY]."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not required(request):
            return await handler(request)
        try:
            user = await auth.authenticate(request)
        except Refused as exc:
            return error_body(401, exc.message, auth.challenge)
        request[PRINCIPAL_KEY] = f"User:{user}"
        return await handler(request)

    return middleware
