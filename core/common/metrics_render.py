"""Rendering the broker's metrics as Prometheus text: the one module that imports
prometheus_client, loaded by the first scrape (core.common.metrics.render_internal).

Each light metric (core.common.light_metrics) becomes the family prometheus_client's own
Counter, Gauge or Histogram would expose (counters' samples end in `_total`, histograms have
cumulative `_bucket`s up to +Inf, `_count` and `_sum`; no `_created` samples, as Redpanda);
the per-partition and per-group gauges are computed from `metrics.snapshot()` at each scrape.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, disable_created_metrics, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.utils import floatToGoString

from core.common import light_metrics, metrics

disable_created_metrics()  # Redpanda exposes no *_created samples (for prometheus_client's own metrics)


def _gauge(
    name: str, doc: str, labels: list[str], rows: Iterable[tuple[list[str], float]]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for values, value in rows:
        family.add_metric(values, value)
    return family


def _partition_key(p: metrics.PartitionSample) -> list[str]:
    return [p.namespace, p.topic, str(p.partition)]


class _InternalScrape:
    def collect(self) -> Iterator[Metric]:
        snap = metrics.snapshot()
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
        snap = metrics.snapshot()
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


def _public_group_families(lags: list[metrics.GroupLagSample]) -> Iterator[Metric]:
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
    def __init__(self, registry: Any) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        return (_without_partition(family) for family in self._registry.collect())


def _families(metric: light_metrics._Metric) -> Metric:
    labels = list(metric.labelnames)
    if metric.kind == "histogram":
        family: Any = HistogramMetricFamily(metric.name, metric.documentation, labels=labels)
        for values, child in metric.children.items():
            cumulative, buckets = 0, []
            for bound, count in zip(child.bounds, child.counts, strict=True):
                cumulative += count
                buckets.append((floatToGoString(bound), cumulative))
            family.add_metric(list(values), buckets, child.sum)
        return family
    kind = CounterMetricFamily if metric.kind == "counter" else GaugeMetricFamily
    family = kind(metric.name, metric.documentation, labels=labels)
    for values, child in metric.children.items():
        family.add_metric(list(values), child.value)
    return family


SCRAPES: dict[str, Any] = {
    metrics.INTERNAL_SCRAPE: _InternalScrape(),
    metrics.PUBLIC_SCRAPE: _PublicScrape(),
}


class _Entries:
    """A light registry's entries as one prometheus_client collector, in their order."""

    def __init__(self, registry: light_metrics.Registry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        for entry in list(self._registry.entries):
            if isinstance(entry, light_metrics._Metric):
                yield _families(entry)
            elif isinstance(entry, str):
                yield from SCRAPES[entry].collect()
            else:  # a prometheus_client metric or collector registered into it
                yield from entry.collect()


def render(registry: light_metrics.Registry, aggregate: bool) -> bytes:
    view = CollectorRegistry(auto_describe=False)
    view.register(_Aggregated(_Entries(registry)) if aggregate else _Entries(registry))
    return generate_latest(view)
