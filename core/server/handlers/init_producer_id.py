"""InitProducerId (22): producer ids for idempotent producers, and KIP-360 epoch bumps.

With a transactional id the transaction coordinator answers (core.transactions): the id's
producer id with its epoch bumped (fencing older producers), after aborting a transaction left
ongoing; `transaction.timeout.ms` above `transaction_max_timeout_ms` is
INVALID_TRANSACTION_TIMEOUT. With transactions off: TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as
Redpanda answers, so clients fail at once instead of retrying for minutes."""

from __future__ import annotations

import logging
from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.handlers._txn import coordinator, fenced_error, timeout_ms
from core.server.responses import ZERO, build

API_KEY = 22
MIN_VERSION = 0
MAX_VERSION = 4

MAX_EPOCH = 32767
log = logging.getLogger("ailurus.kafka")


async def handle(ctx: RequestContext, request: Any) -> Any:
    cls = ctx.response_class
    if not ctx.services.cluster_config.get("enable_idempotence"):
        return build(
            cls,
            throttle_time=ZERO,
            error_code=ErrorCode.cluster_authorization_failed,
            producer_id=-1,
            producer_epoch=-1,
        )
    if request.transactional_id is not None:
        return await _transactional(ctx, request)
    if not (
        ctx.authorized("IDEMPOTENT_WRITE", "CLUSTER", "kafka-cluster")
        or ctx.authorized_any("WRITE", "TOPIC")
    ):
        return build(
            cls,
            throttle_time=ZERO,
            error_code=ErrorCode.cluster_authorization_failed,
            producer_id=-1,
            producer_epoch=-1,
        )
    pid = getattr(request, "producer_id", -1)
    epoch = getattr(request, "producer_epoch", -1)
    if pid >= 0 and 0 <= epoch < MAX_EPOCH - 1:
        return build(
            cls,
            throttle_time=ZERO,
            error_code=ErrorCode.none,
            producer_id=pid,
            producer_epoch=epoch + 1,
        )
    new_pid = await ctx.services.producer_ids.allocate()
    return build(
        cls, throttle_time=ZERO, error_code=ErrorCode.none, producer_id=new_pid, producer_epoch=0
    )


async def _transactional(ctx: RequestContext, request: Any) -> Any:
    tid = request.transactional_id
    txn = coordinator(ctx)
    if txn is None:
        log.info("%s: transactional producer %r refused: transactions are off", ctx.peer, tid)
        error, pid, epoch = ErrorCode.transactional_id_authorization_failed, -1, -1
    elif not ctx.authorized("WRITE", "TRANSACTIONAL_ID", tid):
        error, pid, epoch = ErrorCode.transactional_id_authorization_failed, -1, -1
    elif not tid:
        error, pid, epoch = ErrorCode.invalid_request, -1, -1
    else:
        result = await txn.init_producer_id(
            tid,
            timeout_ms(request.transaction_timeout),
            getattr(request, "producer_id", -1),
            getattr(request, "producer_epoch", -1),
            fenced_error(ctx),
        )
        error, pid, epoch = result.error, result.producer_id, result.producer_epoch
    return build(
        ctx.response_class,
        throttle_time=ZERO,
        error_code=error,
        producer_id=pid,
        producer_epoch=epoch,
    )
