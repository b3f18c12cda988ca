"""What the transaction handlers share: the coordinator, and the fencing code per version."""

from __future__ import annotations

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.transactions.coordinator import TransactionCoordinator

# KIP-588: PRODUCER_FENCED from these versions on, INVALID_PRODUCER_EPOCH before
_FENCED_FROM = {22: 4, 24: 2, 25: 2, 26: 2, 28: 3}


def coordinator(ctx: RequestContext) -> TransactionCoordinator | None:
    """The transaction coordinator, or None when transactions are off."""
    txn = ctx.services.transactions
    if txn is None or not ctx.services.cluster_config.get("enable_transactions"):
        return None
    return txn


def fenced_error(ctx: RequestContext) -> ErrorCode:
    if ctx.api_version >= _FENCED_FROM.get(ctx.api_key, 0):
        return ErrorCode.producer_fenced
    return ErrorCode.invalid_producer_epoch


def timeout_ms(value) -> int:
    """A request's timedelta (kio) or int field, in milliseconds."""
    total = getattr(value, "total_seconds", None)
    return round(total() * 1000) if total is not None else int(value)
