"""Connection admission: count limits, per-IP overrides, per-IP rate buckets, aggregated logs."""

from __future__ import annotations

import logging

from core.config.cluster_properties import ClusterConfigStore
from core.server.limits import ConnectionLimits, RefusalLog, client_ip, parse_overrides


def limits_with(**values) -> ConnectionLimits:
    config = ClusterConfigStore()
    config.apply(values, [], 1)
    return ConnectionLimits(config.get)


def test_overrides_parse_ipv4_and_ipv6_and_skip_bad_entries(caplog):
    parsed = parse_overrides(("10.0.0.1:5", "[::1]:7", "::2:9", "nonsense", "10.0.0.2:x"))
    assert parsed == {"10.0.0.1": 5, "::1": 7, "::2": 9}
    assert len([r for r in caplog.records if "ignoring" in r.getMessage()]) == 2


def test_total_and_per_ip_limits_with_an_override():
    limits = limits_with(
        kafka_connections_max=5,
        kafka_connections_max_per_ip=2,
        kafka_connections_max_overrides=["10.0.0.9:3"],
    )
    assert [limits.admit("10.0.0.1", 0.0) for _ in range(3)] == [True, True, False]
    assert [limits.admit("10.0.0.9", 0.0) for _ in range(4)] == [True, True, True, False]
    assert not limits.admit("10.0.0.2", 0.0)  # 5 open: the broker-wide limit
    limits.release("10.0.0.1")
    assert limits.admit("10.0.0.2", 0.0)
    assert limits.open_total == 5 and limits.open_from("10.0.0.1") == 1


def test_rate_limit_is_per_ip_with_a_burst_of_one_second_and_refills():
    limits = limits_with(
        kafka_connection_rate_limit=2, kafka_connection_rate_limit_overrides=["10.0.0.9:5"]
    )
    assert [limits.admit("10.0.0.1", 0.0) for _ in range(3)] == [True, True, False]
    assert limits.admit("10.0.0.2", 0.0)  # another IP has its own bucket
    assert [limits.admit("10.0.0.9", 0.0) for _ in range(6)] == [True] * 5 + [False]
    assert limits.admit("10.0.0.1", 0.5)  # one token back after half a second at 2/s
    assert not limits.admit("10.0.0.1", 0.5)
    limits.prune(10.0)
    assert limits._buckets == {}  # refilled buckets are forgotten


def test_refusals_are_logged_once_then_summed_up_per_interval(caplog):
    caplog.set_level(logging.WARNING, logger="ailurus.kafka")
    refusals = RefusalLog(interval_s=10.0)
    for i in range(500):
        refusals.refused("10.0.0.1", f"kafka_connections_max ({i} of 1 open)", 1.0 + i / 100)
    refusals.flush(5.0)  # within the interval: nothing yet
    assert len(caplog.records) == 1
    refusals.flush(11.0)
    assert len(caplog.records) == 2
    assert "refused 499 more Kafka connections" in caplog.records[1].getMessage()
    refusals.flush(22.0)  # a quiet interval: no line, and the next refusal is logged again
    refusals.refused("10.0.0.2", "kafka_connections_max_per_ip (3 of 3)", 23.0)
    assert len(caplog.records) == 3 and "10.0.0.2" in caplog.records[2].getMessage()


def test_client_ip_is_canonical_so_overrides_match():
    assert client_ip(("127.0.0.2", 5555)) == "127.0.0.2"
    assert client_ip(("::ffff:127.0.0.2", 5555, 0, 0)) == "127.0.0.2"
    assert client_ip(("0:0:0:0:0:0:0:1", 5555, 0, 0)) == "::1"
    assert client_ip("/tmp/socket") == "/tmp/socket"
