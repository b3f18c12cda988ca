"""iotune measurement details, the io-config.yaml loader, and run_checks for `start`."""

from __future__ import annotations

import pytest

from core.config.io_config import IoConfigError, load_io_config
from tests.support.hosts import make_config
from tuners.base import Severity
from tuners.check import fatal_failures, run_checks
from tuners.iotune import measure, write_io_config


def test_buffered_fallback_is_measured_and_noted(tmp_path):
    measured = measure(str(tmp_path), 0.4, try_direct=False)
    assert not measured.direct_io and measured.write_iops > 0 and measured.read_bandwidth > 0
    out = tmp_path / "io-config.yaml"
    write_io_config(str(out), [measured])
    assert "O_DIRECT unsupported" in out.read_text()
    assert load_io_config(str(out))["disks"][0]["mountpoint"] == measured.mountpoint


@pytest.mark.parametrize(
    "body, message",
    [
        ("disks: []", "at least one entry"),
        (
            "disks:\n- {mountpoint: data, read_iops: 1, read_bandwidth: 1, write_iops: 1, write_bandwidth: 1}",
            "absolute",
        ),
        (
            "disks:\n- {mountpoint: /d, read_iops: 0, read_bandwidth: 1, write_iops: 1, write_bandwidth: 1}",
            "read_iops",
        ),
        ("disks: [", "invalid YAML"),
    ],
)
def test_io_config_validation(tmp_path, body, message):
    path = tmp_path / "io-config.yaml"
    path.write_text(body)
    with pytest.raises(IoConfigError, match=message):
        load_io_config(str(path))
    assert load_io_config(str(tmp_path / "missing.yaml")) is None


def test_run_checks_sorted_with_severities(host):
    results = run_checks(make_config(), host.root, host.path("/etc/redpanda/redpanda.yaml"))
    descriptions = [r.description for r in results]
    assert descriptions == sorted(descriptions)
    by_name = {r.description: r for r in results}
    assert (
        by_name["Config file valid"].ok and by_name["Config file valid"].severity is Severity.FATAL
    )
    assert by_name["Data directory filesystem type"].current == "xfs"
    assert by_name["Free memory per CPU [MB]"].current == str(65843648 // 1024 // 8)
    assert not by_name["Disk 'nvme0n1' scheduler"].ok
    assert not by_name["NIC eth0 RPS rx-0"].ok
    assert fatal_failures(results) == []


def test_invalid_config_is_a_fatal_failure(host):
    config = make_config({"coredump_dir": ""})
    config["redpanda"]["kafka_api"] = []
    fatal = fatal_failures(run_checks(config, host.root))
    assert [(r.description, r.current) for r in fatal] == [
        ("Config file valid", "redpanda.kafka_api needs an address and a port")
    ]
