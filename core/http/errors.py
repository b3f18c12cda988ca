"""HTTP errors as data: every failure leaves the server as `{"message": ..., "code": <status>}`."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HttpError(Exception):
    """Raise from a handler to answer `status` with a JSON error body."""

    def __init__(self, status: int, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra or {}


def bad_request(message: str, extra: dict[str, Any] | None = None) -> HttpError:
    return HttpError(400, message, extra)


def not_found(message: str) -> HttpError:
    return HttpError(404, message)


def error_response(
    status: int,
    message: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    body = {**(extra or {}), "message": message, "code": status}
    return web.Response(
        status=status, text=json.dumps(body), content_type="application/json", headers=headers
    )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn HttpError, aiohttp's HTTPException (404/405/413...) and bugs into JSON error bodies."""
    try:
        return await handler(request)
    except HttpError as exc:
        return error_response(exc.status, exc.message, exc.extra)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {
            k: v for k, v in exc.headers.items() if k.lower() in ("allow", "www-authenticate")
        }
        return error_response(exc.status, exc.reason or "error", headers=headers)
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(500, "internal server error")
