"""Every Admin API route, served by a real broker (in this process, on a temporary directory),
driven with httpx."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.support.admin import admin_url, controller_commands, running_app


@pytest.fixture
async def api(tmp_path):
    """An httpx client on a fresh broker holding topic "orders" (3 partitions); `.app` is it."""
    async with running_app(tmp_path / "data") as app:
        await app.topics.create_topic("orders", 3, 1)
        async with httpx.AsyncClient(base_url=admin_url(app), timeout=10) as client:
            client.app = app
            yield client


async def test_status_node_config_features(api):
    assert (await api.get("/v1/status/ready")).json() == {"status": "ready"}
    api.app.ready = False
    assert (await api.get("/v1/status/ready")).json() == {"status": "booting"}
    assert (await api.get("/v1/node_config")).json()["node_id"] == 0
    features = {f["name"]: f["state"] for f in (await api.get("/v1/features")).json()["features"]}
    assert features["idempotence"] == "active" and features["central_config"] == "active"


async def _feature_states(api) -> dict[str, str]:
    return {f["name"]: f["state"] for f in (await api.get("/v1/features")).json()["features"]}


async def test_put_feature(api):
    put = await api.put("/v1/features/transactions", json={"state": "disabled"})
    assert put.status_code == 200 and put.json() == {}
    assert (await _feature_states(api))["transactions"] == "disabled"
    assert api.app.cluster_config.get("enable_transactions") is False
    commands = controller_commands(api.app)
    assert commands[-1][0] == "cluster_config_delta"  # replicated through the controller
    logged = len(commands)
    assert (
        await api.put("/v1/features/transactions", json={"state": "disabled"})
    ).status_code == 200
    assert len(controller_commands(api.app)) == logged  # same state again: nothing replicated
    assert (await api.put("/v1/features/transactions", json={"state": "active"})).status_code == 200
    assert (await _feature_states(api))["transactions"] == "active"
    assert (await api.put("/v1/features/scram_users", json={"state": "active"})).status_code == 200
    builtin = await api.put("/v1/features/scram_users", json={"state": "disabled"})
    assert builtin.status_code == 400 and "cannot be disabled" in builtin.json()["message"]
    assert (await api.put("/v1/features/nope", json={"state": "active"})).status_code == 404
    for body in ({"state": "on"}, {}, {"state": "active", "x": 1}, ["active"], {"state": 1}):
        assert (await api.put("/v1/features/idempotence", json=body)).status_code == 400, body
    bad_json = await api.put(
        "/v1/features/idempotence", content=b"{", headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert (await _feature_states(api))["idempotence"] == "active"


async def test_brokers_and_maintenance(api):
    [broker] = (await api.get("/v1/brokers")).json()
    assert broker["node_id"] == 0 and broker["maintenance_status"]["draining"] is False
    rpc_port = api.app.node.rpc_server.port
    assert (await api.get("/v1/brokers/0")).json()["internal_rpc_port"] == rpc_port
    assert (await api.get("/v1/brokers/7")).status_code == 404
    assert (await api.get("/v1/brokers/x")).json() == {
        "message": "id must be an integer, got 'x'",
        "code": 400,
    }
    # as Redpanda: refused on a single node (tests/leadership covers three nodes)
    refused = await api.put("/v1/brokers/0/maintenance")
    assert refused.status_code == 400
    assert refused.json()["message"] == "Maintenance mode may not be used on a single node cluster"
    assert (await api.get("/v1/maintenance")).json() == {"draining": False}
    assert (await api.delete("/v1/brokers/0/maintenance")).status_code == 200
    assert (await api.put("/v1/brokers/3/maintenance")).status_code == 404


async def test_health_overview(api):
    health = (await api.get("/v1/cluster/health_overview")).json()
    assert (
        health["is_healthy"] is True and health["all_nodes"] == [0] and health["controller_id"] == 0
    )
    assert health["leaderless_count"] == 0 and health["under_replicated_partitions"] == []


async def test_cluster_config_roundtrip(api):
    assert (await api.get("/v1/cluster_config", params={"key": "log_retention_ms"})).json() == {
        "log_retention_ms": 604800000
    }
    put = await api.put(
        "/v1/cluster_config", json={"upsert": {"log_retention_ms": 3600000}, "remove": []}
    )
    assert put.status_code == 200 and put.json() == {"config_version": 1}
    assert (await api.get("/v1/cluster_config", params={"include_defaults": "false"})).json() == {
        "log_retention_ms": 3600000
    }
    assert len((await api.get("/v1/cluster_config")).json()) > 50
    dry = await api.put(
        "/v1/cluster_config",
        params={"dry_run": "true"},
        json={"upsert": {"log_retention_ms": 1}, "remove": []},
    )
    assert dry.json() == {"config_version": 1}
    [status] = (await api.get("/v1/cluster_config/status")).json()
    assert status == {
        "node_id": 0,
        "restart": False,
        "config_version": 1,
        "invalid": [],
        "unknown": [],
    }
    schema = (await api.get("/v1/cluster_config/schema")).json()["properties"]
    assert schema["log_retention_ms"]["type"] == "integer"


async def test_cluster_config_rejections_are_per_key(api):
    bad = await api.put(
        "/v1/cluster_config",
        json={
            "upsert": {
                "nope": 1,
                "auto_create_topics_enabled": "yes",
                "default_topic_partitions": -1,
            },
            "remove": [],
        },
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == {
        "nope": "unknown property 'nope'",
        "auto_create_topics_enabled": "expected boolean, got string",
        "default_topic_partitions": "-1 is below the minimum 1",
    }
    assert (await api.put("/v1/cluster_config", json={"upsert": {}})).json()[
        "message"
    ] == "missing field(s): remove"
    assert (await api.put("/v1/cluster_config", content=b"{")).status_code == 400
    assert (
        await api.put("/v1/cluster_config", json={"upsert": [], "remove": []})
    ).status_code == 400
    assert (await api.get("/v1/cluster_config", params={"key": "nope"})).status_code == 404
    assert (
        await api.get("/v1/cluster_config", params={"include_defaults": "maybe"})
    ).status_code == 400


async def test_partitions(api):
    local = (await api.get("/v1/partitions")).json()
    listed = [(p["ns"], p["topic"], p["partition_id"]) for p in local]
    assert [x for x in listed if x[1] == "orders"] == [("kafka", "orders", i) for i in range(3)]
    topic = (await api.get("/v1/partitions/kafka/orders")).json()
    assert [p["partition_id"] for p in topic] == [0, 1, 2]
    one = (await api.get("/v1/partitions/kafka/orders/2")).json()
    assert (
        one["leader_id"] == 0
        and one["raft_group_id"] == api.app.partitions.get("orders", 2).consensus.group_id
        and one["replicas"] == [{"node_id": 0, "core": 0}]
    )
    assert (await api.get("/v1/partitions/redpanda/controller/0")).json()["leader_id"] == 0
    assert (await api.get("/v1/partitions/kafka/orders/9")).status_code == 404
    assert (await api.get("/v1/partitions/kafka/missing")).status_code == 404


async def test_users_lifecycle(api):
    body = {"username": "alice", "password": "pw1", "algorithm": "SCRAM-SHA-256"}
    assert (await api.post("/v1/security/users", json=body)).status_code == 200
    assert (
        await api.post("/v1/security/users", json=body)
    ).status_code == 200  # same credential: no-op
    assert (
        await api.post("/v1/security/users", json={**body, "password": "other"})
    ).status_code == 409
    assert (await api.get("/v1/security/users")).json() == ["alice"]
    upd = await api.put(
        "/v1/security/users/alice", json={"password": "pw2", "algorithm": "SCRAM-SHA-512"}
    )
    assert upd.status_code == 200
    assert (
        await api.put(
            "/v1/security/users/bob", json={"password": "p", "algorithm": "SCRAM-SHA-512"}
        )
    ).status_code == 404
    bad = await api.post(
        "/v1/security/users", json={"username": "x", "password": "p", "algorithm": "MD5"}
    )
    assert bad.status_code == 400 and "algorithm" in bad.json()["message"]
    assert (await api.delete("/v1/security/users/alice")).status_code == 200
    assert (
        await api.delete("/v1/security/users/alice")
    ).status_code == 200  # already gone: still 200
    assert (await api.get("/v1/security/users")).json() == []


async def test_admin_auth_when_required(api):
    await api.post(
        "/v1/security/users",
        json={"username": "root", "password": "pw", "algorithm": "SCRAM-SHA-256"},
    )
    await api.post(
        "/v1/security/users",
        json={"username": "joe", "password": "pw", "algorithm": "SCRAM-SHA-256"},
    )
    await api.put(
        "/v1/cluster_config",
        json={"upsert": {"admin_api_require_auth": True, "superusers": ["root"]}, "remove": []},
    )
    assert (await api.get("/v1/security/users")).status_code == 401
    assert (await api.get("/v1/cluster/health_overview")).status_code == 200
    joe = base64.b64encode(b"joe:pw").decode()
    assert (
        await api.get("/v1/brokers", headers={"Authorization": f"Basic {joe}"})
    ).status_code == 200
    assert (
        await api.get("/v1/security/users", headers={"Authorization": f"Basic {joe}"})
    ).status_code == 403
    assert (await api.get("/v1/security/users", auth=("root", "wrong"))).status_code == 401
    assert (await api.get("/v1/security/users", auth=("root", "pw"))).json() == ["joe", "root"]


async def test_metrics_and_errors(api):
    text = (await api.get("/metrics")).text
    assert "vectorized_kafka_rpc_active_connections" in text
    assert "redpanda_cluster_partitions" in (await api.get("/public_metrics")).text
    await api.put(
        "/v1/cluster_config", json={"upsert": {"disable_public_metrics": True}, "remove": []}
    )
    assert (await api.get("/public_metrics")).status_code == 404
    assert (await api.get("/v1/nowhere")).json() == {"message": "Not Found", "code": 404}
    assert (await api.post("/v1/brokers")).json()["code"] == 405
    doc = (await api.get("/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.") and "/v1/cluster_config" in doc["paths"]
    put_feature = doc["paths"]["/v1/features/{feature_name}"]["put"]
    assert (
        put_feature["x-auth-level"] == "superuser"
        and put_feature["parameters"][0]["name"] == "feature_name"
    )
    body_schema = put_feature["requestBody"]["content"]["application/json"]["schema"]
    assert body_schema["properties"]["state"]["enum"] == ["active", "disabled"]


async def test_aggregate_metrics_sums_away_the_partition_label(api):
    from prometheus_client.parser import text_string_to_metric_families

    from core.common import metrics

    def parse(text: str) -> dict:
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text)
            for s in f.samples
        }

    parts = [metrics.PartitionSample("agg", i, True, 100 * (i + 1), 10 * (i + 1)) for i in range(2)]
    lags = [metrics.GroupLagSample("g", "agg", i, 5 * (i + 1), i + 1) for i in range(2)]
    unregister = metrics.register_collector(lambda: metrics.ScrapeSnapshot(parts, lags))
    try:
        split = parse((await api.get("/public_metrics")).text)
        assert (
            split[
                (
                    "redpanda_kafka_max_offset",
                    (
                        ("redpanda_namespace", "kafka"),
                        ("redpanda_partition", "1"),
                        ("redpanda_topic", "agg"),
                    ),
                )
            ]
            == 20
        )
        await api.put(
            "/v1/cluster_config", json={"upsert": {"aggregate_metrics": True}, "remove": []}
        )
        public = parse((await api.get("/public_metrics")).text)
        internal = parse((await api.get("/metrics")).text)
    finally:
        unregister()
    assert (
        public[
            (
                "redpanda_kafka_max_offset",
                (("redpanda_namespace", "kafka"), ("redpanda_topic", "agg")),
            )
        ]
        == 30
    )
    assert (
        public[
            (
                "redpanda_kafka_consumer_group_committed_offset",
                (("redpanda_group", "g"), ("redpanda_topic", "agg")),
            )
        ]
        == 15
    )
    assert (
        internal[
            (
                "vectorized_storage_log_partition_size_bytes",
                (("namespace", "kafka"), ("topic", "agg")),
            )
        ]
        == 300
    )
    assert internal[("vectorized_kafka_group_lag", (("group", "g"), ("topic", "agg")))] == 3
    every_label = {name for _, labels in [*public, *internal] for name, _ in labels}
    assert not every_label & {"partition", "redpanda_partition"}
