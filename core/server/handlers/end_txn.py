"""EndTxn (26): commit or abort the producer's transaction (two-phase: Prepare* stored, markers
written to every partition, Complete* stored; answered once complete or durable)."""

from __future__ import annotations

from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.handlers._txn import coordinator, fenced_error
from core.server.responses import ZERO, build

API_KEY = 26
MIN_VERSION = 0
MAX_VERSION = 4


async def handle(ctx: RequestContext, request: Any) -> Any:
    return build(ctx.response_class, throttle_time=ZERO, error_code=await _end(ctx, request))


async def _end(ctx: RequestContext, request: Any) -> ErrorCode:
    txn = coordinator(ctx)
    if txn is None:
        return ErrorCode.unsupported_version
    if not ctx.authorized("WRITE", "TRANSACTIONAL_ID", request.transactional_id):
        return ErrorCode.transactional_id_authorization_failed
    return await txn.end_txn(
        request.transactional_id,
        request.producer_id,
        request.producer_epoch,
        bool(request.committed),
        fenced_error(ctx),
    )
