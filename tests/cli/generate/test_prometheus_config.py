"""rpk generate prometheus-config: plain YAML jobs, as rpk prints them."""

from __future__ import annotations

import yaml


def test_internal_job_repeats_targets_without_yaml_aliases(rpk):
    res = rpk(
        ["generate", "prometheus-config", "--node-addrs", "a:9644,b:9644", "--internal-metrics"]
    )
    assert res.exit_code == 0, res.stderr
    assert "&id" not in res.stdout and "*id" not in res.stdout, res.stdout
    jobs = yaml.safe_load(res.stdout)
    assert [j["job_name"] for j in jobs] == ["redpanda", "redpanda-internal"]
    assert [j["metrics_path"] for j in jobs] == ["/public_metrics", "/metrics"]
    assert all(j["static_configs"][0]["targets"] == ["a:9644", "b:9644"] for j in jobs)
