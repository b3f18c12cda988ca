"""The config pipeline: profile < legacy env < RPK_* env < -X; defaults, ports and file detection."""

from __future__ import annotations

import pytest
import yaml

from cli.config.params import load_params, with_port
from cli.errors import CliError


def _rpk_yaml(path, brokers, admin=None):
    prof = {"name": "p", "kafka_api": {"brokers": brokers}}
    if admin:
        prof["admin_api"] = {"addresses": admin}
    path.write_text(yaml.safe_dump({"version": 6, "current_profile": "p", "profiles": [prof]}))
    return path


def test_defaults(tmp_path):
    p = load_params(env={"HOME": str(tmp_path)})
    assert p.brokers == ("127.0.0.1:9092",) and p.admin_hosts == ("127.0.0.1:9644",)
    assert p.admin_urls == ("http://127.0.0.1:9644",) and p.registry_hosts == ("127.0.0.1:8081",)
    assert p.profile_name == "default" and p.seconds("dial_timeout") == 3.0


def test_precedence(tmp_path):
    cfg = _rpk_yaml(tmp_path / "rpk.yaml", ["profile:1"])
    assert load_params(cfg, env={}).brokers == ("profile:1",)
    assert load_params(cfg, env={"REDPANDA_BROKERS": "legacy:2"}).brokers == ("legacy:2",)
    env = {"REDPANDA_BROKERS": "legacy:2", "RPK_BROKERS": "env:3"}
    assert load_params(cfg, env=env).brokers == ("env:3",)
    assert load_params(cfg, overrides=["brokers=flag:4"], env=env).brokers == ("flag:4",)


def test_one_side_derives_the_other(tmp_path):
    p = load_params(overrides=["admin.hosts=https://adm"], env={"HOME": str(tmp_path)})
    assert p.admin_urls == ("https://adm:9644",) and p.brokers == ("adm:9092",)
    p = load_params(env={"HOME": str(tmp_path), "RPK_BROKERS": "k1:1,k2"})
    assert p.brokers == ("k1:1", "k2:9092") and p.admin_hosts == ("k1:9644", "k2:9644")
    p = load_params(overrides=["globals.no_default_cluster=true"], env={"HOME": str(tmp_path)})
    assert p.brokers == () and p.admin_hosts == ()


def test_tls_and_sasl(tmp_path):
    p = load_params(
        overrides=["tls.ca=/ca.pem", "user=u", "pass=pw", "sasl.mechanism=scram-sha-512"],
        env={"HOME": str(tmp_path)},
    )
    assert p.kafka_tls.ca_file == "/ca.pem" and p.admin_tls is None
    assert (p.sasl.user, p.sasl.password, p.sasl.mechanism) == ("u", "pw", "SCRAM-SHA-512")
    assert (
        load_params(overrides=["tls.enabled=false"], env={"HOME": str(tmp_path)}).kafka_tls is None
    )


def test_redpanda_yaml_fallback(tmp_path):
    cfg = tmp_path / "redpanda.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "redpanda": {
                    "kafka_api": [{"address": "0.0.0.0", "port": 19092}],
                    "admin": [{"address": "10.1.1.1", "port": 19644}],
                }
            }
        )
    )
    p = load_params(cfg, env={"HOME": str(tmp_path)})
    assert p.brokers == ("127.0.0.1:19092",) and p.admin_hosts == ("10.1.1.1:19644",)
    cfg.write_text(yaml.safe_dump({"rpk": {"kafka_api": {"brokers": ["rk:1"]}}}))
    assert load_params(cfg, env={"HOME": str(tmp_path)}).brokers == ("rk:1",)


@pytest.mark.parametrize(
    "bad,needle",
    [
        (["brokers"], "expected key=value"),
        (["nope=1"], 'unknown key "nope"'),
        (["sasl.mechanism=MD5"], "unknown SASL mechanism"),
    ],
)
def test_bad_overrides(tmp_path, bad, needle):
    with pytest.raises(CliError, match=needle):
        load_params(overrides=bad, env={"HOME": str(tmp_path)})


def test_rpk_yaml_errors(tmp_path):
    newer = tmp_path / "rpk.yaml"
    newer.write_text("version: 99\n")
    with pytest.raises(CliError, match="please upgrade rpk"):
        load_params(newer, env={})
    with pytest.raises(CliError, match='profile "x" does not exist'):
        load_params(_rpk_yaml(tmp_path / "r2.yaml", ["b"]), profile="x", env={})


@pytest.mark.parametrize(
    "addr,port,expected",
    [
        ("h", 9092, "h:9092"),
        ("h:1", 9092, "h:1"),
        ("http://h", 9644, "http://h:9644"),
        ("[::1]", 9092, "[::1]:9092"),
        ("[::1]:5", 9092, "[::1]:5"),
    ],
)
def test_with_port(addr, port, expected):
    assert with_port(addr, port) == expected
