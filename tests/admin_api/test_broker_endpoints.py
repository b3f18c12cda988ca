"""The Admin API endpoints not covered by the other real-broker tests, asserted on content."""

from __future__ import annotations

import httpx

from tests.support.topics import make_topic


def test_node_config_features_schema_and_partition_listing(broker):
    make_topic(broker.bootstrap, "listed", 2)
    with httpx.Client(base_url=broker.admin_url, timeout=10) as api:
        node = api.get("/v1/node_config").json()
        assert node["node_id"] == 0 and node["data_directory"] == str(broker.data_dir)
        assert node["kafka_api"][0]["port"] in (0, broker.kafka_port)

        features = api.get("/v1/features").json()
        assert {"cluster_version", "features"} <= set(features)

        schema = api.get("/v1/cluster_config/schema").json()["properties"]
        assert schema["log_retention_ms"]["type"] == "integer"
        assert schema["enable_idempotence"]["needs_restart"] is True

        explicit = api.get("/v1/cluster_config", params={"include_defaults": "false"}).json()
        everything = api.get("/v1/cluster_config").json()
        assert "log_retention_ms" not in explicit and everything["log_retention_ms"] == 604800000

        partitions = api.get("/v1/partitions").json()
        kafka = {(p["topic"], p["partition_id"]) for p in partitions if p["ns"] == "kafka"}
        assert {("listed", 0), ("listed", 1)} <= kafka
        assert any(p["ns"] == "redpanda" and p["topic"] == "controller" for p in partitions)
        assert all(p["leader"] == 0 for p in partitions)  # Redpanda's summary shape

        spec = api.get("/v1/openapi.json").json()
        assert spec["openapi"].startswith("3.") and "/v1/cluster_config" in spec["paths"]
        missing = api.get("/v1/partitions/kafka/no-such-topic")
        assert (
            missing.status_code == 404
            and missing.json()["code"] == 404
            and missing.json()["message"]
        )
