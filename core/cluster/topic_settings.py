"""What a topic's configuration means for each of its replicas, resolved once per topic.

`resolve` reads the topic's overrides over the cluster defaults (Kafka's defaults where the
cluster leaves a value unset) into a TopicSettings, which `apply` sets on a replica. A start
over many partitions resolves each topic once (a Resolver's batch), not twice per partition.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from core.cluster import topic_config
from core.cluster.topic_table import TopicMeta
from core.storage.log import LogConfig

U32_MAX = 2**32 - 1  # a segment's positions are u32 in its index

# What applies when neither the topic nor the cluster sets a value (a nullable cluster
# default left unset): Kafka's defaults, so DescribeConfigs never reports null.
KAFKA_FALLBACKS = {
    "segment.ms": "604800000",  # Kafka's log.roll.ms default: 7 days
    "flush.bytes": str(256 * 1024),
    "flush.ms": "100",
    "max.message.bytes": str(1024 * 1024),
    "segment.bytes": str(128 * 1024 * 1024),
    "cleanup.policy": "delete",
    "message.timestamp.type": "CreateTime",
    "write.caching": "false",
    "retention.ms": "-1",
    "retention.bytes": "-1",
}


@dataclass(frozen=True, slots=True)
class TopicSettings:
    log_config: LogConfig
    max_message_bytes: int
    log_append_time: bool
    produce_policy: object
    transactional_id_expiration_ms: int
    max_concurrent_producer_ids: int
    write_caching: bool
    flush_delay_ms: int
    flush_bytes_max: int


def effective(meta: TopicMeta, name: str, cluster_get) -> str | None:
    """The value that applies to the topic: its override, the cluster default, or Kafka's
    default when the cluster leaves it unset (what DescribeConfigs reports)."""
    value = topic_config.effective(name, meta.configs, cluster_get)
    return KAFKA_FALLBACKS.get(name) if value is None else value


def resolve(meta: TopicMeta, cluster_get) -> TopicSettings:
    def value(name: str) -> str | None:
        return effective(meta, name, cluster_get)

    return TopicSettings(
        log_config=log_config(meta, cluster_get),
        max_message_bytes=int(value("max.message.bytes") or 1024 * 1024),
        log_append_time=value("message.timestamp.type") == "LogAppendTime",
        produce_policy=topic_config.produce_policy(meta.configs, cluster_get),
        transactional_id_expiration_ms=int(cluster_get("transactional_id_expiration_ms")),
        max_concurrent_producer_ids=int(cluster_get("max_concurrent_producer_ids")),
        write_caching=value("write.caching") == "true",
        flush_delay_ms=int(value("flush.ms") or 100),
        flush_bytes_max=int(value("flush.bytes") or 256 * 1024),
    )


def apply(partition, settings: TopicSettings) -> None:
    """Set the resolved settings on one replica (its log, produce checks, flush policy)."""
    partition.log.update_config(settings.log_config)
    partition.max_message_bytes = settings.max_message_bytes
    partition.log_append_time = settings.log_append_time
    partition.produce_policy = settings.produce_policy
    partition.producers.configure(  # producer expiry (core.cluster.producer_table)
        settings.transactional_id_expiration_ms, settings.max_concurrent_producer_ids
    )
    consensus = partition.consensus
    consensus.write_caching = settings.write_caching
    consensus.flush_delay_ms = settings.flush_delay_ms
    consensus.flush_bytes_max = settings.flush_bytes_max


def log_config(meta: TopicMeta, cluster_get) -> LogConfig:
    def num(name: str) -> int | None:
        value = effective(meta, name, cluster_get)
        if value is None or value == "":
            return None
        n = int(value)
        return None if n < 0 else n

    retention_ms, retention_bytes = num("retention.ms"), num("retention.bytes")
    if effective(meta, "cleanup.policy", cluster_get) == "":
        retention_ms = retention_bytes = None  # Kafka: an empty policy keeps data forever
    return LogConfig(
        segment_bytes=_clamp(
            num("segment.bytes") or 128 * 1024 * 1024,
            cluster_get,
            "log_segment_size_min",
            "log_segment_size_max",
            upper=U32_MAX,
        ),
        segment_ms=_clamp(
            num("segment.ms") or 604_800_000,
            cluster_get,
            "log_segment_ms_min",
            "log_segment_ms_max",
        ),
        retention_ms=retention_ms,
        retention_bytes=retention_bytes,
    )


def _clamp(value: int, cluster_get, min_name: str, max_name: str, upper: int | None = None) -> int:
    """Redpanda's segment bounds: the log rolls at the clamped value, while the topic keeps
    (and DescribeConfigs reports) the value the user set."""
    lo, hi = cluster_get(min_name), cluster_get(max_name)
    if hi is not None:
        value = min(value, int(hi))
    if lo is not None:
        value = max(value, int(lo))
    return min(value, upper) if upper is not None else value


class Resolver:
    """Resolves topics' settings against the live cluster config; within a `batch()` block
    each topic's are resolved once (opening or reconfiguring many replicas at a time)."""

    def __init__(self, get: Callable[[str], Any]) -> None:
        self._get = get
        self._cache: dict[str, TopicSettings] | None = None

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        if self._cache is not None:  # an outer block's
            yield
            return
        self._cache = {}
        try:
            yield
        finally:
            self._cache = None

    def settings(self, meta: TopicMeta) -> TopicSettings:
        cache = self._cache
        settings = None if cache is None else cache.get(meta.name)
        if settings is None:
            settings = resolve(meta, self._get)
            if cache is not None:
                cache[meta.name] = settings
        return settings
