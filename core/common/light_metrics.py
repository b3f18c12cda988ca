"""Counters, gauges and histograms that cost no prometheus_client import.

The broker records metrics from its first request, but prometheus_client (~0.1-0.3 s and
several MB to import) is needed only to render them, at the first scrape of /metrics or
/public_metrics (core.common.metrics_render). These classes take prometheus_client's
constructor arguments (name, documentation, labelnames, registry, buckets) and the calls the
broker makes (labels, inc, dec, set, set_function, observe); `Registry` keeps them in registration order,
with the scrape-time collectors and any prometheus_client metric registered into it.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Any

INF = float("inf")


class Registry:
    """What one endpoint renders, in registration order: metrics of this module, keys of
    scrape-time collectors (core.common.metrics_render), or prometheus_client collectors."""

    def __init__(self) -> None:
        self.entries: list[Any] = []

    def register(self, entry: Any) -> None:
        self.entries.append(entry)


class _Value:
    __slots__ = ("_value", "function")

    def __init__(self) -> None:
        self._value = 0.0
        self.function: Callable[[], float] | None = None  # read at scrape time instead

    @property
    def value(self) -> float:
        return float(self.function()) if self.function is not None else self._value

    def inc(self, amount: float = 1.0) -> None:
        self._value += amount

    def dec(self, amount: float = 1.0) -> None:
        self._value -= amount

    def set(self, value: float) -> None:
        self._value = float(value)


class _Buckets:
    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * len(bounds)  # per bucket, not cumulative
        self.sum = 0.0

    def observe(self, amount: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, amount)] += 1
        self.sum += amount


class _Metric:
    kind = ""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        registry: Registry | None = None,
        buckets: Sequence[float] | None = None,
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self.children: dict[tuple[str, ...], Any] = {}
        self._bounds = tuple(sorted(buckets or ())) + (INF,)
        if not self.labelnames:
            self.children[()] = self._child()
        if registry is not None:
            registry.register(self)

    def _child(self) -> Any:
        return _Value()

    def labels(self, *values: object) -> Any:
        assert len(values) == len(self.labelnames), (self.name, values)
        key = tuple(str(v) for v in values)
        child = self.children.get(key)
        if child is None:
            child = self.children[key] = self._child()
        return child

    def _only(self) -> Any:
        return self.children[()]


class Counter(_Metric):
    kind = "counter"

    def inc(self, amount: float = 1.0) -> None:
        self._only().inc(amount)


class Gauge(_Metric):
    kind = "gauge"

    def inc(self, amount: float = 1.0) -> None:
        self._only().inc(amount)

    def dec(self, amount: float = 1.0) -> None:
        self._only().dec(amount)

    def set(self, value: float) -> None:
        self._only().set(value)

    def set_function(self, function: Callable[[], float]) -> None:
        """The gauge's value is `function()` at each scrape."""
        self._only().function = function


class Histogram(_Metric):
    kind = "histogram"

    def _child(self) -> _Buckets:
        return _Buckets(self._bounds)

    def observe(self, amount: float) -> None:
        self._only().observe(amount)
