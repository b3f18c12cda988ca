"""Admin API requests in the audit log (core.security.audit), as Redpanda's admin server
audits them: one OCSF api_activity event per request, `admin` kind, with method, URL, headers
(Authorization and Cookie masked), client and server addresses, the user and whether the
request was authorized (a 401 or 403 answer is `denied`).

Registered outside the authentication middleware, so refused requests are recorded too. When
the audit queue is full a request is answered 503 before it runs, except the cluster_config
routes (Redpanda's escape hatch: the operator can still turn auditing off or resize it).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from aiohttp import web

from admin_api.spec import Handler, services
from core.http import error_response
from core.http.basic_auth import PRINCIPAL_KEY
from core.security.audit.ocsf import ADMIN_SERVICE, HttpCall, Login, split_address

ESCAPE_HATCH_PREFIX = "/v1/cluster_config"
REFUSED_STATUSES = frozenset({401, 403})


def make_audit_middleware():
    @web.middleware
    async def audit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        audit = getattr(services(request), "audit", None)
        if audit is None or not audit.settings.enabled:
            return await handler(request)
        hatch = request.path.startswith(ESCAPE_HATCH_PREFIX)
        if not hatch and not audit.admits_http(_call(request, 200, audit.is_superuser)):
            return error_response(503, "Failed to audit authorization request")
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            # the room was checked before the request ran (a race with other requests may
            # still find the queue full: then the event is lost, logged by the audit log)
            call = _call(request, status, audit.is_superuser)
            login = _login(request, call, status)
            if login is not None:
                audit.record_login(login)
            audit.record_http(call)

    return audit_middleware


def _call(request: web.Request, status: int, is_superuser: Callable[[str], bool]) -> HttpCall:
    principal = request.get(PRINCIPAL_KEY)
    user = principal.removeprefix("User:") if principal else _claimed_user(request)
    refused = status in REFUSED_STATUSES
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    server = (sockname[0], sockname[1]) if sockname else (request.host, None)
    return HttpCall(
        method=request.method,
        scheme=request.scheme,
        host_header=request.host,
        path=request.path,
        url=str(request.url),
        version=f"{request.version.major}.{request.version.minor}",
        headers=tuple(request.headers.items()),
        client=split_address(request.remote or ""),
        server=server,
        user=user,
        authorized=not refused,
        reason=f"HTTP {status}" if refused else ("" if principal else "Auth Disabled"),
        superuser=principal is not None and is_superuser(principal),
    )


def _login(request: web.Request, call: HttpCall, status: int) -> Login | None:
    """The Basic authentication this request made (Redpanda's audit_authn), if any: succeeded
    when the auth middleware set the principal, failed when it answered 401 to credentials."""
    if request.get(PRINCIPAL_KEY) is not None:
        error = None
    elif status == 401 and call.user is not None:
        error = "invalid username or password"
    else:
        return None
    assert call.user is not None
    credential = services(request).users.credential(call.user) if error is None else None
    return Login(
        user=call.user,
        mechanism=credential.mechanism if credential is not None else "",
        client=call.client,
        server=call.server,
        error=error,
        service=ADMIN_SERVICE,
        is_cleartext=request.scheme != "https",
        superuser=call.superuser,
    )


def _claimed_user(request: web.Request) -> str | None:
    """The user name of a Basic Authorization header (unverified: for refused requests)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None
