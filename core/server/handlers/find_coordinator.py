"""FindCoordinator (10): which broker coordinates a group or a transactional id.

v4 takes a batch of keys; earlier versions one. Every group is coordinated by the
leader of its `__consumer_offsets` partition, every transactional id (key type 1) by the
leader of its `__transaction_state` partition, wherever it is (COORDINATOR_NOT_AVAILABLE
while that partition has no known leader, or the topic is being created on first use). The coordinator's address is the one it advertises
on the listener the request came in on (COORDINATOR_NOT_AVAILABLE if it has no such listener).
"""

from __future__ import annotations

from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.handlers._txn import coordinator
from core.server.responses import ZERO, build, module_of

API_KEY = 10
MIN_VERSION = 0
MAX_VERSION = 4
KEYS_PER_REQUEST_MAX = 10_000


async def handle(ctx: RequestContext, request: Any) -> Any:
    key_type = getattr(request, "key_type", 0)
    if ctx.api_version < 4:
        error, node_id, host, port = _locate(ctx, request.key, key_type)
        return build(
            ctx.response_class,
            throttle_time=ZERO,
            error_code=error,
            error_message=_message(error),
            node_id=node_id,
            host=host,
            port=port,
        )
    m = module_of(ctx.response_class)
    keys = request.coordinator_keys[:KEYS_PER_REQUEST_MAX]
    coordinators = []
    for key in keys:
        error, node_id, host, port = _locate(ctx, key, key_type)
        coordinators.append(
            build(
                m.Coordinator,
                key=key,
                node_id=node_id,
                host=host,
                port=port,
                error_code=error,
                error_message=_message(error),
            )
        )
    return build(ctx.response_class, throttle_time=ZERO, coordinators=tuple(coordinators))


def _locate(ctx: RequestContext, key: str, key_type: int) -> tuple[ErrorCode, int, str, int]:
    if key_type == 1 and not ctx.authorized("DESCRIBE", "TRANSACTIONAL_ID", key):
        return ErrorCode.transactional_id_authorization_failed, -1, "", -1
    if key_type != 1 and not ctx.authorized("DESCRIBE", "GROUP", key):
        return ErrorCode.group_authorization_failed, -1, "", -1
    svc = ctx.services
    if key_type == 1:
        txn = coordinator(ctx)
        # Transactions off: this node, whose InitProducerId then answers the fatal
        # TRANSACTIONAL_ID_AUTHORIZATION_FAILED (librdkafka retries any FindCoordinator error)
        error, node_id = (ErrorCode.none, svc.node_id) if txn is None else txn.coordinator_for(key)
    else:
        error, node_id = svc.groups.coordinator_for(key, key_type)
    if error is not ErrorCode.none:
        return error, -1, "", -1
    if node_id == svc.node_id:
        host, port = svc.advertised_on(ctx.listener)
        return ErrorCode.none, node_id, host, port
    broker = svc.metadata.broker(node_id)
    if broker is not None:
        broker = broker.on_listener(ctx.listener)
    if broker is None:  # a leader not (yet) in the members table, or not on this listener
        return ErrorCode.coordinator_not_available, -1, "", -1
    return ErrorCode.none, node_id, broker.host, broker.port


def _message(error: ErrorCode) -> str | None:
    return None if error is ErrorCode.none else error.name
