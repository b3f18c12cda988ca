"""DescribeTransactions (65): the state of transactional ids this broker coordinates."""

from __future__ import annotations

import datetime
from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.handlers._txn import coordinator
from core.server.responses import ZERO, build, module_of

API_KEY = 65
MIN_VERSION = 0
MAX_VERSION = 0
IDS_PER_REQUEST_MAX = 10_000
_EPOCH = datetime.datetime.fromtimestamp(0, datetime.UTC)


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    txn = coordinator(ctx)
    states = []
    for tid in request.transactional_ids[:IDS_PER_REQUEST_MAX]:
        meta = None
        if txn is None:
            error = ErrorCode.unsupported_version
        elif not ctx.authorized("DESCRIBE", "TRANSACTIONAL_ID", tid):
            error = ErrorCode.transactional_id_authorization_failed
        else:
            error, meta = txn.describe(tid)
        by_topic: dict[str, list[int]] = {}
        for topic, partition in sorted(meta.partitions if meta is not None else ()):
            if ctx.authorized("DESCRIBE", "TOPIC", topic):
                by_topic.setdefault(topic, []).append(partition)
        start_ms = meta.start_ms if meta is not None else 0  # -1: no transaction running
        states.append(
            build(
                m.TransactionState,
                error_code=error,
                transactional_id=tid,
                transaction_state=meta.state.label if meta is not None else "",
                transaction_timeout=datetime.timedelta(
                    milliseconds=meta.timeout_ms if meta is not None else 0
                ),
                transaction_start_time=_EPOCH + datetime.timedelta(milliseconds=start_ms),
                producer_id=meta.producer_id if meta is not None else -1,
                producer_epoch=meta.producer_epoch if meta is not None else -1,
                topics=tuple(
                    build(m.TopicData, topic=t, partitions=tuple(ps)) for t, ps in by_topic.items()
                ),
            )
        )
    return build(ctx.response_class, throttle_time=ZERO, transaction_states=tuple(states))
