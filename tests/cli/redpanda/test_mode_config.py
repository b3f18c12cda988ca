"""rpk redpanda mode and config set|bootstrap|init edit redpanda.yaml as rpk does."""

from __future__ import annotations

import pytest
import yaml

from cli.commands.redpanda._yaml import PRODUCTION_TUNERS, TUNERS


@pytest.fixture
def cfg(tmp_path):
    return tmp_path / "redpanda.yaml"


def _load(path) -> dict:
    return yaml.safe_load(path.read_text())


def test_mode_production_then_development(rpk, cfg):
    res = rpk(["redpanda", "mode", "prod", "--config", str(cfg)])
    assert res.exit_code == 0 and res.stdout.strip() == 'Successfully set mode to "prod".'
    doc = _load(cfg)
    assert doc["redpanda"]["developer_mode"] is False
    assert doc["rpk"]["overprovisioned"] is False and doc["rpk"]["tune_fstrim"] is False
    assert all(doc["rpk"][t] is True for t in PRODUCTION_TUNERS)
    assert "tune_transparent_hugepages" not in doc["rpk"] and "tune_coredump" not in doc["rpk"]

    rpk(
        [
            "redpanda",
            "config",
            "set",
            "rpk.additional_start_flags",
            '["--dev"]',
            "--config",
            str(cfg),
        ]
    )
    assert rpk(["redpanda", "mode", "development", "--config", str(cfg)]).exit_code == 0
    doc = _load(cfg)
    assert (
        doc["redpanda"]["developer_mode"] is True
        and doc["redpanda"]["recovery_mode_enabled"] is False
    )
    assert all(doc["rpk"][t] is False for t in TUNERS) and doc["rpk"]["overprovisioned"] is True
    assert doc["rpk"]["additional_start_flags"] == ["--dev"]

    assert rpk(["redpanda", "mode", "rec", "--config", str(cfg)]).exit_code == 0
    assert _load(cfg)["redpanda"]["recovery_mode_enabled"] is True
    res = rpk(["redpanda", "mode", "turbo", "--config", str(cfg)])
    assert res.exit_code == 1 and 'unknown mode "turbo"' in res.stderr


def test_config_set_and_bootstrap(rpk, cfg):
    assert rpk(["redpanda", "config", "init", "--config", str(cfg)]).exit_code == 0
    assert (
        rpk(
            [
                "redpanda",
                "config",
                "set",
                "redpanda.kafka_api[0].port",
                "19092",
                "--config",
                str(cfg),
            ]
        ).exit_code
        == 0
    )
    assert (
        rpk(["redpanda", "config", "set", "redpanda.rack=r1", "--config", str(cfg)]).exit_code == 0
    )
    res = rpk(
        [
            "redpanda",
            "config",
            "bootstrap",
            "--self",
            "10.0.0.5",
            "--ips",
            "10.0.0.6,10.0.0.7:1234",
            "--advertised-kafka",
            "k.example:9093",
            "--config",
            str(cfg),
        ]
    )
    assert res.exit_code == 0, res.stderr
    rp = _load(cfg)["redpanda"]
    assert rp["rack"] == "r1"
    assert rp["kafka_api"] == [{"address": "10.0.0.5", "port": 19092}]
    assert rp["rpc_server"] == {"address": "10.0.0.5", "port": 33145}
    assert rp["seed_servers"] == [
        {"host": {"address": "10.0.0.6", "port": 33145}},
        {"host": {"address": "10.0.0.7", "port": 1234}},
    ]
    assert rp["advertised_kafka_api"] == [{"address": "k.example", "port": 9093}]


def test_start_flag_mapping_and_dev_container():
    from cli.commands.redpanda._yaml import (
        DEV_CONTAINER_PROPERTIES,
        StartFlags,
        apply_dev_container,
        apply_start_flags,
        parse_address,
    )

    doc: dict = {}
    apply_start_flags(
        doc,
        StartFlags(
            kafka_addr="internal://0.0.0.0:9092,external://10.0.0.1:19092|sasl",
            seeds="a,b:1",
            advertise_kafka_addr="127.0.0.1",
            rpc_addr="10.0.0.1",
            pandaproxy_addr="0.0.0.0:8083",
            schema_registry_addr="[::1]:8085",
            node_id=3,
        ),
    )
    apply_dev_container(doc)
    rp = doc["redpanda"]
    assert rp["kafka_api"] == [
        {"address": "0.0.0.0", "port": 9092, "name": "internal"},
        {"address": "10.0.0.1", "port": 19092, "name": "external", "authentication_method": "sasl"},
    ]
    assert rp["seed_servers"] == [
        {"host": {"address": "a", "port": 33145}},
        {"host": {"address": "b", "port": 1}},
    ]
    assert rp["advertised_kafka_api"] == [{"address": "127.0.0.1", "port": 9092}]
    assert rp["rpc_server"] == {"address": "10.0.0.1", "port": 33145} and rp["node_id"] == 3
    assert doc["pandaproxy"]["pandaproxy_api"] == [{"address": "0.0.0.0", "port": 8083}]
    assert doc["schema_registry"]["schema_registry_api"] == [{"address": "::1", "port": 8085}]
    assert rp["developer_mode"] is True and all(
        rp[k] == v for k, v in DEV_CONTAINER_PROPERTIES.items()
    )
    with pytest.raises(Exception, match="bad port"):
        parse_address("host:99999", 1)
