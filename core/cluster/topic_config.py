"""Topic configuration: the properties a topic may override, validation, and effective values."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from core.cluster.errors import ClusterErrc, ClusterError
from core.model.validation import LONG_MAX, ProducePolicy

# Redpanda's defaults for its log_message_timestamp_{before,after}_max_ms cluster properties
# (Kafka 3.6-3.9 defaults both to Long.MAX_VALUE; Kafka 4.0 and Redpanda bound the future
# side to one hour). Used while the cluster property is not defined.
TIMESTAMP_BEFORE_MAX_MS_DEFAULT = LONG_MAX
TIMESTAMP_AFTER_MAX_MS_DEFAULT = 3_600_000


@dataclass(frozen=True, slots=True)
class TopicProperty:
    name: str
    cluster_default: str | None  # cluster property that supplies the default
    parse: Callable[[str], Any]
    doc: str
    static_default: Any = None


def _int(lo: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if lo is not None and value < lo:
            raise ValueError(f"must be >= {lo}")
        return value

    return parse


def _choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return text

    return parse


def _cleanup(text: str) -> str:
    parts = sorted({p.strip() for p in text.split(",") if p.strip()})
    if any(p not in ("delete", "compact") for p in parts):
        raise ValueError("must be delete, compact, compact,delete or empty")
    return ",".join(reversed(parts))  # empty (Kafka 4.2, KIP-1161): keep data forever


def _bool_text(text: str) -> str:
    if text.lower() not in ("true", "false"):
        raise ValueError("must be true or false")
    return text.lower()


PROPERTIES: dict[str, TopicProperty] = {
    p.name: p
    for p in (
        TopicProperty("cleanup.policy", "log_cleanup_policy", _cleanup, "delete, compact or both"),
        TopicProperty(
            "retention.ms",
            "log_retention_ms",
            _int(-1),
            "time to keep closed segments (-1: forever)",
        ),
        TopicProperty(
            "retention.bytes",
            "retention_bytes",
            _int(-1),
            "bytes to keep per partition (-1: no limit)",
        ),
        TopicProperty("segment.bytes", "log_segment_size", _int(14), "segment roll size"),
        TopicProperty("segment.ms", "log_segment_ms", _int(1), "segment roll age"),
        TopicProperty(
            "max.message.bytes", "kafka_batch_max_bytes", _int(1), "largest batch accepted"
        ),
        TopicProperty(
            "message.timestamp.type",
            "log_message_timestamp_type",
            _choice("CreateTime", "LogAppendTime"),
            "timestamp kept for records",
        ),
        TopicProperty(
            "message.timestamp.before.max.ms",
            "log_message_timestamp_before_max_ms",
            _int(0),
            "oldest CreateTime accepted, in ms before the broker's clock (KIP-937)",
            TIMESTAMP_BEFORE_MAX_MS_DEFAULT,
        ),
        TopicProperty(
            "message.timestamp.after.max.ms",
            "log_message_timestamp_after_max_ms",
            _int(0),
            "newest CreateTime accepted, in ms after the broker's clock (KIP-937)",
            TIMESTAMP_AFTER_MAX_MS_DEFAULT,
        ),
        TopicProperty(
            "message.timestamp.difference.max.ms",
            None,
            _int(0),
            "deprecated: both timestamp bounds where the KIP-937 ones are not set",
            LONG_MAX,
        ),
        TopicProperty(
            "write.caching",
            "write_caching_default",
            _bool_text,
            "acknowledge acks=all before fsync",
        ),
        TopicProperty(
            "flush.ms",
            "raft_replica_max_flush_delay_ms",
            _int(0),
            "max delay before a background flush",
        ),
        TopicProperty(
            "flush.bytes",
            "raft_replica_max_pending_flush_bytes",
            _int(0),
            "unflushed bytes that trigger a flush",
        ),
        TopicProperty(
            "compression.type",
            "log_compression_type",
            _choice("producer", "none", "gzip", "snappy", "lz4", "zstd", "uncompressed"),
            "accepted; batches are stored as the producer compressed them",
            "producer",
        ),
        TopicProperty(
            "delete.retention.ms",
            "tombstone_retention_ms",  # null: Kafka's default below
            _int(-1),
            "tombstone retention for compacted topics",
            86_400_000,
        ),
        TopicProperty("replication.factor", None, _int(1), "replicas per partition (read only)"),
    )
}

# Kafka topic configs accepted and ignored, as Redpanda does (allowlist_topic_noop_confs).
NOOP_PROPERTIES = frozenset(
    {
        "unclean.leader.election.enable",
        "message.downconversion.enable",
        "segment.index.bytes",
        "segment.jitter.ms",
        "min.insync.replicas",
        "min.compaction.lag.ms",
        "min.cleanable.dirty.ratio",
        "message.format.version",
        "max.compaction.lag.ms",
        "leader.replication.throttled.replicas",
        "index.interval.bytes",
        "follower.replication.throttled.replicas",
        "flush.messages",
        "file.delete.delay.ms",
        "preallocate",
    }
)


def validate(configs: Mapping[str, str | None]) -> dict[str, str]:
    """Normalise topic configs; raise ClusterError(invalid_config) naming the bad key."""
    out: dict[str, str] = {}
    for key, value in configs.items():
        if key in NOOP_PROPERTIES:
            continue
        prop = PROPERTIES.get(key)
        if prop is None:
            raise ClusterError(ClusterErrc.invalid_config, f"unknown topic config {key!r}")
        if key == "replication.factor":
            continue
        if value is None:
            continue
        try:
            parsed = prop.parse(str(value))
        except ValueError as exc:
            raise ClusterError(ClusterErrc.invalid_config, f"{key}={value!r}: {exc}") from None
        out[key] = str(parsed)
    return out


def cluster_default(name: str, cluster_get: Callable[[str], Any]) -> str | None:
    """The effective default of a topic property, from the cluster configuration."""
    prop = PROPERTIES[name]
    if prop.cluster_default is None:
        return None if prop.static_default is None else str(prop.static_default)
    try:
        value = cluster_get(prop.cluster_default)
    except KeyError:  # a cluster property this build does not define yet
        value = prop.static_default
    if value is None and prop.static_default is not None:
        return str(prop.static_default)
    if value is None:
        return "-1" if name in ("retention.bytes", "retention.ms") else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def effective(
    name: str, overrides: dict[str, str], cluster_get: Callable[[str], Any]
) -> str | None:
    if name in overrides:
        return overrides[name]
    return cluster_default(name, cluster_get)


def produce_policy(overrides: dict[str, str], cluster_get: Callable[[str], Any]) -> ProducePolicy:
    """What produce validation needs of a topic with these overrides.

    Timestamp bounds as Kafka 3.6+ (KIP-937): message.timestamp.{before,after}.max.ms
    where the topic sets them; else the deprecated message.timestamp.difference.max.ms
    where the topic sets it (it bounds both sides); else the cluster defaults.
    """

    def bound(name: str) -> int:
        if name in overrides:
            return int(overrides[name])
        difference = overrides.get("message.timestamp.difference.max.ms")
        if difference is not None:
            return int(difference)
        return int(cluster_default(name, cluster_get) or LONG_MAX)

    cleanup = effective("cleanup.policy", overrides, cluster_get) or "delete"
    stamp_type = effective("message.timestamp.type", overrides, cluster_get)
    return ProducePolicy(
        compacted="compact" in cleanup.split(","),
        log_append_time=stamp_type == "LogAppendTime",
        timestamp_before_max_ms=bound("message.timestamp.before.max.ms"),
        timestamp_after_max_ms=bound("message.timestamp.after.max.ms"),
    )
