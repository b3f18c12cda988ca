"""`--pandaproxy-addr` and `--schema-registry-addr` take `rpk redpanda start`'s listener form,
`[name://]host:port[|authn][,...]`, and move only the address: the file's other keys of the
listener (authentication_method, the name its TLS pairs with) stay, so a flag given beside
`authentication_method: http_basic` never silently opens the listener."""

from __future__ import annotations

import argparse

import httpx
import pytest

from core.__main__ import build_parser, load_config
from core.config.node import NodeConfigError
from tests.support.broker import BrokerProcess

BASIC = "[{address: 0.0.0.0, port: 1, name: web, authentication_method: http_basic}]"


def _raw(*argv: str) -> dict:
    args: argparse.Namespace = build_parser().parse_args(["--data-dir", "/tmp/x", *argv])
    return load_config(args).raw


def test_flag_keeps_the_file_listeners_other_keys():
    raw = _raw(
        *["--set", f"pandaproxy.pandaproxy_api={BASIC}"],
        *["--set", f"schema_registry.schema_registry_api={BASIC}"],
        *["--pandaproxy-addr", "127.0.0.1:18082", "--schema-registry-addr", "127.0.0.1"],
    )
    assert raw["pandaproxy"]["pandaproxy_api"] == [
        {
            "address": "127.0.0.1",
            "port": 18082,
            "name": "web",
            "authentication_method": "http_basic",
        }
    ]
    assert raw["schema_registry"]["schema_registry_api"] == [
        {"address": "127.0.0.1", "port": 8081, "name": "web", "authentication_method": "http_basic"}
    ]


def test_rpk_list_form_with_names_and_authn():
    raw = _raw("--pandaproxy-addr", "a://127.0.0.1:1|http_basic,b://0.0.0.0:2")
    assert raw["pandaproxy"]["pandaproxy_api"] == [
        {"address": "127.0.0.1", "port": 1, "name": "a", "authentication_method": "http_basic"},
        {"address": "0.0.0.0", "port": 2, "name": "b"},
    ]
    with pytest.raises(NodeConfigError, match='at most 1 "\\|"'):
        _raw("--schema-registry-addr", "127.0.0.1:1|none|none")
    kafka = _raw("--kafka-addr", "127.0.0.1:1|sasl")["redpanda"]["kafka_api"]
    assert kafka == [{"address": "127.0.0.1", "port": 1, "authentication_method": "sasl"}]
    with pytest.raises(NodeConfigError, match='advertise_kafka_addr: at most 0 "\\|"'):
        _raw("--advertise-kafka-addr", "h:1|sasl")


def test_flag_beside_http_basic_still_asks_for_credentials(tmp_path):
    broker = BrokerProcess(
        tmp_path / "b",
        *["--set", f"pandaproxy.pandaproxy_api={BASIC}"],
        *["--set", f"schema_registry.schema_registry_api={BASIC}"],
        *["--pandaproxy-addr", "127.0.0.1:0", "--schema-registry-addr", "127.0.0.1:0"],
    )
    with broker.start():
        proxy = httpx.get(broker.listener_url("pandaproxy") + "/topics", timeout=10)
        registry = httpx.get(broker.listener_url("schema_registry") + "/subjects", timeout=10)
    assert proxy.status_code == 401
    assert registry.status_code == 401
