"""A Grafana dashboard built from the metric families a broker really exports: one time series
panel per family (rate for counters, the 95th percentile for histograms, the value for gauges),
grouped into rows by subsystem, a summary row first, a datasource and a node variable.

`build(families, title, uid, keep)` returns the dashboard as a dict (Grafana's dashboard JSON,
schemaVersion 39); `keep(family)` selects the families a named dashboard charts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

SCHEMA_VERSION = 39
PANEL_H, PANEL_W, ROW_W = 8, 8, 24
DATASOURCE = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
NODE = 'instance=~"$node"'
# subsystem of a metric name (after redpanda_/vectorized_): the row it goes in
GROUPS = ("kafka", "cluster", "storage", "raft", "rpc", "memory", "io", "application", "scheduler")
SUMMARY = (
    ("Produce throughput", "redpanda_kafka_request_bytes", 'request="produce"', "counter"),
    ("Fetch throughput", "redpanda_kafka_request_bytes", 'request="consume"', "counter"),
    ("Kafka request latency p99", "redpanda_kafka_request_latency_seconds", "", "histogram"),
    ("Partitions", "redpanda_kafka_partitions", "", "gauge"),
    ("Consumer group lag", "redpanda_kafka_consumer_group_lag_sum", "", "gauge"),
    ("Disk used", "redpanda_storage_disk_used_bytes", "", "gauge"),
)


@dataclass
class Family:
    """A metric family as exported: its name (counters without _total), type, help, labels."""

    name: str
    type: str
    help: str = ""
    labels: set[str] = field(default_factory=set)


def families_from_text(text: str) -> list[Family]:
    from prometheus_client.parser import text_string_to_metric_families

    out = []
    for fam in text_string_to_metric_families(text):
        labels = {k for s in fam.samples for k in s.labels if k not in ("le", "quantile")}
        out.append(Family(fam.name, fam.type, fam.documentation, labels))
    return out


def group_of(name: str) -> str:
    rest = name.split("_", 1)[1] if name.startswith(("redpanda_", "vectorized_")) else name
    for group in GROUPS:
        if rest.startswith(group):
            return group
    return "others"


def unit_of(f: Family) -> str:
    if f.name.endswith("_seconds") or "latency" in f.name:
        return "s"
    if "bytes" in f.name:
        return "Bps" if f.type == "counter" else "bytes"
    return "reqps" if f.type == "counter" else "short"


def _by(f: Family) -> str:
    kept = sorted(f.labels - {"shard"})
    return ", ".join(["instance", *[k for k in kept if k != "instance"]])


def expression(f: Family, selector: str = "", quantile: float = 0.95) -> str:
    inner = ", ".join(s for s in (NODE, selector) if s)
    by = _by(f)
    if f.type == "counter":
        return f"sum by ({by}) (rate({f.name}_total{{{inner}}}[$__rate_interval]))"
    if f.type == "histogram":
        return (
            f"histogram_quantile({quantile}, sum by (le, {by}) "
            f"(rate({f.name}_bucket{{{inner}}}[$__rate_interval])))"
        )
    return f"sum by ({by}) ({f.name}{{{inner}}})"


def legend(f: Family) -> str:
    return " ".join("{{" + k + "}}" for k in _by(f).split(", "))


class Layout:
    """Panel ids and grid positions, row after row."""

    def __init__(self) -> None:
        self.panels: list[dict] = []
        self.y = 0
        self.x = 0
        self.next_id = 1

    def row(self, title: str) -> None:
        if self.x:
            self.y += PANEL_H
            self.x = 0
        self.panels.append(
            {
                "type": "row",
                "id": self._id(),
                "title": title,
                "collapsed": False,
                "panels": [],
                "gridPos": {"h": 1, "w": ROW_W, "x": 0, "y": self.y},
            }
        )
        self.y += 1

    def add(self, title: str, description: str, expr: str, legend_: str, unit: str) -> None:
        if self.x + PANEL_W > ROW_W:
            self.y += PANEL_H
            self.x = 0
        self.panels.append(
            {
                "type": "timeseries",
                "id": self._id(),
                "title": title,
                "description": description,
                "datasource": DATASOURCE,
                "gridPos": {"h": PANEL_H, "w": PANEL_W, "x": self.x, "y": self.y},
                "targets": [
                    {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend_, "refId": "A"}
                ],
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "options": {
                    "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                    "tooltip": {"mode": "multi", "sort": "desc"},
                },
            }
        )
        self.x += PANEL_W

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


def _summary(layout: Layout, by_name: dict[str, Family]) -> None:
    present = [s for s in SUMMARY if s[1] in by_name]
    if not present:
        return
    layout.row("Summary")
    for title, name, selector, kind in present:
        f = by_name[name]
        q = 0.99 if kind == "histogram" else 0.95
        layout.add(title, f.help, expression(f, selector, q), legend(f), unit_of(f))


def build(
    families: Iterable[Family],
    title: str = "Redpanda",
    uid: str = "redpanda-ops",
    keep: Callable[[Family], bool] = lambda f: True,
    datasource: str = "",
) -> dict:
    chosen = sorted((f for f in families if f.type != "unknown" and keep(f)), key=lambda f: f.name)
    layout = Layout()
    if uid == "redpanda-ops":
        _summary(layout, {f.name: f for f in chosen})
    rows: dict[str, list[Family]] = {}
    for f in chosen:
        rows.setdefault(group_of(f.name), []).append(f)
    for group in sorted(rows):
        layout.row(group)
        for f in rows[group]:
            layout.add(f.name, f.help, expression(f), legend(f), unit_of(f))
    return {
        "title": title,
        "uid": uid,
        "tags": ["redpanda"],
        "editable": True,
        "graphTooltip": 1,
        "refresh": "1m",
        "schemaVersion": SCHEMA_VERSION,
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {"refresh_intervals": ["30s", "1m", "5m", "15m", "30m", "1h", "2h", "1d"]},
        "timezone": "utc",
        "templating": {"list": _variables(datasource)},
        "annotations": {"list": []},
        "links": [],
        "panels": layout.panels,
    }


def _variables(datasource: str) -> list[dict]:
    current = {"text": datasource, "value": datasource} if datasource else {}
    return [
        {
            "name": "DS_PROMETHEUS",
            "label": "Datasource",
            "type": "datasource",
            "query": "prometheus",
            "current": current,
            "hide": 0,
            "refresh": 1,
            "options": [],
        },
        {
            "name": "node",
            "label": "Node",
            "type": "query",
            "datasource": DATASOURCE,
            "query": {"query": "label_values(instance)", "refId": "node"},
            "includeAll": True,
            "allValue": ".*",
            "multi": True,
            "current": {"text": "All", "value": "$__all"},
            "hide": 0,
            "refresh": 2,
            "options": [],
        },
    ]
