"""AlterConfigs (33): replace a topic's configuration overrides."""

from __future__ import annotations

from typing import Any

from core.cluster.errors import ClusterError, error_message, to_error_code
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 33
MIN_VERSION = 0
MAX_VERSION = 2

TOPIC = 2
BROKER = 4


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    out = []
    for r in request.resources:
        code, message = await _alter(ctx, r, request.validate_only)
        out.append(
            build(
                m.AlterConfigsResourceResponse,
                error_code=code,
                error_message=message,
                resource_type=r.resource_type,
                resource_name=r.resource_name,
            )
        )
    return build(ctx.response_class, throttle_time=ZERO, responses=tuple(out))


async def _alter(ctx: RequestContext, r, validate_only: bool) -> tuple[ErrorCode, str | None]:
    if r.resource_type == TOPIC and not ctx.authorized("ALTER_CONFIGS", "TOPIC", r.resource_name):
        return ErrorCode.topic_authorization_failed, None
    if r.resource_type == BROKER and not ctx.authorized(
        "ALTER_CONFIGS", "CLUSTER", "kafka-cluster"
    ):
        return ErrorCode.cluster_authorization_failed, None
    if r.resource_type == BROKER:
        return (
            ErrorCode.invalid_config,
            "use IncrementalAlterConfigs or the Admin API for cluster configuration",
        )
    if r.resource_type != TOPIC:
        return ErrorCode.invalid_request, "only topic resources can be altered"
    configs = {c.name: c.value for c in r.configs if c.value is not None}
    topics = ctx.services.topics
    try:
        if validate_only:
            topics.check_configs(r.resource_name, configs)
        else:
            await topics.set_configs(r.resource_name, configs)
    except ClusterError as exc:
        return to_error_code(exc), error_message(exc)
    return ErrorCode.none, None
