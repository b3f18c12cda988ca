"""DescribeConfigs (32): topic configs with their sources, and the cluster's for a broker."""

from __future__ import annotations

from typing import Any

from core.cluster import topic_config
from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 32
MIN_VERSION = 1
MAX_VERSION = 4

TOPIC = 2
BROKER = 4
BROKER_LOGGER = 8
SOURCE_TOPIC = 1
SOURCE_DYNAMIC_DEFAULT_BROKER = 3
SOURCE_STATIC_BROKER = 4
SOURCE_DEFAULT = 5
TYPE_BOOLEAN, TYPE_STRING, TYPE_INT, TYPE_SHORT, TYPE_LONG, TYPE_LIST = 1, 2, 3, 4, 5, 7

# The Kafka broker config names Redpanda answers (make_broker_configs in Redpanda's
# config_response_utils.cc): name -> (cluster property or None for node config, type).
KAFKA_BROKER_NAMES = {
    "listeners": (None, TYPE_LIST),
    "advertised.listeners": (None, TYPE_LIST),
    "log.segment.bytes": ("log_segment_size", TYPE_LONG),
    "log.retention.bytes": ("retention_bytes", TYPE_LONG),
    "log.retention.ms": ("log_retention_ms", TYPE_LONG),
    "num.partitions": ("default_topic_partitions", TYPE_INT),
    "default.replication.factor": ("default_topic_replications", TYPE_SHORT),
    "log.dirs": (None, TYPE_STRING),
    "auto.create.topics.enable": ("auto_create_topics_enabled", TYPE_BOOLEAN),
}

_TYPES = {
    "cleanup.policy": TYPE_LIST,
    "message.timestamp.type": TYPE_STRING,
    "compression.type": TYPE_STRING,
    "write.caching": TYPE_BOOLEAN,
    "max.message.bytes": TYPE_INT,
    "replication.factor": TYPE_INT,
}


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    results = [_describe(ctx, m, r, request) for r in request.resources]
    return build(ctx.response_class, throttle_time=ZERO, results=tuple(results))


def _describe(ctx: RequestContext, m, resource, request):
    def result(code: ErrorCode, message: str | None, configs=()):
        return build(
            m.DescribeConfigsResult,
            error_code=code,
            error_message=message,
            resource_type=resource.resource_type,
            resource_name=resource.resource_name,
            configs=tuple(configs),
        )

    keys = set(resource.configuration_keys) if resource.configuration_keys else None
    if resource.resource_type == TOPIC:
        if not ctx.authorized("DESCRIBE_CONFIGS", "TOPIC", resource.resource_name):
            return result(ErrorCode.topic_authorization_failed, None)
        meta = ctx.services.metadata.topic(resource.resource_name)
        if meta is None:
            return result(
                ErrorCode.unknown_topic_or_partition, f"topic {resource.resource_name!r} not found"
            )
        return result(ErrorCode.none, None, _topic_entries(ctx, m, meta, keys, request))
    if resource.resource_type == BROKER:
        if not ctx.authorized("DESCRIBE_CONFIGS", "CLUSTER", "kafka-cluster"):
            return result(ErrorCode.cluster_authorization_failed, None)
        name = resource.resource_name
        if name and not name.lstrip("-").isdigit():
            return result(
                ErrorCode.invalid_request, f"Broker id must be an integer but received {name}"
            )
        if name and int(name) != ctx.services.node_id:
            return result(
                ErrorCode.invalid_request,
                f"Unexpected broker id {name} expected {ctx.services.node_id}",
            )
        entries = [*_kafka_broker_entries(ctx, m, keys), *_broker_entries(ctx, m, keys)]
        return result(ErrorCode.none, None, entries)
    return result(ErrorCode.invalid_request, "only topic and broker resources can be described")


def _entry(m, name, value, source, ctype, doc, request):
    return build(
        m.DescribeConfigsResourceResult,
        name=name,
        value=value,
        read_only=False,
        config_source=source,
        is_sensitive=False,
        synonyms=(),
        config_type=ctype,
        documentation=doc if getattr(request, "include_documentation", False) else None,
        is_default=source == SOURCE_DEFAULT,
    )


def _topic_entries(ctx: RequestContext, m, meta, keys, request):
    for name in sorted(topic_config.PROPERTIES):
        if keys is not None and name not in keys:
            continue
        prop = topic_config.PROPERTIES[name]
        value: str | None
        if name == "replication.factor":
            value, source = str(meta.replication_factor), SOURCE_DEFAULT
        elif name in meta.configs:
            value, source = meta.configs[name], SOURCE_TOPIC
        else:
            value, source = ctx.services.partitions.effective(meta, name), SOURCE_DEFAULT
        yield _entry(m, name, value, source, _TYPES.get(name, TYPE_LONG), prop.doc, request)


def _kafka_broker_entries(ctx: RequestContext, m, keys):
    """Kafka's names for the broker settings clients ask about, with the effective values."""
    store = ctx.services.cluster_config
    explicit = store.values(include_defaults=False)
    for name, (prop, ctype) in KAFKA_BROKER_NAMES.items():
        if keys is not None and name not in keys:
            continue
        if prop is None:
            value, source = _node_value(ctx, name), SOURCE_STATIC_BROKER
        else:
            raw = store.get(prop)
            value = "-1" if raw is None else _text(raw)
            source = SOURCE_STATIC_BROKER if prop in explicit else SOURCE_DEFAULT
        yield _entry(m, name, value, source, ctype, None, None)


def _node_value(ctx: RequestContext, name: str) -> str:
    if name == "log.dirs":
        return str(ctx.services.data_dir)
    advertised = ctx.services.advertised_kafka
    if name == "advertised.listeners":
        named = ctx.services.advertised_listeners or {"plain": advertised}
        return ",".join(f"{n or 'plain'}://{h}:{p}" for n, (h, p) in named.items())
    host, port = ctx.services.kafka_api or advertised
    return f"plain://{host}:{port}"


def _broker_entries(ctx: RequestContext, m, keys):
    store = ctx.services.cluster_config
    explicit = store.values(include_defaults=False)
    for name, value in store.values(include_defaults=True).items():
        if keys is not None and name not in keys:
            continue
        text = None if value is None else _text(value)
        source = SOURCE_DYNAMIC_DEFAULT_BROKER if name in explicit else SOURCE_DEFAULT
        yield _entry(m, name, text, source, TYPE_STRING, None, None)


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
