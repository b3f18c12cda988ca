"""Cluster properties change what a real broker does, or are refused with the issue that brings
them: through the Admin API, Kafka IncrementalAlterConfigs, rpk and the node's --set."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from kio.schema.errors import ErrorCode
from kio.schema.incremental_alter_configs.v1 import request as iac

from core.testing.process import BrokerProcess
from tests.support.broker import start_broker
from tests.support.raw_client import RawClient, fetch_v11
from tests.support.wait import wait_for

TRANSFORMS_REASON = "not supported: not planned (no WebAssembly runtime)"


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    proc = start_broker(tmp_path_factory.mktemp("props"))
    yield proc
    proc.stop()


def put_config(broker, upsert: dict, remove: list | None = None) -> tuple[int, dict]:
    body = json.dumps({"upsert": upsert, "remove": remove or []}).encode()
    req = urllib.request.Request(f"{broker.admin_url}/v1/cluster_config", data=body, method="PUT")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def cluster_config(broker):
    """set(**values): apply through the Admin API; every key set is removed afterwards."""
    touched: list[str] = []

    def set_(**values) -> None:
        status, body = put_config(broker, values)
        assert status == 200, body
        touched.extend(values)

    yield set_
    if touched:
        assert put_config(broker, {}, touched)[0] == 200


def new_topic(broker, partitions: int = 1, replication_factor: int = 1) -> str:
    name = f"t-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(name, partitions, replication_factor)])[name].result(10)
    return name


def describe_topic(broker, topic: str) -> dict[str, str]:
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    return {k: v.value for k, v in admin.describe_configs([res])[res].result(10).items()}


# ---- refused properties ---------------------------------------------------------------------


def test_admin_api_refuses_a_refused_value_with_its_reason(broker):
    status, body = put_config(broker, {"data_transforms_enabled": True})
    assert status == 400 and body["code"] == 400 and body["message"]
    assert body["errors"] == {"data_transforms_enabled": TRANSFORMS_REASON}
    assert (
        put_config(broker, {"data_transforms_enabled": False})[0] == 200
    )  # the default is accepted


def test_incremental_alter_configs_refuses_a_refused_value(broker):
    client = RawClient(broker.kafka_port)
    try:
        resp = client.request(
            iac.IncrementalAlterConfigsRequest(
                resources=(
                    iac.AlterConfigsResource(
                        resource_type=4,  # BROKER, empty name: the whole cluster
                        resource_name="",
                        configs=(
                            iac.AlterableConfig(
                                name="topic_partitions_per_shard",
                                config_operation=0,
                                value="99",
                            ),
                        ),
                    ),
                ),
                validate_only=False,
            )
        )
    finally:
        client.close()
    (result,) = resp.responses
    assert result.error_code == ErrorCode.invalid_config
    assert result.error_message == (
        "topic_partitions_per_shard: not supported: not planned "
        "(partition count is not limited per core)"
    )


def test_rpk_cluster_config_set_shows_the_reason(broker):
    env = dict(os.environ, RPK_ADMIN_HOSTS=f"127.0.0.1:{broker.admin_port}")
    rpk = os.path.join(os.path.dirname(sys.executable), "rpk")
    result = subprocess.run(
        [rpk, "cluster", "config", "set", "data_transforms_enabled", "true"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "data_transforms_enabled" in result.stderr + result.stdout
    assert "not planned" in result.stderr + result.stdout


def test_a_refused_override_is_logged_and_the_broker_starts(tmp_path):
    broker = BrokerProcess(
        tmp_path / "d", "--set", "data_transforms_enabled=true", die_with_parent=True
    ).start()
    try:
        text = broker.log_text()
        assert "ignoring cluster property data_transforms_enabled" in text
        assert TRANSFORMS_REASON in text and "Traceback" not in text
    finally:
        broker.stop()


# ---- properties that take effect --------------------------------------------------------------

TOPIC_DEFAULTS = [
    ("log_compression_type", "zstd", "compression.type", "zstd"),
    ("tombstone_retention_ms", 1234, "delete.retention.ms", "1234"),
    ("log_cleanup_policy", "compact", "cleanup.policy", "compact"),
    ("log_retention_ms", 3_600_000, "retention.ms", "3600000"),
    ("retention_bytes", 5_000_000, "retention.bytes", "5000000"),
    ("log_segment_size", 2 * 1024 * 1024, "segment.bytes", "2097152"),
    ("log_segment_ms", 7_200_000, "segment.ms", "7200000"),
    ("log_message_timestamp_type", "LogAppendTime", "message.timestamp.type", "LogAppendTime"),
    ("kafka_batch_max_bytes", 2048, "max.message.bytes", "2048"),
    ("write_caching_default", "true", "write.caching", "true"),
    ("raft_replica_max_flush_delay_ms", 250, "flush.ms", "250"),
    ("raft_replica_max_pending_flush_bytes", 4096, "flush.bytes", "4096"),
    (
        "log_message_timestamp_before_max_ms",
        86_400_000,
        "message.timestamp.before.max.ms",
        "86400000",
    ),
    ("log_message_timestamp_after_max_ms", 60_000, "message.timestamp.after.max.ms", "60000"),
]


@pytest.mark.parametrize(("prop", "value", "topic_config", "shown"), TOPIC_DEFAULTS)
def test_cluster_default_is_the_topic_default(
    broker, cluster_config, prop, value, topic_config, shown
):
    topic = new_topic(broker)
    before = describe_topic(broker, topic)[topic_config]
    cluster_config(**{prop: value})
    assert describe_topic(broker, topic)[topic_config] == shown != before


def test_auto_create_uses_default_topic_partitions(broker, cluster_config):
    cluster_config(auto_create_topics_enabled=True, default_topic_partitions=3)
    name = f"auto-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        topics = admin.list_topics(topic=name, timeout=5).topics
        if name in topics and topics[name].error is None and topics[name].partitions:
            break
        time.sleep(0.1)
    assert len(admin.list_topics(topic=name, timeout=5).topics[name].partitions) == 3


def test_default_topic_replications_applies_to_a_create_without_one(broker, cluster_config):
    cluster_config(default_topic_replications=3)
    name = f"rf-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    with pytest.raises(ck.KafkaException) as exc:
        admin.create_topics([NewTopic(name, 1, -1)])[name].result(10)
    assert exc.value.args[0].code() == ck.KafkaError.INVALID_REPLICATION_FACTOR


def test_timestamp_window_defaults_refuse_records_outside_them(broker, cluster_config):
    topic = new_topic(broker)
    producer = ck.Producer({"bootstrap.servers": broker.bootstrap, "retries": 0})
    errors: list = []
    future_ms = int(time.time() * 1000) + 600_000  # ten minutes ahead: inside the 1 h default

    def produce_at(ts_ms: int) -> None:
        producer.produce(
            topic,
            value=b"v",
            partition=0,
            timestamp=ts_ms,
            on_delivery=lambda e, m: errors.append(e),
        )
        assert producer.flush(10) == 0

    produce_at(future_ms)
    assert errors == [None]
    cluster_config(log_message_timestamp_after_max_ms=60_000)
    produce_at(future_ms)
    assert errors[-1].code() == ck.KafkaError.INVALID_TIMESTAMP
    cluster_config(log_message_timestamp_before_max_ms=60_000)
    produce_at(int(time.time() * 1000) - 600_000)
    assert errors[-1].code() == ck.KafkaError.INVALID_TIMESTAMP


def test_log_append_time_stamps_records_with_the_broker_clock(broker, cluster_config):
    cluster_config(log_message_timestamp_type="LogAppendTime")
    topic = new_topic(broker)
    producer = ck.Producer({"bootstrap.servers": broker.bootstrap})
    producer.produce(topic, value=b"v", partition=0, timestamp=1000)
    assert producer.flush(10) == 0
    consumer = ck.Consumer(
        {"bootstrap.servers": broker.bootstrap, "group.id": "ts", "auto.offset.reset": "earliest"}
    )
    try:
        consumer.assign([ck.TopicPartition(topic, 0, 0)])
        message = None
        deadline = time.monotonic() + 10
        while message is None and time.monotonic() < deadline:
            message = consumer.poll(0.5)
        assert message is not None and message.error() is None
        kind, stamp = message.timestamp()
        assert kind == ck.TIMESTAMP_LOG_APPEND_TIME and stamp > time.time() * 1000 - 60_000
    finally:
        consumer.close()


def test_kafka_batch_max_bytes_refuses_a_larger_batch(broker, cluster_config):
    cluster_config(kafka_batch_max_bytes=1024)
    topic = new_topic(broker)
    errors = []
    producer = ck.Producer({"bootstrap.servers": broker.bootstrap, "message.max.bytes": 100_000})
    producer.produce(
        topic, value=b"x" * 5000, partition=0, on_delivery=lambda e, m: errors.append(e)
    )
    producer.flush(10)
    assert errors and errors[0] is not None
    assert errors[0].code() == ck.KafkaError.MSG_SIZE_TOO_LARGE


def test_disable_metrics_hides_the_metrics_endpoint(broker, cluster_config):
    url = f"{broker.admin_url}/metrics"
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.status == 200
    cluster_config(disable_metrics=True)
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(url, timeout=10)
    assert exc.value.code == 404


def _fetch_bytes(broker, topic: str) -> int:
    """Bytes of records one Fetch (max_bytes 1 MiB) returns from offset 0."""
    client = RawClient(broker.kafka_port)
    try:
        resp = client.request(fetch_v11(topic))
    finally:
        client.close()
    return len(resp.responses[0].partitions[0].records or b"")


def test_fetch_max_bytes_caps_a_fetch_response(broker, cluster_config):
    topic = new_topic(broker)
    producer = ck.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0})
    for i in range(3):
        producer.produce(topic, value=bytes([i]) * 1000, partition=0)
        producer.flush(10)  # one batch each
    uncapped = _fetch_bytes(broker, topic)
    cluster_config(fetch_max_bytes=1500)
    capped = _fetch_bytes(broker, topic)
    assert uncapped > 3000 and 1000 < capped < 1500  # the first batch only


def test_enable_idempotence_false_refuses_producer_ids(broker, cluster_config):
    from kio.schema.init_producer_id.v4.request import InitProducerIdRequest

    def init_error() -> ErrorCode:
        client = RawClient(broker.kafka_port)
        try:
            return client.request(
                InitProducerIdRequest(
                    transactional_id=None,
                    transaction_timeout=datetime.timedelta(seconds=60),
                    producer_id=-1,
                    producer_epoch=-1,
                )
            ).error_code
        finally:
            client.close()

    assert init_error() == ErrorCode.none
    cluster_config(enable_idempotence=False)
    assert init_error() == ErrorCode.cluster_authorization_failed


def test_cluster_id_and_group_topic_partitions_given_at_start(tmp_path):
    other = start_broker(
        tmp_path, "--set", "cluster_id=my-cluster", "--set", "group_topic_partitions=2"
    )
    try:
        admin = AdminClient({"bootstrap.servers": other.bootstrap})
        assert admin.describe_cluster().result(10).cluster_id == "my-cluster"
        # __consumer_offsets is created on first use (a group lookup), as Kafka does
        admin.describe_consumer_groups(["first-use"])["first-use"].exception(10)

        def offsets_topic():
            topics = admin.list_topics(topic="__consumer_offsets", timeout=10).topics
            return topics["__consumer_offsets"].partitions

        assert len(wait_for(offsets_topic, "__consumer_offsets", 30)) == 2
    finally:
        other.stop()


def _topic_log_bytes(broker, topic: str) -> int:
    return sum(p.stat().st_size for p in broker.data_dir.rglob("*.log") if topic in str(p.parent))


def _overwrite(broker, topic: str, rounds: int) -> None:
    producer = ck.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0})
    for round_ in range(rounds):
        for key in (b"a", b"b", b"c"):
            producer.produce(topic, key=key, value=b"%d" % round_ * 300, partition=0)
        assert producer.flush(10) == 0  # a batch per round: segments of 4096 bytes roll


def _wait_for_bytes_below(broker, topic: str, limit: int, timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while _topic_log_bytes(broker, topic) >= limit:
        assert time.monotonic() < deadline, f"{topic} not compacted below {limit} bytes"
        time.sleep(0.1)


def test_min_cleanable_dirty_ratio_holds_compaction_back(tmp_path):
    broker = start_broker(
        tmp_path, "--set", "log_compaction_interval_ms=100", "--set", "log_segment_size_min=1024"
    )
    try:
        topic = "dirty"
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        configs = {"cleanup.policy": "compact", "segment.bytes": "4096"}
        admin.create_topics([NewTopic(topic, 1, 1, config=configs)])[topic].result(10)
        _overwrite(broker, topic, rounds=40)
        produced = _topic_log_bytes(broker, topic)
        _wait_for_bytes_below(broker, topic, produced // 2)  # the first pass
        assert put_config(broker, {"min_cleanable_dirty_ratio": 1.0})[0] == 200
        _overwrite(broker, topic, rounds=40)
        held = _topic_log_bytes(broker, topic)
        time.sleep(1.0)  # ten housekeeping periods
        assert _topic_log_bytes(broker, topic) >= held  # dirty share < 1.0: not compacted
        assert put_config(broker, {"min_cleanable_dirty_ratio": 0.0})[0] == 200
        _wait_for_bytes_below(broker, topic, held // 2)
    finally:
        broker.stop()
