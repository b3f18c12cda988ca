"""Client quotas enforced on a real broker: produce and fetch byte rates per client id, per
client-id prefix and by default, answered with throttle_time_ms and the connection muted (no
request read from it) for that long, as Kafka does; clients without a quota are not slowed."""

from __future__ import annotations

import time

import pytest
from kio.schema.metadata.v1 import request as metadata1

from core.model.records import Record, build_batch
from tests.support.batches import partition_response, produce_request
from tests.support.broker import start_broker
from tests.support.raw_client import RawClient, fetch_v11
from tests.support.rpk import run_in_process
from tests.support.topics import make_topic

RATE = 20_000  # bytes per second


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    proc = start_broker(tmp_path_factory.mktemp("quotas"))
    yield proc
    proc.stop()


def rpk(broker, *args: str):
    # generous timeouts: the shared 2-core machine is often loaded
    env = {
        "RPK_BROKERS": broker.bootstrap,
        "RPK_GLOBALS_DIAL_TIMEOUT": "15s",
        "RPK_GLOBALS_REQUEST_TIMEOUT_OVERHEAD": "15s",
    }
    result = run_in_process(["cluster", "quotas", *args], env)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout


def set_quota(broker, entity_flag: str, key: str, value: int) -> None:
    flag, _, name = entity_flag.partition(" ")
    rpk(broker, "alter", "--add", f"{key}={value}", flag, name)


def batch(size: int) -> bytes:
    return bytes(build_batch([Record(key=None, value=b"x" * size)]))


def throttle_ms(response) -> int:
    return int(response.throttle_time.total_seconds() * 1000)


def test_produce_over_quota_is_throttled_and_the_connection_muted(broker):
    make_topic(broker.bootstrap, "q-produce")
    set_quota(broker, "--name client-id=slow-producer", "producer_byte_rate", RATE)
    client = RawClient(broker.kafka_port)
    try:
        first = client.request(
            produce_request("q-produce", batch(10_000)), client_id="slow-producer"
        )
        assert partition_response(first).error_code == 0
        assert throttle_ms(first) == 0  # within the one-second burst
        second = client.request(
            produce_request("q-produce", batch(50_000)), client_id="slow-producer"
        )
        assert partition_response(second).error_code == 0  # appended all the same
        owed = throttle_ms(second)
        assert 1_500 <= owed <= 2_500, owed  # ~40 KB of debt at 20 KB/s
        started = time.monotonic()
        client.request(metadata1.MetadataRequest(topics=()), client_id="slow-producer")
        muted_s = time.monotonic() - started
        assert muted_s >= owed / 1000 - 0.2, (muted_s, owed)
    finally:
        client.close()


def test_other_clients_are_not_throttled(broker):
    make_topic(broker.bootstrap, "q-free")
    client = RawClient(broker.kafka_port)
    try:
        for _ in range(3):
            response = client.request(produce_request("q-free", batch(100_000)), client_id="free")
            assert throttle_ms(response) == 0
    finally:
        client.close()


def test_prefix_quota_is_shared_by_its_clients(broker):
    make_topic(broker.bootstrap, "q-prefix")
    set_quota(broker, "--name client-id-prefix=team-", "producer_byte_rate", RATE)
    a, b = RawClient(broker.kafka_port), RawClient(broker.kafka_port)
    try:
        r1 = a.request(produce_request("q-prefix", batch(15_000)), client_id="team-a")
        r2 = b.request(produce_request("q-prefix", batch(15_000)), client_id="team-b")
        assert throttle_ms(r1) == 0
        assert 200 <= throttle_ms(r2) <= 800, throttle_ms(r2)  # one budget for both
    finally:
        a.close()
        b.close()


def test_fetch_over_quota_is_throttled_then_answered_empty_while_in_debt(broker):
    make_topic(broker.bootstrap, "q-fetch")
    writer = RawClient(broker.kafka_port)
    for _ in range(4):
        writer.request(produce_request("q-fetch", batch(20_000)), client_id="writer")
    writer.close()
    set_quota(broker, "--default client-id", "consumer_byte_rate", RATE)
    client = RawClient(broker.kafka_port)
    try:
        first = client.request(fetch_v11("q-fetch"), client_id="slow-consumer")
        answered = time.monotonic()  # the mute runs from the response
        records = first.responses[0].partitions[0].records
        assert records is not None and len(records) > 60_000
        owed = throttle_ms(first)
        assert 2_000 <= owed <= 4_000, owed  # ~60 KB over the burst at 20 KB/s
        twin = RawClient(broker.kafka_port)  # same client id, another connection: in debt
        try:
            started = time.monotonic()
            empty = twin.request(fetch_v11("q-fetch"), client_id="slow-consumer")
            assert time.monotonic() - started < 1.0  # answered at once ...
            assert empty.responses == () and throttle_ms(empty) > 1_000  # ... without records
        finally:
            twin.close()
        second = client.request(fetch_v11("q-fetch"), client_id="slow-consumer")
        assert time.monotonic() - answered >= owed / 1000 - 0.2  # muted until repaid
        assert second.responses[0].partitions[0].records  # then served again
    finally:
        client.close()
    other = RawClient(broker.kafka_port)
    try:  # the default gives every client id its own budget
        response = other.request(fetch_v11("q-fetch", max_bytes=15_000), client_id="another")
        assert throttle_ms(response) < 500  # one 20 KB batch against its own 20 KB burst
    finally:
        other.close()


def test_confluent_kafka_producer_is_held_to_its_quota(broker):
    confluent_kafka = pytest.importorskip("confluent_kafka")
    make_topic(broker.bootstrap, "q-librdkafka")
    set_quota(broker, "--name client-id=rdkafka-slow", "producer_byte_rate", RATE)
    throttles: list[int] = []
    producer = confluent_kafka.Producer(
        {
            "bootstrap.servers": broker.bootstrap,
            "client.id": "rdkafka-slow",
            "linger.ms": 5,
            "batch.size": 8_000,
            "throttle_cb": lambda event: throttles.append(int(event.throttle_time * 1000)),
        }
    )
    started = time.monotonic()
    for _ in range(80):  # 80 KB
        producer.produce("q-librdkafka", b"y" * 1_000)
        producer.poll(0)
    assert producer.flush(30) == 0
    elapsed = time.monotonic() - started
    producer.poll(0.5)
    # 80 KB at 20 KB/s with a one-second burst: about three seconds at least
    assert elapsed >= 2.0, elapsed
    assert throttles and max(throttles) > 0


def test_old_produce_versions_get_the_response_after_the_throttle_time(broker):
    make_topic(broker.bootstrap, "q-old")
    set_quota(broker, "--name client-id=old-producer", "producer_byte_rate", RATE)
    client = RawClient(broker.kafka_port)
    try:
        client.request(produce_request("q-old", batch(20_000), version=3), client_id="old-producer")
        started = time.monotonic()
        late = client.request(
            produce_request("q-old", batch(20_000), version=3), client_id="old-producer"
        )
        owed = throttle_ms(late)
        assert owed >= 800
        assert time.monotonic() - started >= owed / 1000 - 0.2  # Produce v3: delayed by Kafka
    finally:
        client.close()


def test_quotas_are_replicated_state_and_survive_a_restart(broker):
    set_quota(broker, "--name client-id=persisted", "consumer_byte_rate", 123_456)
    broker.restart()
    out = rpk(broker, "describe", "--name", "client-id=persisted")
    assert out == "client-id=persisted\n\tconsumer_byte_rate=123456\n"


def test_invalid_alterations_are_refused_per_entry_and_dry_runs_store_nothing(broker):
    out = rpk(broker, "alter", "--add", "nonsense=1", "--name", "client-id=bad")
    assert "Error: Invalid configuration key nonsense" in out  # Redpanda's text
    out = rpk(broker, "alter", "--add", "producer_byte_rate=0", "--name", "client-id=bad")
    assert "must be a positive integer" in out
    out = rpk(broker, "alter", "--add", "producer_byte_rate=1", "--name", "user=u")
    assert "user=u" in out and "Entity type 'user' not yet supported" in out
    out = rpk(broker, "alter", "--dry", "--add", "producer_byte_rate=5", "--name", "client-id=dry")
    assert out.splitlines()[1].split() == ["client-id=dry", "OK"]
    assert rpk(broker, "describe", "--name", "client-id=dry") == "no quotas matched to describe\n"
    assert rpk(broker, "describe", "--name", "client-id=bad") == "no quotas matched to describe\n"


def test_max_kafka_throttle_delay_ms_caps_the_throttle(broker):
    make_topic(broker.bootstrap, "q-cap")
    set_quota(broker, "--name client-id=capped", "producer_byte_rate", 10_000)
    env = {"RPK_ADMIN_HOSTS": f"127.0.0.1:{broker.admin_port}"}
    cap = ["cluster", "config", "set", "max_kafka_throttle_delay_ms"]
    assert run_in_process([*cap, "700"], env).exit_code == 0
    client = RawClient(broker.kafka_port)
    try:
        response = client.request(produce_request("q-cap", batch(100_000)), client_id="capped")
        assert throttle_ms(response) == 700  # ~9 s owed, capped live
    finally:
        client.close()
        assert run_in_process([*cap, "30000"], env).exit_code == 0


def test_node_throughput_limits_are_shared_by_every_client(broker):
    make_topic(broker.bootstrap, "q-node")
    env = {"RPK_ADMIN_HOSTS": f"127.0.0.1:{broker.admin_port}"}
    limit_in = ["cluster", "config", "set", "kafka_throughput_limit_node_in_bps"]
    limit_out = ["cluster", "config", "set", "kafka_throughput_limit_node_out_bps"]
    assert run_in_process([*limit_in, "20000"], env).exit_code == 0
    assert run_in_process([*limit_out, "20000"], env).exit_code == 0
    a, b = RawClient(broker.kafka_port), RawClient(broker.kafka_port)
    try:
        first = a.request(produce_request("q-node", batch(15_000)), client_id="node-a")
        second = b.request(produce_request("q-node", batch(15_000)), client_id="node-b")
        assert throttle_ms(first) == 0
        assert 200 <= throttle_ms(second) <= 800, throttle_ms(second)  # one budget for both
        read = a.request(fetch_v11("q-node"), client_id="node-a")
        assert throttle_ms(read) >= 200  # ~30 KB out against 20 KB/s
    finally:
        a.close()
        b.close()
        assert run_in_process([*limit_in, ""], env).exit_code == 0
        assert run_in_process([*limit_out, ""], env).exit_code == 0
    c = RawClient(broker.kafka_port)
    try:  # unlimited again
        after = c.request(produce_request("q-node", batch(50_000)), client_id="node-c")
        assert throttle_ms(after) == 0
    finally:
        c.close()


def test_an_entity_naming_one_type_twice_is_refused_per_entry(broker):
    """Found by the generated-request fuzz: a default (null) and a named component of the same
    type made the handler fail (UNKNOWN_SERVER_ERROR); it is a per-entry refusal."""
    from kio.schema.alter_client_quotas.v0 import request as acq
    from kio.schema.errors import ErrorCode

    bad = acq.EntryData(
        entity=(
            acq.EntityData(entity_type="client-id", entity_name=None),
            acq.EntityData(entity_type="client-id", entity_name="x"),
        ),
        ops=(acq.OpData(key="producer_byte_rate", value=1000.0, remove=False),),
    )
    client = RawClient(broker.kafka_port)
    try:
        response = client.request(acq.AlterClientQuotasRequest(entries=(bad,), validate_only=True))
    finally:
        client.close()
    [entry] = response.entries
    assert entry.error_code not in (ErrorCode.none, ErrorCode.unknown_server_error)
    assert "Traceback" not in broker.log_text()
