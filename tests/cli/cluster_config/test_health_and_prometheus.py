"""`rpk cluster health` and `rpk generate prometheus-config`."""

from __future__ import annotations

import yaml

from admin_api.models import HealthOverview
from cli.commands.cluster.health import watch


def test_health_prints_the_overview_section(rpk):
    result = rpk("cluster", "health")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:2] == ["CLUSTER HEALTH OVERVIEW", "======================="]
    rows = {line.split(":")[0]: line.split(":", 1)[1].strip() for line in lines[2:] if ":" in line}
    assert rows["Healthy"] == "true" and rows["Controller ID"] == "0" and rows["All nodes"] == "[0]"
    assert rows["Leaderless partitions (0)"] == "[]"


def test_watch_exits_when_healthy_and_prints_only_changes(capsys):
    sick = HealthOverview(False, ["leaderless_partitions"], 0, [0], [], [], ["kafka/t/0"], 1, [], 0)
    well = HealthOverview(True, [], 0, [0], [], [], [], 0, [], 0)
    answers = iter([sick, sick, well])
    watch(lambda: next(answers), exit_when_healthy=True, interval_s=0.001, max_polls=10)
    out = capsys.readouterr().out
    assert out.count("CLUSTER HEALTH OVERVIEW") == 2
    healthy = [line.split()[1] for line in out.splitlines() if line.startswith("Healthy:")]
    assert healthy == ["false", "true"]


def test_watch_is_bounded_by_poll_count():
    calls = []
    sick = HealthOverview(False, ["nodes_down"], 0, [0, 1], [1], [], [], 0, [], 0)
    watch(lambda: calls.append(1) or sick, exit_when_healthy=True, interval_s=0.001, max_polls=3)
    assert len(calls) == 3


def test_prometheus_config_from_node_addrs_and_profile(rpk):
    out = rpk(
        "generate",
        "prometheus-config",
        "--node-addrs",
        "a:9644,b",
        "--internal-metrics",
        "--labels",
        "public:env=prod",
    ).output
    assert yaml.safe_load(out) == [
        {
            "job_name": "redpanda",
            "static_configs": [{"targets": ["a:9644", "b:9644"], "labels": {"env": "prod"}}],
            "metrics_path": "/public_metrics",
        },
        {
            "job_name": "redpanda-internal",
            "static_configs": [{"targets": ["a:9644", "b:9644"]}],
            "metrics_path": "/metrics",
        },
    ]
    default = yaml.safe_load(rpk("generate", "prometheus-config", "--job-name", "ail").output)
    assert default == [
        {
            "job_name": "ail",
            "static_configs": [{"targets": [rpk.url.removeprefix("http://")]}],
            "metrics_path": "/public_metrics",
        }
    ]
    assert rpk("generate", "prometheus-config", "--labels", "bogus").exit_code == 1
