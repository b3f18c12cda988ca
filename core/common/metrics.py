"""Broker metrics, recorded without prometheus_client.

Two registries mirror Redpanda's endpoints: `REGISTRY` (internal, `vectorized_` prefix, served on
/metrics) and `PUBLIC_REGISTRY` (`redpanda_` prefix, /public_metrics). The Kafka server calls the
`record_*`/`add_*` functions; per-partition and per-group gauges are computed at scrape time from
callbacks registered with `register_collector`. The metrics are core.common.light_metrics;
prometheus_client is imported by the first render (core.common.metrics_render).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from core.common.light_metrics import Counter, Gauge, Histogram, Registry

log = logging.getLogger(__name__)

REGISTRY = Registry()
PUBLIC_REGISTRY = Registry()
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
KAFKA_NAMESPACE = "kafka"

_LATENCY_BUCKETS_S = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
_FSYNC_BUCKETS_S = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)

# Internal (/metrics).
_handler_latency = Histogram(
    "vectorized_kafka_handler_latency_seconds",
    "Kafka request handling latency",
    ["handler"],
    buckets=_LATENCY_BUCKETS_S,
    registry=REGISTRY,
)
_handler_requests = Counter(
    "vectorized_kafka_handler_requests", "Kafka requests handled", ["handler"], registry=REGISTRY
)
_handler_errors = Counter(
    "vectorized_kafka_handler_errors",
    "Kafka responses with a non-zero error code",
    ["handler", "error_code"],
    registry=REGISTRY,
)
_bytes_produced = Counter(
    "vectorized_cluster_partition_bytes_produced",
    "Bytes produced",
    ["namespace", "topic"],
    registry=REGISTRY,
)
_bytes_fetched = Counter(
    "vectorized_cluster_partition_bytes_fetched",
    "Bytes fetched",
    ["namespace", "topic"],
    registry=REGISTRY,
)
_fsync_latency = Histogram(
    "vectorized_storage_log_fsync_latency_seconds",
    "Latency of log fsync calls",
    buckets=_FSYNC_BUCKETS_S,
    registry=REGISTRY,
)
_active_connections = Gauge(
    "vectorized_kafka_rpc_active_connections", "Open Kafka connections", registry=REGISTRY
)
_connects = Counter(
    "vectorized_kafka_rpc_connects", "Kafka connections accepted", registry=REGISTRY
)

# Public (/public_metrics).
_pub_latency = Histogram(
    "redpanda_kafka_request_latency_seconds",
    "Kafka request latency",
    ["redpanda_request"],
    buckets=_LATENCY_BUCKETS_S,
    registry=PUBLIC_REGISTRY,
)
_pub_errors = Counter(
    "redpanda_kafka_request_errors",
    "Kafka responses with a non-zero error code",
    ["redpanda_request"],
    registry=PUBLIC_REGISTRY,
)
_pub_bytes = Counter(
    "redpanda_kafka_request_bytes",
    "Bytes produced or fetched",
    ["redpanda_namespace", "redpanda_topic", "redpanda_request"],
    registry=PUBLIC_REGISTRY,
)
_pub_connections = Gauge(
    "redpanda_rpc_active_connections",
    "Open client connections",
    ["redpanda_server"],
    registry=PUBLIC_REGISTRY,
)


def record_request(api: str, error_code: int, latency_s: float) -> None:
    """One handled Kafka request; `api` is the API name (e.g. "produce"), error_code its top-level code."""
    _handler_latency.labels(api).observe(latency_s)
    _handler_requests.labels(api).inc()
    _pub_latency.labels(api).observe(latency_s)
    if error_code != 0:
        _handler_errors.labels(api, str(error_code)).inc()
        _pub_errors.labels(api).inc()


def add_bytes_produced(topic: str, n: int) -> None:
    _bytes_produced.labels(KAFKA_NAMESPACE, topic).inc(n)
    _pub_bytes.labels(KAFKA_NAMESPACE, topic, "produce").inc(n)


def add_bytes_fetched(topic: str, n: int) -> None:
    _bytes_fetched.labels(KAFKA_NAMESPACE, topic).inc(n)
    _pub_bytes.labels(KAFKA_NAMESPACE, topic, "consume").inc(n)


def observe_fsync(latency_s: float) -> None:
    _fsync_latency.observe(latency_s)


def connection_opened() -> None:
    _active_connections.inc()
    _connects.inc()
    _pub_connections.labels("kafka").inc()


def connection_closed() -> None:
    _active_connections.dec()
    _pub_connections.labels("kafka").dec()


@dataclass(frozen=True)
class PartitionSample:
    """One partition replica hosted on this broker, as seen at scrape time."""

    topic: str
    partition: int
    is_leader: bool
    size_bytes: int
    high_watermark: int
    under_replicated: bool = False
    namespace: str = KAFKA_NAMESPACE


@dataclass(frozen=True)
class GroupLagSample:
    """A consumer group's committed offset and lag on one partition."""

    group: str
    topic: str
    partition: int
    committed_offset: int
    lag: int


@dataclass
class ScrapeSnapshot:
    partitions: list[PartitionSample] = field(default_factory=list)
    group_lags: list[GroupLagSample] = field(default_factory=list)


SnapshotFn = Callable[[], ScrapeSnapshot]
_snapshot_fns: list[SnapshotFn] = []


def register_collector(fn: SnapshotFn) -> Callable[[], None]:
    """Add a scrape-time source; returns a function that removes it again."""
    _snapshot_fns.append(fn)
    return lambda: _snapshot_fns.remove(fn) if fn in _snapshot_fns else None


def snapshot() -> ScrapeSnapshot:
    """Every registered source's samples, merged (a broken source is logged and left out)."""
    merged = ScrapeSnapshot()
    for fn in list(_snapshot_fns):
        try:
            part = fn()
        except Exception:  # a broken source must not take the whole scrape down
            log.exception("metrics collector %r failed", fn)
            continue
        merged.partitions.extend(part.partitions)
        merged.group_lags.extend(part.group_lags)
    return merged


# Where the scrape-time families come, among the metrics above (core.common.metrics_render)
INTERNAL_SCRAPE = "internal_scrape"
PUBLIC_SCRAPE = "public_scrape"
REGISTRY.register(INTERNAL_SCRAPE)
PUBLIC_REGISTRY.register(PUBLIC_SCRAPE)


def render_internal(aggregate: bool = False) -> bytes:
    """Prometheus text for /metrics; `aggregate` (aggregate_metrics) drops the partition label."""
    from core.common.metrics_render import render

    return render(REGISTRY, aggregate)


def render_public(aggregate: bool = False) -> bytes:
    """Prometheus text for /public_metrics; `aggregate` (aggregate_metrics) drops the partition label."""
    from core.common.metrics_render import render

    return render(PUBLIC_REGISTRY, aggregate)
