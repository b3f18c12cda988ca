"""Broker metrics on private prometheus-client registries.

Two registries mirror Redpanda's endpoints: `REGISTRY` (internal, `vectorized_` prefix, served on
/metrics) and `PUBLIC_REGISTRY` (`redpanda_` prefix, /public_metrics). The Kafka server calls the
`record_*`/`add_*` functions; per-partition and per-group gauges are computed at scrape time from
callbacks registered with `register_collector`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric

log = logging.getLogger(__name__)
disable_created_metrics()  # Redpanda exposes no *_created samples

REGISTRY = CollectorRegistry(auto_describe=True)
PUBLIC_REGISTRY = CollectorRegistry(auto_describe=True)
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


def _snapshot() -> ScrapeSnapshot:
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


def _gauge(
    name: str, doc: str, labels: list[str], rows: Iterable[tuple[list[str], float]]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for values, value in rows:
        family.add_metric(values, value)
    return family


def _partition_key(p: PartitionSample) -> list[str]:
    return [p.namespace, p.topic, str(p.partition)]


class _InternalScrape:
    def collect(self) -> Iterator[Metric]:
        snap = _snapshot()
        labels = ["namespace", "topic", "partition"]
        parts = snap.partitions
        yield _gauge(
            "vectorized_cluster_partition_leader",
            "1 if this replica leads the partition",
            labels,
            ((_partition_key(p), float(p.is_leader)) for p in parts),
        )
        yield _gauge(
            "vectorized_cluster_partition_high_watermark",
            "Partition high watermark",
            labels,
            ((_partition_key(p), float(p.high_watermark)) for p in parts),
        )
        yield _gauge(
            "vectorized_storage_log_partition_size_bytes",
            "Bytes on disk per partition",
            labels,
            ((_partition_key(p), float(p.size_bytes)) for p in parts),
        )
        yield _gauge(
            "vectorized_kafka_group_offset",
            "Committed offset per group partition",
            ["group", "topic", "partition"],
            (
                ([g.group, g.topic, str(g.partition)], float(g.committed_offset))
                for g in snap.group_lags
            ),
        )
        yield _gauge(
            "vectorized_kafka_group_lag",
            "Consumer lag per group partition",
            ["group", "topic", "partition"],
            (([g.group, g.topic, str(g.partition)], float(g.lag)) for g in snap.group_lags),
        )


class _PublicScrape:
    def collect(self) -> Iterator[Metric]:
        snap = _snapshot()
        leaders = [p for p in snap.partitions if p.is_leader]
        yield _gauge(
            "redpanda_cluster_partitions",
            "Partitions led by this broker",
            [],
            [([], float(len(leaders)))],
        )
        per_topic: dict[tuple[str, str], int] = {}
        for p in leaders:
            per_topic[(p.namespace, p.topic)] = per_topic.get((p.namespace, p.topic), 0) + 1
        yield _gauge(
            "redpanda_kafka_partitions",
            "Partitions per topic",
            ["redpanda_namespace", "redpanda_topic"],
            (([ns, t], float(n)) for (ns, t), n in sorted(per_topic.items())),
        )
        labels = ["redpanda_namespace", "redpanda_topic", "redpanda_partition"]
        yield _gauge(
            "redpanda_kafka_max_offset",
            "High watermark per partition",
            labels,
            ((_partition_key(p), float(p.high_watermark)) for p in leaders),
        )
        yield _gauge(
            "redpanda_kafka_under_replicated_replicas",
            "Under-replicated replicas per partition",
            labels,
            ((_partition_key(p), float(p.under_replicated)) for p in leaders),
        )
        yield _gauge(
            "redpanda_storage_disk_used_bytes",
            "Bytes on disk used by partition logs",
            [],
            [([], float(sum(p.size_bytes for p in snap.partitions)))],
        )
        yield from _public_group_families(snap.group_lags)


def _public_group_families(lags: list[GroupLagSample]) -> Iterator[Metric]:
    yield _gauge(
        "redpanda_kafka_consumer_group_committed_offset",
        "Committed offset per group partition",
        ["redpanda_group", "redpanda_topic", "redpanda_partition"],
        (([g.group, g.topic, str(g.partition)], float(g.committed_offset)) for g in lags),
    )
    by_group: dict[str, list[int]] = {}
    for g in lags:
        by_group.setdefault(g.group, []).append(g.lag)
    yield _gauge(
        "redpanda_kafka_consumer_group_lag_max",
        "Largest partition lag per group",
        ["redpanda_group"],
        (([name], float(max(v))) for name, v in sorted(by_group.items())),
    )
    yield _gauge(
        "redpanda_kafka_consumer_group_lag_sum",
        "Sum of partition lags per group",
        ["redpanda_group"],
        (([name], float(sum(v))) for name, v in sorted(by_group.items())),
    )


REGISTRY.register(_InternalScrape())
PUBLIC_REGISTRY.register(_PublicScrape())
PARTITION_LABELS = ("partition", "redpanda_partition")


def _without_partition(family: Metric) -> Metric:
    """`family` with its partition label summed away (samples alike in every other label add up)."""
    if not any(label in s.labels for s in family.samples for label in PARTITION_LABELS):
        return family
    sums: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for s in family.samples:
        labels = tuple(sorted((k, v) for k, v in s.labels.items() if k not in PARTITION_LABELS))
        sums[(s.name, labels)] = sums.get((s.name, labels), 0.0) + s.value
    merged = Metric(family.name, family.documentation, family.type, family.unit)
    for (name, labels), value in sums.items():
        merged.add_sample(name, dict(labels), value)
    return merged


class _Aggregated:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        return (_without_partition(family) for family in self._registry.collect())


def _render(registry: CollectorRegistry, aggregate: bool) -> bytes:
    if not aggregate:
        return generate_latest(registry)
    view = CollectorRegistry(auto_describe=False)
    view.register(_Aggregated(registry))
    return generate_latest(view)


def render_internal(aggregate: bool = False) -> bytes:
    """Prometheus text for /metrics; `aggregate` (aggregate_metrics) drops the partition label."""
    return _render(REGISTRY, aggregate)


def render_public(aggregate: bool = False) -> bytes:
    """Prometheus text for /public_metrics; `aggregate` (aggregate_metrics) drops the partition label."""
    return _render(PUBLIC_REGISTRY, aggregate)
