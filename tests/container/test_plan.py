"""rpk container's host ports, addresses and broker arguments, without Docker."""

from __future__ import annotations

import json
import socket

import pytest

from cli.container import nodes, ports
from cli.errors import UsageError


def test_default_ports_count_up_by_1000_per_node():
    plan = ports.plan({}, 3, any_port=False)
    assert [p.kafka for p in plan] == [9092, 10092, 11092]
    assert [p.admin for p in plan] == [9644, 10644, 11644]
    assert [p.proxy for p in plan] == [8082, 9082, 10082]
    assert [p.schema_registry for p in plan] == [8081, 9081, 10081]
    assert [p.rpc for p in plan] == [33145, 34145, 35145]


def test_a_short_list_is_sorted_and_extended():
    plan = ports.plan({"kafka": ["30092,20092"]}, 3, any_port=False)
    assert [p.kafka for p in plan] == [20092, 30092, 31092]


def test_any_gives_distinct_free_ports():
    plan = ports.plan({"kafka": ["any"]}, 3, any_port=False)
    kafka = [p.kafka for p in plan]
    assert len(set(kafka)) == 3 and 9092 not in kafka
    everything = [
        port for p in ports.plan({}, 3, any_port=True) for port in p.by_listener().values()
    ]
    assert len(set(everything)) == 15


def test_any_cannot_be_mixed_with_ports():
    with pytest.raises(UsageError, match="--admin-ports: 'any' cannot be combined"):
        ports.plan({"admin": ["any,9644"]}, 1, any_port=False)


def test_one_port_for_two_listeners_is_refused():
    with pytest.raises(UsageError, match="port 9644 is given to both the kafka and the admin"):
        ports.plan({"kafka": ["9644"]}, 1, any_port=False)


def test_a_taken_port_names_the_flag_that_moves_it():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        plan = ports.plan({"rpc": [str(taken)], "kafka": ["any"], "admin": ["any"],
                           "proxy": ["any"], "schema-registry": ["any"]}, 1, any_port=False)  # fmt: skip
        with pytest.raises(ports.PortTaken, match=f"rpc port {taken} already in use.*--rpc-ports"):
            ports.check_free([p for p in plan])


def test_nodes_sit_after_the_gateway():
    specs = nodes.specs("172.24.1.1", "172.24.1.0/24", ports.plan({}, 3, any_port=False))
    assert [(s.name, s.ip) for s in specs] == [
        ("rp-node-0", "172.24.1.2"),
        ("rp-node-1", "172.24.1.3"),
        ("rp-node-2", "172.24.1.4"),
    ]
    with pytest.raises(UsageError, match="--subnet 172.24.1.0/30 has no room for node 2"):
        nodes.specs("172.24.1.1", "172.24.1.0/30", ports.plan({}, 3, any_port=False))


def _set_values(args: list[str]) -> dict[str, str]:
    pairs = [args[i + 1] for i, a in enumerate(args) if a == "--set"]
    return dict(p.split("=", 1) for p in pairs)


def test_broker_args_seed_every_node_and_advertise_the_host_port():
    specs = nodes.specs("172.24.1.1", "172.24.1.0/24", ports.plan({}, 3, any_port=False))
    args = nodes.broker_args(specs[1], specs, ["redpanda.rack=r1"])
    assert args[args.index("--node-id") + 1] == "1"
    assert args[args.index("--rpc-addr") + 1] == "172.24.1.3:33145"
    assert args[args.index("--advertise-rpc-addr") + 1] == "172.24.1.3:33145"
    assert "--dev" in args
    sets = _set_values(args)
    seeds = json.loads(sets["redpanda.seed_servers"])
    assert [s["host"]["address"] for s in seeds] == ["172.24.1.2", "172.24.1.3", "172.24.1.4"]
    external, internal = json.loads(sets["redpanda.advertised_kafka_api"])
    assert external == {"name": "external", "address": "127.0.0.1", "port": 10092}
    assert internal == {"name": "internal", "address": "172.24.1.3", "port": 19092}
    assert json.loads(sets["redpanda.kafka_api"])[0]["port"] == 10092  # host port inside too
    assert sets["redpanda.write_caching_default"] == '"true"'  # dev-container mode
    assert args[-2:] == ["--set", "redpanda.rack=r1"]  # the user's --set last: it wins
