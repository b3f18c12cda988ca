"""The Admin API of a real broker process: persistence across restarts, validation, users, metrics."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.admin import run_broker
from tests.support.topics import make_topic

TIMEOUT_S = 10


def _client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=TIMEOUT_S)


def _create_user(api: httpx.Client, name: str, password: str, algorithm: str) -> int:
    body = {"username": name, "password": password, "algorithm": algorithm}
    return api.post("/v1/security/users", json=body).status_code


def test_cluster_config_and_users_survive_restart(tmp_path):
    with run_broker(tmp_path) as broker, _client(broker.admin_url) as api:
        assert api.get("/v1/status/ready").json() == {"status": "ready"}
        put = api.put(
            "/v1/cluster_config",
            json={
                "upsert": {"log_retention_ms": 3_600_000, "group_topic_partitions": 4},
                "remove": [],
            },
        )
        assert put.status_code == 200, put.text
        version = put.json()["config_version"]
        assert _create_user(api, "alice", "pw", "SCRAM-SHA-512") == 200
        assert _create_user(api, "bob", "pw", "SCRAM-SHA-256") == 200
        assert api.delete("/v1/security/users/bob").status_code == 200
        # Redpanda parity: deleting a missing user and re-creating with the same credential are 200 no-ops
        assert api.delete("/v1/security/users/bob").status_code == 200
        assert _create_user(api, "alice", "pw", "SCRAM-SHA-512") == 200
        assert _create_user(api, "alice", "other", "SCRAM-SHA-512") == 409
        assert api.put("/v1/features/transactions", json={"state": "disabled"}).status_code == 200
        assert api.put("/v1/features/no_such_feature", json={"state": "active"}).status_code == 404
        assert api.put("/v1/features/transactions", json={"state": "off"}).status_code == 400
    with run_broker(tmp_path) as broker, _client(broker.admin_url) as api:
        features = {f["name"]: f["state"] for f in api.get("/v1/features").json()["features"]}
        assert features["transactions"] == "disabled" and features["idempotence"] == "active"
        explicit = api.get("/v1/cluster_config", params={"include_defaults": "false"}).json()
        assert explicit["log_retention_ms"] == 3_600_000 and explicit["group_topic_partitions"] == 4
        [status] = api.get("/v1/cluster_config/status").json()
        assert status["config_version"] == version + 1 and status["node_id"] == 0
        assert api.get("/v1/security/users").json() == ["alice"]


@pytest.fixture(scope="module")
def shared_broker(tmp_path_factory):
    """One broker for the tests that neither restart it nor depend on its history."""
    with run_broker(tmp_path_factory.mktemp("admin-api")) as broker:
        yield broker


def test_rejections_are_per_key_and_never_5xx(shared_broker):
    with _client(shared_broker.admin_url) as api:
        bad = api.put(
            "/v1/cluster_config",
            json={
                "upsert": {
                    "no_such_key": 1,
                    "enable_sasl": "yes",
                    "default_topic_replications": 99,
                },
                "remove": [],
            },
        )
        assert bad.status_code == 400
        assert bad.json()["errors"] == {
            "no_such_key": "unknown property 'no_such_key'",
            "enable_sasl": "expected boolean, got string",
            "default_topic_replications": "99 is above the maximum 15",
        }
        assert bad.json()["code"] == 400 and bad.json()["message"]
        assert api.get("/v1/no/such/route").json() == {"message": "Not Found", "code": 404}
        assert api.put("/v1/cluster_config", content=b"\xff\xfe").status_code == 400


def test_brokers_partitions_health_and_maintenance(shared_broker):
    with _client(shared_broker.admin_url) as api:
        make_topic(shared_broker.kafka, "orders", 2)
        [b] = api.get("/v1/brokers").json()
        assert b["node_id"] == 0 and b["is_alive"] and b["disk_space"][0]["total"] > 0
        parts = api.get("/v1/partitions/kafka/orders").json()
        assert [p["partition_id"] for p in parts] == [0, 1] and all(
            p["leader_id"] == 0 for p in parts
        )
        assert api.get("/v1/partitions/kafka/orders/1").json()["replicas"] == [
            {"node_id": 0, "core": 0}
        ]
        assert api.get("/v1/partitions/redpanda/controller/0").json()["leader_id"] == 0
        health = api.get("/v1/cluster/health_overview").json()
        assert health["is_healthy"] and health["controller_id"] == 0 and health["all_nodes"] == [0]
        assert api.put("/v1/brokers/0/maintenance").status_code == 400  # one node: refused
        assert api.get("/v1/maintenance").json() == {"draining": False}
        assert api.delete("/v1/brokers/0/maintenance").status_code == 200
        assert api.get("/v1/brokers/0").json()["maintenance_status"]["draining"] is False


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _sum(samples: dict, name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls))


@pytest.mark.timeout(120)
def test_metrics_move_after_produce_and_fetch(tmp_path):
    from kafka import KafkaConsumer, KafkaProducer

    with run_broker(tmp_path, "--dev") as broker, _client(broker.admin_url) as api:
        before = _samples(api.get("/metrics").text)
        producer = KafkaProducer(
            bootstrap_servers=broker.kafka, request_timeout_ms=TIMEOUT_S * 1000
        )
        for i in range(20):
            producer.send("metered", f"value-{i}".encode())
        producer.flush(TIMEOUT_S)
        producer.close(TIMEOUT_S)
        consumer = KafkaConsumer(
            "metered",
            bootstrap_servers=broker.kafka,
            auto_offset_reset="earliest",
            consumer_timeout_ms=5000,
            group_id="metered-group",
            enable_auto_commit=False,
        )
        got = sum(1 for _, _ in zip(range(20), consumer))
        consumer.commit()
        open_now = _samples(api.get("/metrics").text)
        consumer.close()
        assert got == 20
        assert open_now[("vectorized_kafka_rpc_active_connections", ())] >= 1
        after = _samples(api.get("/metrics").text)
        assert _sum(after, "vectorized_kafka_handler_latency_seconds_count", handler="produce") > 0
        assert _sum(after, "vectorized_kafka_handler_latency_seconds_count", handler="fetch") > 0
        assert after[("vectorized_storage_log_fsync_latency_seconds_count", ())] > before.get(
            ("vectorized_storage_log_fsync_latency_seconds_count", ()), 0
        )
        assert (
            _sum(after, "vectorized_kafka_group_offset", group="metered-group", topic="metered")
            == 20
        )
        hwm = _sum(after, "vectorized_cluster_partition_high_watermark", topic="metered")
        assert hwm == 20 and _sum(after, "vectorized_kafka_group_lag", group="metered-group") == 0
        produced = "vectorized_cluster_partition_bytes_produced_total"
        fetched = "vectorized_cluster_partition_bytes_fetched_total"
        assert _sum(after, produced, topic="metered") > _sum(before, produced, topic="metered")
        assert _sum(after, fetched, topic="metered") > _sum(before, fetched, topic="metered")
        assert _sum(after, "vectorized_kafka_handler_requests_total", handler="produce") > 0
        public = _samples(api.get("/public_metrics").text)
        assert (
            _sum(
                public,
                "redpanda_kafka_request_bytes_total",
                redpanda_topic="metered",
                redpanda_request="produce",
            )
            > 0
        )
        assert _sum(public, "redpanda_kafka_partitions", redpanda_topic="metered") >= 1
        assert (
            _sum(public, "redpanda_kafka_request_latency_seconds_count", redpanda_request="produce")
            > 0
        )
        assert (
            _sum(
                public,
                "redpanda_kafka_consumer_group_committed_offset",
                redpanda_group="metered-group",
            )
            == 20
        )
        assert (
            "redpanda_kafka_consumer_group_lag_max",
            (("redpanda_group", "metered-group"),),
        ) in public
