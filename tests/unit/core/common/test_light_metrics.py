"""The light metrics (core.common.light_metrics) render exactly as prometheus_client's own
Counter, Gauge and Histogram given the same calls, and the broker loads prometheus_client
only at the first render."""

from __future__ import annotations

import subprocess
import sys

import prometheus_client as prom

from core.common import light_metrics, metrics_render

BUCKETS = (0.001, 0.01, 0.1, 1.0)


def _exercise(module, registry) -> None:
    requests = module.Counter("t_requests", "Requests", ["api"], registry=registry)
    requests.labels("produce").inc()
    requests.labels("produce").inc(2)
    requests.labels(3).inc()
    module.Counter("t_unused", "Labelled, never used", ["api"], registry=registry)
    module.Counter("t_plain", "Unlabelled", registry=registry).inc(5)
    open_now = module.Gauge("t_open", "Open", registry=registry)
    open_now.inc()
    open_now.inc()
    open_now.dec()
    module.Gauge("t_fn", "From a function", registry=registry).set_function(lambda: 42)
    module.Gauge("t_set", "Set", ["node"], registry=registry).labels("a").set(7.5)
    latency = module.Histogram("t_latency", "Latency", ["api"], buckets=BUCKETS, registry=registry)
    for value in (0.0005, 0.001, 0.05, 3.0):
        latency.labels("fetch").observe(value)
    module.Histogram("t_fsync", "Fsync", buckets=BUCKETS, registry=registry).observe(0.2)


def test_light_metrics_render_as_prometheus_client_metrics():
    prom.disable_created_metrics()
    try:
        reference = prom.CollectorRegistry()
        _exercise(prom, reference)
        expected = prom.generate_latest(reference)
    finally:
        prom.enable_created_metrics()
    light = light_metrics.Registry()
    _exercise(light_metrics, light)
    assert metrics_render.render(light, aggregate=False) == expected


def test_the_broker_modules_load_no_prometheus_client_until_a_render():
    code = (
        "import sys; import core.app, core.server.listener, core.server.connection; "
        "print(any(m.startswith('prometheus_client') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
