"""The broker started from redpanda.yaml as rpk writes it, and produce with acks=0."""

from __future__ import annotations

import datetime
import subprocess
import sys
import time

import yaml
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kio.schema.api_versions.v3.request import ApiVersionsRequest
from kio.schema.errors import ErrorCode
from kio.schema.produce.v7 import request as produce7

from core.model.records import Record, build_batch
from tests.support.broker import READY
from tests.support.raw_client import RawClient
from tests.support.topics import make_topic
from tests.support.wait import wait_for

DEV_CONTAINER = {
    "auto_create_topics_enabled": True,
    "group_topic_partitions": 3,
    "storage_min_free_bytes": 10485760,
    "topic_partitions_per_shard": 1000,
    "fetch_reads_debounce_timeout": 10,
    "group_initial_rebalance_delay": 0,
    "log_segment_size_min": 1,
    "write_caching_default": "true",
}


def test_starts_from_dev_container_redpanda_yaml(tmp_path):
    config = tmp_path / "redpanda.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "redpanda": {
                    "data_directory": str(tmp_path / "data"),
                    "developer_mode": True,
                    "kafka_api": [{"address": "127.0.0.1", "port": 0}],
                    "admin": [{"address": "127.0.0.1", "port": 0}],
                    "rpc_server": {"address": "127.0.0.1", "port": 0},  # 33145 may be taken
                    **DEV_CONTAINER,
                }
            }
        )
    )
    log = tmp_path / "broker.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "core", "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not READY.search(log.read_text()) and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.05)
        text = log.read_text()
        port = int(READY.search(text).group(3))
        assert "ignoring unknown cluster property 'fetch_reads_debounce_timeout'" in text
        producer = KafkaProducer(bootstrap_servers=f"127.0.0.1:{port}", acks="all")
        assert (
            producer.send("auto-topic", b"cached").get(timeout=10).offset == 0
        )  # auto-created, write caching
        producer.close()
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0


def test_acks_0_gets_no_response_and_the_connection_stays_in_step(broker):
    make_topic(broker.bootstrap, "fire")
    client = RawClient(broker.kafka_port)
    for i in range(3):
        batch = build_batch([Record(key=None, value=b"f%d" % i)])
        client.send_request(
            produce7.ProduceRequest(
                transactional_id=None,
                acks=0,
                timeout=datetime.timedelta(seconds=5),
                topic_data=(
                    produce7.TopicProduceData(
                        name="fire",
                        partition_data=(
                            produce7.PartitionProduceData(index=0, records=bytes(batch)),
                        ),
                    ),
                ),
            )
        )
    resp = client.request(ApiVersionsRequest(client_software_name="t", client_software_version="1"))
    assert resp.error_code == ErrorCode.none  # the next frame is ApiVersions' own answer
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap)
    tp = TopicPartition("fire", 0)
    wait_for(lambda: consumer.end_offsets([tp])[tp] >= 3, "3 records", timeout_s=5, interval_s=0.05)
    assert consumer.end_offsets([tp])[tp] == 3
    consumer.close()


def test_seastar_flags_from_rpk_are_accepted_and_reported(broker_factory):
    b = broker_factory(
        "--overprovisioned",
        "--reserve-memory",
        "0M",
        "--unsafe-bypass-fsync",
        "false",
        "--smp",
        "1",
        name="seastar",
    )
    producer = KafkaProducer(bootstrap_servers=b.bootstrap)
    producer.close()
    assert "ignoring Seastar flag --reserve-memory=0M" in b.log_text()
    assert "ignoring Seastar flag --overprovisioned=true" in b.log_text()
