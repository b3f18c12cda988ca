"""ListTransactions (66): transactional ids this broker coordinates, filtered by state, producer
id and (v1) how long they have been running."""

from __future__ import annotations

from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.handlers._txn import coordinator
from core.server.responses import ZERO, build, module_of
from core.transactions.state import STATE_BY_LABEL

API_KEY = 66
MIN_VERSION = 0
MAX_VERSION = 1


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    txn = coordinator(ctx)
    wanted = {s.lower() for s in request.state_filters}
    unknown = tuple(s for s in request.state_filters if s.lower() not in STATE_BY_LABEL)
    pids = set(request.producer_id_filters)
    duration_ms = getattr(request, "duration_filter", -1)
    error, found = (ErrorCode.none, []) if txn is None else txn.list()
    now_ms = txn.clock.now_ms() if txn is not None else 0
    listed = [
        build(
            m.TransactionState,
            transactional_id=meta.transactional_id,
            producer_id=meta.producer_id,
            transaction_state=meta.state.label,
        )
        for meta in found
        if (not wanted or meta.state.label.lower() in wanted)
        and (not pids or meta.producer_id in pids)
        and (duration_ms < 0 or (meta.start_ms >= 0 and now_ms - meta.start_ms >= duration_ms))
        and ctx.authorized("DESCRIBE", "TRANSACTIONAL_ID", meta.transactional_id)
    ]
    return build(
        ctx.response_class,
        throttle_time=ZERO,
        error_code=error,
        unknown_state_filters=unknown,
        transaction_states=tuple(listed),
    )
