"""IncrementalAlterConfigs (44): SET/DELETE/APPEND/SUBTRACT on topic configs, and on
cluster configs when the broker resource name is empty (as Redpanda does)."""

from __future__ import annotations

from typing import Any

from core.cluster.config_frontend import ConfigValidationError
from core.cluster.errors import ClusterError, error_message, to_error_code
from core.config.cluster_properties import parse_text
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 44
MIN_VERSION = 0
MAX_VERSION = 1

TOPIC = 2
BROKER = 4
SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3
_OP_NAMES = {APPEND: "APPEND", SUBTRACT: "SUBTRACT"}
# Topic configs of Kafka's LIST type: the only ones APPEND and SUBTRACT apply to.
LIST_CONFIGS = frozenset(
    {
        "cleanup.policy",
        "leader.replication.throttled.replicas",
        "follower.replication.throttled.replicas",
    }
)


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    out = []
    for r in request.resources:
        if r.resource_type == TOPIC:
            code, message = await _alter_topic(ctx, r, request.validate_only)
        elif r.resource_type == BROKER:
            code, message = await _alter_cluster(ctx, r, request.validate_only)
        else:
            code, message = (
                ErrorCode.invalid_request,
                "only topic and broker resources can be altered",
            )
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


async def _alter_topic(ctx: RequestContext, r, validate_only: bool) -> tuple[ErrorCode, str | None]:
    if not ctx.authorized("ALTER_CONFIGS", "TOPIC", r.resource_name):
        return ErrorCode.topic_authorization_failed, None
    topics = ctx.services.topics
    meta = ctx.services.metadata.topic(r.resource_name)
    if meta is None:
        return ErrorCode.unknown_topic_or_partition, f"topic {r.resource_name!r} does not exist"
    set_: dict[str, str] = {}
    delete: list[str] = []
    for c in r.configs:
        op = c.config_operation
        if op == SET:
            set_[c.name] = c.value or ""
        elif op == DELETE:
            delete.append(c.name)
        elif op in (APPEND, SUBTRACT):
            if c.name not in LIST_CONFIGS:
                return (
                    ErrorCode.invalid_config,
                    f"Can't {_OP_NAMES[op]} to key {c.name} because its type is not LIST.",
                )
            set_[c.name] = _apply_list_op(ctx, meta, c.name, op, c.value, set_)
        else:
            return ErrorCode.invalid_request, f"unknown config operation {op}"
    try:
        if validate_only:
            topics.check_configs(r.resource_name, set_)
        else:
            await topics.update_configs(r.resource_name, set_, delete)
    except ClusterError as exc:
        return to_error_code(exc), error_message(exc)
    return ErrorCode.none, None


def _apply_list_op(
    ctx: RequestContext, meta, name: str, op: int, value: str | None, pending: dict
) -> str:
    """APPEND/SUBTRACT start from the effective value, as Kafka does: the earlier operation
    on the same key in this request, else the topic's override, else the default. An empty
    result is kept as an empty list (Kafka stores cleanup.policy="": keep data forever)."""
    if name in pending:
        current = pending[name]
    elif name in meta.configs:
        current = meta.configs[name]
    elif name == "cleanup.policy":
        current = ctx.services.partitions.effective(meta, name) or ""
    else:
        current = ""
    parts = [x.strip() for x in current.split(",") if x.strip()]
    items = [x.strip() for x in (value or "").split(",") if x.strip()]
    if op == APPEND:
        return ",".join(parts + [x for x in items if x not in parts])
    return ",".join(x for x in parts if x not in items)


async def _alter_cluster(
    ctx: RequestContext, r, validate_only: bool
) -> tuple[ErrorCode, str | None]:
    if not ctx.authorized("ALTER_CONFIGS", "CLUSTER", "kafka-cluster"):
        return ErrorCode.cluster_authorization_failed, None
    if r.resource_name:
        return (
            ErrorCode.invalid_config,
            "per-broker configuration is not supported; use an empty broker name",
        )
    frontend = ctx.services.config_frontend
    upsert = {c.name: parse_text(c.name, c.value) for c in r.configs if c.config_operation == SET}
    remove = [c.name for c in r.configs if c.config_operation == DELETE]
    if len(upsert) + len(remove) != len(r.configs):
        return ErrorCode.invalid_config, "only SET and DELETE apply to cluster properties"
    try:
        await frontend.patch(upsert, remove, dry_run=validate_only)
    except ConfigValidationError as exc:
        return ErrorCode.invalid_config, "; ".join(
            f"{k}: {v}" for k, v in sorted(exc.errors.items())
        )
    return ErrorCode.none, None
