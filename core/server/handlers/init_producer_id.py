"""InitProducerId (22): producer ids for idempotent producers, and KIP-360 epoch bumps."""

from __future__ import annotations

import logging
from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
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
        # Transactions are not served yet: answer as Redpanda does for a transactional
        # write when they are off (TRANSACTIONAL_ID_AUTHORIZATION_FAILED). Clients treat it
        # as fatal and fail at once; INVALID_REQUEST made librdkafka retry for minutes.
        log.info(
            "%s: transactional producer %r refused: this broker does not serve transactions",
            ctx.peer,
            request.transactional_id,
        )
        return build(
            cls,
            throttle_time=ZERO,
            error_code=ErrorCode.transactional_id_authorization_failed,
            producer_id=-1,
            producer_epoch=-1,
        )
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
