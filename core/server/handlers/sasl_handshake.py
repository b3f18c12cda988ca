"""SaslHandshake (17): choose the SASL mechanism (core.security.sasl.SaslSession).

On a listener without SASL (mtls_identity included) the answer is ILLEGAL_SASL_STATE and the
connection stays open (Kafka's KafkaApis). Mid-exchange (a mechanism chosen, not yet
authenticated) it is ILLEGAL_SASL_STATE and the connection closes after it, as Kafka's
SaslServerAuthenticator does (Redpanda closes it too). On an authenticated connection a
handshake starts re-authentication (KIP-368, as Redpanda). An unknown or disabled mechanism is
UNSUPPORTED_SASL_MECHANISM with the enabled ones, and the connection closes after it, as Kafka
does."""

from __future__ import annotations

import logging
from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import build

log = logging.getLogger("ailurus.kafka")

API_KEY = 17
MIN_VERSION = 0
MAX_VERSION = 1


async def handle(ctx: RequestContext, request: Any) -> Any:
    session = ctx.session
    if session is None or session.fixed_identity:
        return build(ctx.response_class, error_code=ErrorCode.illegal_sasl_state, mechanisms=())
    if session.in_progress:
        log.warning(
            "closing connection from %s: SaslHandshake during the %s exchange",
            ctx.peer,
            session.mechanism,
        )
        session.abort()
        return build(ctx.response_class, error_code=ErrorCode.illegal_sasl_state, mechanisms=())
    mechanisms = tuple(session.authenticator.mechanisms())
    if not session.handshake(request.mechanism, ctx.api_version):
        log.warning(
            "closing connection from %s: SASL mechanism %r is not enabled (enabled: %s)",
            ctx.peer,
            request.mechanism,
            ", ".join(mechanisms),
        )
        code = ErrorCode.unsupported_sasl_mechanism
        return build(ctx.response_class, error_code=code, mechanisms=mechanisms)
    return build(ctx.response_class, error_code=ErrorCode.none, mechanisms=mechanisms)
