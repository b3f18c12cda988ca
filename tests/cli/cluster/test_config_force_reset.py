"""rpk cluster config force-reset: the broker keeps <data dir>/config_cache.yaml; a property
erased from it while the broker is stopped is at its default after the restart (the controller
log's older changes to it are not applied again), and a later change sets it again."""

from __future__ import annotations

import pytest
import yaml

from tests.support.broker import start_broker


@pytest.fixture
def own_broker(tmp_path):
    proc = start_broker(tmp_path / "fr")
    yield proc
    proc.stop()


def _env(broker) -> dict[str, str]:
    return {"RPK_BROKERS": broker.bootstrap, "RPK_ADMIN_HOSTS": f"127.0.0.1:{broker.admin_port}"}


def _get(rpk, broker, key: str) -> str:
    result = rpk(["cluster", "config", "get", key], env=_env(broker))
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip()


def test_force_reset_forgets_a_property_on_this_node(rpk, own_broker, tmp_path):
    b = own_broker
    for key, value in (("log_retention_ms", "123456789"), ("log_segment_size_min", "2048")):
        assert rpk(["cluster", "config", "set", key, value], env=_env(b)).exit_code == 0
    cache = yaml.safe_load((b.data_dir / "config_cache.yaml").read_text())
    assert cache["log_retention_ms"] == 123456789 and cache["_version"] >= 2
    config = tmp_path / "redpanda.yaml"
    config.write_text(yaml.safe_dump({"redpanda": {"data_directory": str(b.data_dir)}}))
    b.stop()
    result = rpk(["cluster", "config", "force-reset", "log_retention_ms", "--config", str(config)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "The property has been successfully removed from the cluster configuration cache. Next "
        "time Redpanda starts, the setting will be treated as if it were set to its default "
        "value.\n"
    )
    assert "log_retention_ms" not in yaml.safe_load((b.data_dir / "config_cache.yaml").read_text())
    b.start()
    assert _get(rpk, b, "log_retention_ms") == "604800000"  # the default again
    assert _get(rpk, b, "log_segment_size_min") == "2048"  # the others are kept
    assert "force-reset" in b.log_text(since_start=True)
    assert (
        rpk(["cluster", "config", "set", "log_retention_ms", "5000000"], env=_env(b)).exit_code == 0
    )
    b.restart()
    assert _get(rpk, b, "log_retention_ms") == "5000000"  # a newer change applies in full


def test_force_reset_errors_read_as_rpk(rpk, tmp_path):
    missing = tmp_path / "nope.yaml"
    result = rpk(["cluster", "config", "force-reset", "x", "--cache-file", str(missing)])
    assert result.exit_code == 1 and result.stderr.strip() == f'Couldn\'t read "{missing}"'
    none = rpk(["cluster", "config", "force-reset"])
    assert none.exit_code == 1
    assert none.stderr.startswith("Error: requires at least 1 arg(s), only received 0")
    cache = tmp_path / "cache.yaml"
    cache.write_text("_version: 3\nb: 1\na: two\n")
    assert rpk(["cluster", "config", "force-reset", "b", "--cache-file", str(cache)]).exit_code == 0
    assert cache.read_text() == "_version: 3\na: two\n"
