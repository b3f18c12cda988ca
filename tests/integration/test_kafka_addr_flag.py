"""`ailurus --kafka-addr` and `--advertise-kafka-addr` take Redpanda's list form,
`[name://]host:port[,...]`: each entry is a listener, named entries pair with the advertised
entry of the same name, and DescribeConfigs' `advertised.listeners` names every listener."""

from __future__ import annotations

import argparse

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource

from core.__main__ import build_parser, load_config
from core.config.node import NodeConfigError
from core.testing.metadata import fetch_metadata
from core.testing.ports import reserve_ports
from core.testing.process import BrokerProcess


def _config(*argv: str):
    args: argparse.Namespace = build_parser().parse_args(["--data-dir", "/tmp/x", *argv])
    return load_config(args)


def test_one_unnamed_address_is_the_single_listener():
    node = _config("--kafka-addr", "0.0.0.0:19092")
    assert [(x.name, x.address.host, x.address.port) for x in node.kafka_listeners] == [
        ("", "0.0.0.0", 19092)
    ]


def test_named_list_makes_a_listener_per_entry_advertised_by_name():
    node = _config(
        "--kafka-addr",
        "internal://0.0.0.0:9092,external://0.0.0.0:19092",
        "--advertise-kafka-addr",
        "external://kafka.example:29092,internal://rp-0:9092",
    )
    got = [
        (x.name, x.address.port, x.advertised.host, x.advertised.port) for x in node.kafka_listeners
    ]
    assert got == [
        ("internal", 9092, "rp-0", 9092),
        ("external", 19092, "kafka.example", 29092),
    ]


def test_two_entries_with_one_name_are_refused():
    with pytest.raises(NodeConfigError, match="two listeners named 'a'"):
        _config("--kafka-addr", "a://127.0.0.1:1,a://127.0.0.1:2")


def test_a_bad_port_in_the_list_names_the_flag():
    with pytest.raises(NodeConfigError, match="kafka_addr: port 'x' is not a number"):
        _config("--kafka-addr", "a://127.0.0.1:1,b://127.0.0.1:x")


def test_broker_serves_every_listed_address(tmp_path):
    first, second = reserve_ports(2)
    broker = BrokerProcess(
        tmp_path / "b",
        "--kafka-addr",
        f"internal://127.0.0.1:{first},external://127.0.0.1:{second}",
        "--advertise-kafka-addr",
        f"internal://127.0.0.1:{first},external://localhost:{second}",
    )
    with broker.start():
        assert fetch_metadata(first, []).brokers == {broker.node_id: ("127.0.0.1", first)}
        assert fetch_metadata(second, []).brokers == {broker.node_id: ("localhost", second)}
        admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{first}"})
        resource = ConfigResource("broker", str(broker.node_id))
        described = admin.describe_configs([resource])[resource].result(timeout=20)
        assert described["advertised.listeners"].value == (
            f"internal://127.0.0.1:{first},external://localhost:{second}"
        )
