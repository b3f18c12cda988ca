"""Cluster configuration changes take effect at once, set through the Admin API or through
Kafka's IncrementalAlterConfigs on the cluster (empty broker name), and survive a restart."""

from __future__ import annotations

import httpx
import pytest
from kafka import KafkaProducer
from kio.schema.errors import ErrorCode
from kio.schema.incremental_alter_configs.v1 import request as iac

from tests.support.raw_client import RawClient


def test_admin_api_change_applies_without_restart(broker):
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, max_block_ms=2000)
    with pytest.raises(Exception):
        producer.send("made-on-demand", b"x").get(timeout=5)
    r = httpx.put(
        f"{broker.admin_url}/v1/cluster_config",
        json={"upsert": {"auto_create_topics_enabled": True}, "remove": []},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    assert producer.send("made-on-demand", b"x").get(timeout=10).offset == 0
    producer.close()


def alter_cluster(port: int, name: str, value: str):
    """IncrementalAlterConfigs on the BROKER resource with an empty name: the whole cluster."""
    client = RawClient(port)
    try:
        resp = client.request(
            iac.IncrementalAlterConfigsRequest(
                resources=(
                    iac.AlterConfigsResource(
                        resource_type=4,
                        resource_name="",
                        configs=(iac.AlterableConfig(name=name, config_operation=0, value=value),),
                    ),
                ),
                validate_only=False,
            )
        )
        return resp.responses[0]
    finally:
        client.close()


def cluster_value(broker, key: str):
    return httpx.get(
        f"{broker.admin_url}/v1/cluster_config", params={"key": key}, timeout=10
    ).json()[key]


def test_kafka_incremental_alter_configs_on_the_cluster(broker):
    assert (
        alter_cluster(broker.kafka_port, "log_retention_ms", "3600000").error_code == ErrorCode.none
    )
    assert cluster_value(broker, "log_retention_ms") == 3600000
    assert (
        alter_cluster(broker.kafka_port, "auto_create_topics_enabled", "true").error_code
        == ErrorCode.none
    )
    assert cluster_value(broker, "auto_create_topics_enabled") is True
    bad = alter_cluster(broker.kafka_port, "log_retention_ms", "soon")
    assert bad.error_code == ErrorCode.invalid_config and "log_retention_ms" in bad.error_message
    broker.restart()
    assert cluster_value(broker, "log_retention_ms") == 3600000
