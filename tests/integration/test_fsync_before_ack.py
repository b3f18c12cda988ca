"""acks=all is acknowledged only after the data is fdatasync'ed: checked on the broker's
own system calls, traced with strace. With write caching on, the same check must fail,
which shows the test can tell the difference."""

from __future__ import annotations

import datetime
import re
import shutil
import signal
from pathlib import Path

import psutil
import pytest
from kio.schema.create_topics.v7 import request as ct
from kio.schema.errors import ErrorCode
from kio.schema.produce.v7 import request as produce7

from core.model.records import Record, build_batch
from tests.support.broker import BrokerProcess
from tests.support.raw_client import RawClient

REQUESTS = 20
SYSCALL = re.compile(r"^(\d+)\s+(?:<\.\.\. )?(\w+)(?: resumed>|\()(.*)$")
pytestmark = pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")


def traced_broker(tmp_path: Path) -> tuple[BrokerProcess, Path]:
    trace = tmp_path / "trace.txt"
    wrapper = [
        "strace",
        "-f",
        "-yy",
        "-s",
        "0",
        "-e",
        "trace=write,writev,pwrite64,fdatasync,fsync,sendto,sendmsg",
        "-o",
        str(trace),
    ]
    return BrokerProcess(tmp_path / "data", wrapper=wrapper).start(timeout_s=60), trace


def stop_traced(broker: BrokerProcess) -> None:
    """SIGTERM the traced broker itself (strace does not pass its own signals on), then reap strace."""
    for child in psutil.Process(broker.proc.pid).children():
        child.send_signal(signal.SIGTERM)
    broker.proc.wait(timeout=30)


def produce_sequentially(broker: BrokerProcess, topic: str, configs: tuple = ()) -> None:
    client = RawClient(broker.kafka_port)
    created = client.request(
        ct.CreateTopicsRequest(
            topics=(
                ct.CreatableTopic(
                    name=topic,
                    num_partitions=1,
                    replication_factor=1,
                    assignments=(),
                    configs=tuple(ct.CreatableTopicConfig(name=k, value=v) for k, v in configs),
                ),
            ),
            timeout=datetime.timedelta(seconds=10),
            validate_only=False,
        )
    )
    assert created.topics[0].error_code == ErrorCode.none
    for i in range(REQUESTS):
        batch = build_batch([Record(key=None, value=b"durable-%d" % i)])
        resp = client.request(
            produce7.ProduceRequest(
                transactional_id=None,
                acks=-1,
                timeout=datetime.timedelta(seconds=10),
                topic_data=(
                    produce7.TopicProduceData(
                        name=topic,
                        partition_data=(
                            produce7.PartitionProduceData(index=0, records=bytes(batch)),
                        ),
                    ),
                ),
            )
        )
        assert resp.responses[0].partition_responses[0].base_offset == i
    client.close()


def acks_before_fsync(trace: Path, topic: str) -> tuple[int, int]:
    """(responses checked, responses sent before their batch was fdatasync'ed). strace -f
    splits a syscall another thread interleaves with into `<unfinished ...>` (which names the
    fd's path) and `<... resumed>` (which does not): an fdatasync counts when it completes,
    and only for the segment writes made before it began."""
    segment = f"/kafka/{topic}/0_"
    writes = synced = 0  # segment writes begun; writes covered by a completed fdatasync
    sync_began: dict[str, int] = {}  # pid -> writes when its segment fdatasync began
    responded = 0  # writes covered by the responses sent so far
    checked = early = 0
    for line in trace.read_text().splitlines():
        m = SYSCALL.match(line)
        if not m:
            continue
        pid, name, rest = m.group(1), m.group(2), m.group(3)
        resumed = "resumed>" in line
        if name in ("fdatasync", "fsync"):
            if not resumed and segment in rest:
                sync_began[pid] = writes
            if "unfinished" not in line and pid in sync_began:
                synced = max(synced, sync_began.pop(pid))
        elif resumed:
            continue
        elif name in ("write", "writev", "pwrite64") and segment in rest and ".log>" in rest:
            writes += 1
        elif name in ("sendto", "sendmsg", "write") and "TCP:[" in rest and writes > responded:
            checked += 1
            early += 0 if synced >= writes else 1
            responded = writes
    return checked, early


def test_acks_all_responses_follow_fdatasync(tmp_path):
    broker, trace = traced_broker(tmp_path)
    try:
        produce_sequentially(broker, "durable")
    finally:
        stop_traced(broker)
    checked, early = acks_before_fsync(trace, "durable")
    assert checked == REQUESTS
    assert early == 0


def test_the_check_detects_acks_before_fsync_under_write_caching(tmp_path):
    broker, trace = traced_broker(tmp_path)
    try:
        produce_sequentially(broker, "cached", configs=(("write.caching", "true"),))
    finally:
        stop_traced(broker)
    checked, early = acks_before_fsync(trace, "cached")
    assert checked == REQUESTS
    assert early > 0
