"""The pytest plugin (core.testing.plugin, the `ailurus` pytest11 entry point), as a user's test
suite meets it: a suite in a temporary directory run by pytest in a subprocess, driving the
`kafka_broker` and `kafka_topic` fixtures with confluent-kafka, kafka-python and aiokafka, alone
and under pytest-xdist; afterwards no broker process is left and its data directory is gone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil

from tests.support.wait import wait_for

RUN_TIMEOUT_S = 240

CLIENT_TESTS = """
import asyncio
import json
import os
import time
from pathlib import Path

import confluent_kafka as ck
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kafka import KafkaConsumer, KafkaProducer


def _note(broker):
    out = Path(os.environ["AILURUS_PLUGIN_NOTES"])
    note = {"pid": broker.pid, "data_dir": str(broker.data_dir)}
    (out / f"{broker.pid}.json").write_text(json.dumps(note))


def test_confluent_kafka(kafka_broker, kafka_topic):
    _note(kafka_broker)
    topic = kafka_topic(partitions=3)
    producer = ck.Producer({"bootstrap.servers": kafka_broker.bootstrap_servers})
    producer.produce(topic, b"hello", key=b"k")
    assert producer.flush(30) == 0
    consumer = ck.Consumer(
        {
            "bootstrap.servers": kafka_broker.bootstrap_servers,
            "group.id": topic,
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    deadline = time.monotonic() + 60
    msg = None
    while msg is None and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
    consumer.close()
    assert msg is not None and msg.error() is None and msg.value() == b"hello"


def test_kafka_python(kafka_broker, kafka_topic):
    topic = kafka_topic(config={"cleanup.policy": "compact"})
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap_servers)
    producer.send(topic, key=b"k", value=b"v").get(timeout=30)
    producer.close()
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=kafka_broker.bootstrap_servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=30_000,
    )
    assert next(iter(consumer)).value == b"v"
    consumer.close()


def test_aiokafka(kafka_broker, kafka_topic):
    topic = kafka_topic()

    async def roundtrip():
        producer = AIOKafkaProducer(bootstrap_servers=kafka_broker.bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"async")
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=kafka_broker.bootstrap_servers,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            return await asyncio.wait_for(consumer.getone(), 30)
        finally:
            await consumer.stop()

    assert asyncio.run(roundtrip()).value == b"async"


def test_http_listeners(kafka_broker, kafka_topic):
    _note(kafka_broker)
    topic = kafka_topic()
    assert httpx.get(kafka_broker.admin_url + "/v1/status/ready").status_code == 200
    topics = httpx.get(kafka_broker.proxy_url + "/topics").json()
    assert topic in topics
    assert httpx.get(kafka_broker.schema_registry_url + "/subjects").json() == []
"""

START_FAILURE_TEST = """
def test_broker_that_does_not_start(kafka_broker_factory):
    kafka_broker_factory(extra_args=["--node-id", "not-a-number"])
"""

SLOW_TEST = """
import json
import os
import time
from pathlib import Path


def test_interrupted(kafka_broker):
    out = Path(os.environ["AILURUS_PLUGIN_NOTES"])
    note = {"pid": kafka_broker.pid, "data_dir": str(kafka_broker.data_dir)}
    (out / f"{kafka_broker.pid}.json").write_text(json.dumps(note))
    time.sleep(120)
"""


def _suite(tmp_path: Path, **files: str) -> tuple[Path, Path]:
    suite = tmp_path / "suite"
    notes = tmp_path / "notes"
    suite.mkdir()
    notes.mkdir()
    (suite / "pytest.ini").write_text(
        "[pytest]\nailurus_cluster_properties =\n    log_segment_size=1048576\n"
    )
    for name, text in files.items():
        (suite / f"{name}.py").write_text(textwrap.dedent(text))
    return suite, notes


def _pytest(suite: Path, notes: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, AILURUS_PLUGIN_NOTES=str(notes))
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=suite,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Ctrl-C must reach it even when this run was started in the background (a shell
        # starts background jobs with SIGINT ignored, and Python keeps an ignored SIGINT)
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _run(suite: Path, notes: Path, *args: str) -> tuple[int, str]:
    proc = _pytest(suite, notes, *args)
    out, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
    return proc.returncode, out


def _assert_cleaned_up(notes: Path, brokers: int) -> None:
    seen = [json.loads(p.read_text()) for p in notes.glob("*.json")]
    assert len(seen) == brokers, seen
    for note in seen:
        assert not psutil.pid_exists(note["pid"]) or psutil.Process(note["pid"]).status() in (
            psutil.STATUS_ZOMBIE,
            psutil.STATUS_DEAD,
        ), note
        assert not Path(note["data_dir"]).exists(), note


def test_plugin_under_xdist_one_broker_per_worker(tmp_path):
    suite, notes = _suite(tmp_path, test_clients=CLIENT_TESTS)
    code, out = _run(suite, notes, "-n", "2")
    assert code == 0, out
    assert "4 passed" in out, out
    _assert_cleaned_up(notes, brokers=2)


def test_plugin_alone_and_a_broker_that_does_not_start(tmp_path):
    suite, notes = _suite(tmp_path, test_clients=CLIENT_TESTS, test_start=START_FAILURE_TEST)
    code, out = _run(suite, notes)
    assert code == 1, out
    assert "4 passed" in out and "1 failed" in out, out
    # the failing test shows the broker's own last lines
    assert "did not start" in out and "--node-id: invalid int value" in out, out
    _assert_cleaned_up(notes, brokers=1)


def test_interrupted_run_leaves_no_broker_behind(tmp_path):
    suite, notes = _suite(tmp_path, test_slow=SLOW_TEST)
    proc = _pytest(suite, notes)
    wait_for(lambda: list(notes.glob("*.json")), "the broker to start", 120)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=RUN_TIMEOUT_S)
    _assert_cleaned_up(notes, brokers=1)
