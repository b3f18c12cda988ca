"""SaslAuthenticate (36): one SASL token each way (KIP-152), after SaslHandshake v1.

A failure answers SASL_AUTHENTICATION_FAILED with a message, is logged once with the client's
address, and the connection closes after the answer. v1+ answers carry the session lifetime
(KIP-368, `kafka_sasl_max_reauth_ms`)."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from core.protocol.errors import ErrorCode
from core.security.sasl import AuthenticationFailed
from core.server.context import RequestContext
from core.server.responses import build

log = logging.getLogger("ailurus.kafka")

API_KEY = 36
MIN_VERSION = 0
MAX_VERSION = 2


def _answer(ctx: RequestContext, code: ErrorCode, message: str | None, token: bytes) -> Any:
    session = ctx.session
    lifetime_ms = 0
    if session is not None and session.expires_at is not None and code is ErrorCode.none:
        lifetime_ms = session.authenticator.session_lifetime_ms()
    return build(
        ctx.response_class,
        error_code=code,
        error_message=message,
        auth_bytes=token,
        session_lifetime=datetime.timedelta(milliseconds=lifetime_ms),
    )


async def handle(ctx: RequestContext, request: Any) -> Any:
    session = ctx.session
    if session is None or not session.in_progress or session.raw_tokens:
        if session is not None:
            session.failed = True
        log.warning("closing connection from %s: SaslAuthenticate without a handshake", ctx.peer)
        return _answer(ctx, ErrorCode.illegal_sasl_state, "SaslHandshake must come first", b"")
    try:
        token = await session.step(request.auth_bytes)
    except AuthenticationFailed as exc:
        log.warning("SASL authentication failed from %s: %s", ctx.peer, exc)
        return _answer(ctx, ErrorCode.sasl_authentication_failed, exc.client_message, b"")
    return _answer(ctx, ErrorCode.none, None, token)
