"""AddOffsetsToTxn (25): a transaction will commit a group's offsets (TxnOffsetCommit); the
group's `__consumer_offsets` partition joins the transaction, so its marker settles them."""

from __future__ import annotations

from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.handlers._txn import coordinator, fenced_error
from core.server.responses import ZERO, build

API_KEY = 25
MIN_VERSION = 0
MAX_VERSION = 4


async def handle(ctx: RequestContext, request: Any) -> Any:
    return build(ctx.response_class, throttle_time=ZERO, error_code=await _add(ctx, request))


async def _add(ctx: RequestContext, request: Any) -> ErrorCode:
    txn = coordinator(ctx)
    if txn is None:
        return ErrorCode.unsupported_version
    if not ctx.authorized("WRITE", "TRANSACTIONAL_ID", request.transactional_id):
        return ErrorCode.transactional_id_authorization_failed
    if not ctx.authorized("READ", "GROUP", request.group_id):
        return ErrorCode.group_authorization_failed
    if not request.group_id:
        return ErrorCode.invalid_group_id
    return await txn.add_offsets(
        request.transactional_id,
        request.producer_id,
        request.producer_epoch,
        request.group_id,
        fenced_error(ctx),
    )
