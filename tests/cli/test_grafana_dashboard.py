"""rpk generate grafana-dashboard from a real broker's metrics: valid dashboard JSON (it
round-trips through Grafana's generated dashboard model, grafana-foundation-sdk, unchanged),
panels on a 24-column grid without overlap, every query naming a metric the broker exports."""

from __future__ import annotations

import json
import re

import httpx
import pytest

NAMES = ("operations", "topic-metrics", "consumer-offsets", "legacy")


def generate(rpk, kafka_env, *flags: str) -> dict:
    result = rpk(["generate", "grafana-dashboard", *flags], env=kafka_env)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def exported(broker) -> set[str]:
    text = httpx.get(f"{broker.admin_url}/public_metrics", timeout=5).text
    names = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}
    return {n.removesuffix("_total") for n in names}


@pytest.mark.parametrize("name", NAMES)
def test_dashboard_charts_what_the_broker_exports(rpk, kafka_env, broker, name):
    extra = ["--datasource", "prom"] if name == "legacy" else []
    doc = generate(rpk, kafka_env, "--dashboard", name, *extra)
    assert doc["schemaVersion"] >= 36 and doc["title"] and doc["uid"]
    panels = doc["panels"]
    charts = [p for p in panels if p["type"] == "timeseries"]
    assert charts, "no panels"
    families = exported(broker)
    for panel in charts:
        for target in panel["targets"]:
            named = set(
                re.findall(
                    r"\b((?:redpanda|vectorized)_[a-z_]+?)(?:_total|_bucket)?\{", target["expr"]
                )
            )
            assert named and named <= families, (target["expr"], named - families)
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for p in panels:
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24
        mine = {
            (x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])
        }
        assert not mine & cells, f"panel {p['title']} overlaps another"
        cells |= mine


def test_operations_is_the_default_with_a_summary_row(rpk, kafka_env):
    doc = generate(rpk, kafka_env)
    assert doc["uid"] == "redpanda-ops"
    assert doc["panels"][0] == {**doc["panels"][0], "type": "row", "title": "Summary"}
    titles = [p["title"] for p in doc["panels"]]
    assert "Produce throughput" in titles and "Kafka request latency p99" in titles
    assert {v["name"] for v in doc["templating"]["list"]} == {"DS_PROMETHEUS", "node"}


def test_dashboard_round_trips_through_grafanas_dashboard_model(rpk, kafka_env):
    sdk = pytest.importorskip("grafana_foundation_sdk.models.dashboard")
    doc = generate(rpk, kafka_env, "--dashboard", "operations")
    back = json.loads(json.dumps(sdk.Dashboard.from_json(doc).to_json(), default=_json))
    assert _unknown(doc, back) == []


def _json(value):
    return value.to_json() if hasattr(value, "to_json") else str(value)


def _unknown(ours, theirs, path: str = "") -> list[str]:
    """Paths of our fields the model dropped or changed."""
    if isinstance(ours, dict):
        out = []
        for key, value in ours.items():
            if not isinstance(theirs, dict) or key not in theirs:
                out.append(f"{path}/{key}")
            else:
                out += _unknown(value, theirs[key], f"{path}/{key}")
        return out
    if isinstance(ours, list):
        return [
            p for i, (a, b) in enumerate(zip(ours, theirs)) for p in _unknown(a, b, f"{path}[{i}]")
        ]
    return [] if ours == theirs else [f"{path}: {ours!r} != {theirs!r}"]


def test_dashboard_help_and_errors(rpk, kafka_env, broker):
    out = rpk(["generate", "grafana-dashboard", "--dashboard", "help"], env=kafka_env).stdout
    assert out.startswith(
        "You can select one of the following dashboard types:\n\n  - consumer-metrics: "
    )
    assert "  - operations:       Provides an overview" in out
    bad = rpk(["generate", "grafana-dashboard", "--dashboard", "nope"], env=kafka_env)
    assert bad.exit_code == 1
    assert (
        bad.stderr.strip()
        == 'unrecognized dashboard type name: "nope"; use --dashboard help for more info'
    )
    legacy = rpk(["generate", "grafana-dashboard", "--dashboard", "legacy"], env=kafka_env)
    assert legacy.exit_code == 1 and 'required legacy flag "datasource" not set' in legacy.stderr
    endpoint = f"127.0.0.1:{broker.admin_port}/metrics"  # no scheme: http:// is assumed
    doc = generate(rpk, kafka_env, "--metrics-endpoint", endpoint)
    assert any("vectorized_" in json.dumps(p.get("targets", "")) for p in doc["panels"])
    down = rpk(
        ["generate", "grafana-dashboard", "--metrics-endpoint", "127.0.0.1:1/x"], env=kafka_env
    )
    assert down.exit_code == 1 and down.stderr.startswith(
        "unable to generate the grafana dashboard:"
    )
