"""Start-up and footprint: time from exec until the Kafka port listens and until the first
Metadata request is answered (empty data directory), idle RSS, RSS per 1,000 partitions, and
restart time (clean shutdown) over N partitions and over a large log. Prints JSON.

Besides wall times (noisy on a shared machine) each start reports `cpu_s`, the CPU seconds the
broker used until its first Metadata answer, which load changes far less. The broker runs
with bytecode caching on, as an installed wheel does (pip compiles it): with
PYTHONDONTWRITEBYTECODE set in the environment every start would compile each module again
(about 0.2 CPU-s), so the bench removes it for the broker and compiles once before timing.
`baseline_python_exec_s` is the same run's floor: exec of this Python doing nothing.

The restarts follow a clean shutdown. User partitions open in the background after the first
Metadata answer: each restart also reports `all_led_s`, until Metadata names a leader for every
one, and `all_led_cpu_s`. Partitions are counted as created once Metadata names a
leader for each (CreateTopics answers before the replicas open). The large log is written with
the storage API into a stopped broker's partition (1 MiB batches, far faster than producing
them); a first start and clean stop make it a broker's own (producer snapshot, index files;
`first_start` replays every batch, as after a crash with no snapshot), then `restart` is timed.

    .venv/bin/python -m bench.startup [--partitions 2000] [--log-mb 1024] [--runs 3]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench import kafka_load
from core.testing.process import BrokerProcess

POLL_S = 0.002
TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _metadata_v0() -> bytes:
    client = b"bench"
    body = struct.pack(">hhih", 3, 0, 1, len(client)) + client + struct.pack(">i", 0)
    return struct.pack(">i", len(body)) + body


def _metadata_answered(port: int) -> bool:
    """True once a Metadata v0 request gets a whole response."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(_metadata_v0())
            head = s.recv(4, socket.MSG_WAITALL)
            return len(head) == 4 and struct.unpack(">i", head)[0] > 0
    except OSError:
        return False


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def timed_start(data_dir: Path, port: int, extra: list[str]) -> tuple[subprocess.Popen, dict]:
    """Exec a broker and poll: seconds until the port listens and until Metadata is answered."""
    cmd = [
        sys.executable,
        "-m",
        "core",
        "--data-dir",
        str(data_dir),
        "--kafka-addr",
        f"127.0.0.1:{port}",
        "--admin-addr",
        "127.0.0.1:0",
        "--rpc-addr",
        "127.0.0.1:0",
        *extra,
    ]
    log = open(data_dir.parent / f"{data_dir.name}.log", "ab")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
    )
    log.close()
    listening_s = None
    deadline = started + TIMEOUT_S
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            tail = Path(log.name).read_text(errors="replace")[-2000:]
            raise RuntimeError(f"broker exited with {proc.returncode}:\n{tail}")
        if listening_s is None and _listening(port):
            listening_s = time.perf_counter() - started
        if listening_s is not None and _metadata_answered(port):
            ready_s = time.perf_counter() - started
            cpu = psutil.Process(proc.pid).cpu_times()
            return proc, {
                "listening_s": round(listening_s, 3),
                "metadata_s": round(ready_s, 3),
                "cpu_s": round(cpu.user + cpu.system, 3),
            }
        time.sleep(POLL_S)
    proc.kill()
    raise TimeoutError(f"broker not ready within {TIMEOUT_S}s")


def stop(proc: subprocess.Popen) -> float:
    """SIGTERM and wait; seconds the clean shutdown took."""
    started = time.perf_counter()
    proc.terminate()
    proc.wait(timeout=TIMEOUT_S * 5)
    return round(time.perf_counter() - started, 2)


def rss_mb(proc: subprocess.Popen) -> float:
    return round(psutil.Process(proc.pid).memory_info().rss / 1e6, 1)


def cold_starts(tmp: Path, runs: int) -> dict:
    samples = []
    rss = []
    for run in range(runs):
        data = tmp / f"cold-{run}"
        data.mkdir()
        proc, timing = timed_start(data, free_port(), [])
        time.sleep(1.0)  # idle: whatever starts after ready has started
        rss.append(rss_mb(proc))
        stop(proc)
        samples.append(timing)
    return {
        "listening_s": statistics.median(s["listening_s"] for s in samples),
        "metadata_s": statistics.median(s["metadata_s"] for s in samples),
        "metadata_s_range": [
            min(s["metadata_s"] for s in samples),
            max(s["metadata_s"] for s in samples),
        ],
        "cpu_s": statistics.median(s["cpu_s"] for s in samples),
        "runs": samples,
        "idle_rss_mb": statistics.median(rss),
        "idle_rss_mb_range": [min(rss), max(rss)],
    }


def interpreter_floor_s(runs: int) -> float:
    """The same run's baseline: seconds to exec this Python and exit (`-c pass`), which no
    Python broker can start under."""
    samples = []
    for _ in range(max(runs, 3)):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        samples.append(time.perf_counter() - started)
    return round(statistics.median(samples), 3)


def compile_sources() -> None:
    """Bytecode for the broker's packages, as `pip install` leaves it (see the docstring)."""
    root = Path(__file__).resolve().parent.parent
    for package in ("core", "admin_api"):
        compileall.compile_dir(root / package, quiet=1)


TOPIC_PARTITIONS_MAX = 1000  # one CreateTopics request stays well within client timeouts


def create_topics(bootstrap: str, prefix: str, partitions: int) -> None:
    """`partitions` partitions over topics of at most TOPIC_PARTITIONS_MAX each."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 300_000})
    for start in range(0, partitions, TOPIC_PARTITIONS_MAX):
        name = f"{prefix}-{start // TOPIC_PARTITIONS_MAX}"
        count = min(TOPIC_PARTITIONS_MAX, partitions - start)
        future = admin.create_topics([NewTopic(name, count, 1)], request_timeout=600)[name]
        future.result(600)


def await_led(bootstrap: str, partitions: int) -> None:
    """Until Metadata names a leader for `partitions` partitions (CreateTopics answers before
    the replicas open: stopping sooner would leave the restart to create them). One topic is
    asked for at a time, each until it is led (a Metadata answer over every partition costs
    the broker tens of CPU-ms: polling it would slow what it measures)."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.perf_counter() + TIMEOUT_S * 5
    names = [t for t in admin.list_topics(timeout=60).topics if not t.startswith("__")]
    led_topics = 0
    for name in sorted(names):
        while time.perf_counter() < deadline:
            topic = admin.list_topics(topic=name, timeout=60).topics[name]
            if topic.partitions and all(p.leader >= 0 for p in topic.partitions.values()):
                led_topics += len(topic.partitions)
                break
            time.sleep(0.1)
    if led_topics < partitions:
        raise TimeoutError(f"fewer than {partitions} partitions led ({led_topics})")


def timed_restart(data_dir: Path, partitions: int) -> dict:
    """A start's times to the first Metadata and until every user partition is led (they
    open in the background after ready), the CPU used by each point, then the stop's time."""
    port = free_port()
    proc, timing = timed_start(data_dir, port, [])
    ready = time.perf_counter()
    await_led(f"127.0.0.1:{port}", partitions)
    timing["all_led_s"] = round(timing["metadata_s"] + time.perf_counter() - ready, 3)
    cpu = psutil.Process(proc.pid).cpu_times()
    timing["all_led_cpu_s"] = round(cpu.user + cpu.system, 3)
    timing["stop_s"] = stop(proc)
    return timing


def partitions_figures(tmp: Path, partitions: int) -> dict:
    """RSS per 1,000 partitions, and start and stop times over `partitions` empty partitions
    after a clean shutdown."""
    broker = BrokerProcess(tmp / "many").start()
    try:
        time.sleep(1.0)
        before = psutil.Process(broker.proc.pid).memory_info().rss
        created = time.perf_counter()
        create_topics(broker.bootstrap, "many", partitions)
        await_led(broker.bootstrap, partitions)
        created_s = time.perf_counter() - created
        time.sleep(1.0)
        after = psutil.Process(broker.proc.pid).memory_info().rss
    finally:
        broker.stop(timeout_s=TIMEOUT_S * 5)
    timing = timed_restart(broker.data_dir, partitions)
    return {
        "partitions": partitions,
        "create_s": round(created_s, 2),
        "rss_mb_per_1000_partitions": round((after - before) / 1e6 * 1000 / partitions, 1),
        "restart": timing,
    }


BATCH_RECORDS = 64
RECORD_BYTES = 16 * 1024  # 1 MiB batches


def write_log(directory: Path, log_mb: int) -> int:
    """Append `log_mb` MiB of 1 MiB batches to the stopped broker's partition log in
    `directory` with the storage API (far faster than producing them), in its Raft term, as
    the broker's own log under its clean-shutdown record; the bytes written."""
    from core.common.clock import SystemClock
    from core.model.records import Record, build_batch
    from core.raft.hard_state import STATE_FILE
    from core.storage.kvstore import KvStore
    from core.storage.log import KVSTORE_NAME, DiskLog, LogConfig

    stored = KvStore.open(directory / KVSTORE_NAME).get("raft") or {}
    from_file = directory / STATE_FILE
    term = max(
        stored.get("term", 0),
        json.loads(from_file.read_bytes()).get("term", 0) if from_file.exists() else 0,
    )
    value = os.urandom(RECORD_BYTES)
    log = DiskLog.open(directory, LogConfig(), SystemClock(), clean=True)
    written = 0
    for _ in range(log_mb):
        stamp = int(time.time() * 1000)
        batch = build_batch([Record(None, value, timestamp_ms=stamp)] * BATCH_RECORDS)
        log.append(batch, term)
        written += len(batch)
        if log.next_offset % (BATCH_RECORDS * 64) == 0:
            log.flush()  # bounded dirty pages
    log.close()
    return written


def large_log_figures(tmp: Path, log_mb: int) -> dict:
    """Start time after a clean shutdown over one partition holding `log_mb` MiB: the log is
    written with the storage API into a stopped broker's partition, then one start and clean
    stop leave it as a broker's own (producer snapshot, index files), then the timed start."""
    broker = BrokerProcess(tmp / "large").start()
    try:
        kafka_load.create_topic(broker.bootstrap, "large", 1)
        await_led(broker.bootstrap, 1)
    finally:
        broker.stop(timeout_s=TIMEOUT_S * 5)
    (directory,) = (broker.data_dir / "kafka" / "large").iterdir()
    started = time.perf_counter()
    written = write_log(directory, log_mb)
    write_s = time.perf_counter() - started
    first = timed_restart(broker.data_dir, 1)
    timing = timed_restart(broker.data_dir, 1)
    return {
        "log_mb": round(written / 2**20),
        "write_s": round(write_s, 1),
        "first_start": first,
        "restart": timing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.startup")
    parser.add_argument("--runs", type=int, default=3, help="cold starts (median reported)")
    parser.add_argument("--partitions", type=int, default=2000)
    parser.add_argument("--log-mb", type=int, default=1024, help="MiB in the large log")
    parser.add_argument("--skip", action="append", default=[], choices=["partitions", "log"])
    args = parser.parse_args()
    compile_sources()
    with tempfile.TemporaryDirectory(prefix="ailurus-bench-startup-", dir=".") as tmp:
        tmp_path = Path(tmp)
        result: dict = {"cold_start": cold_starts(tmp_path, args.runs)}
        result["cold_start"]["baseline_python_exec_s"] = interpreter_floor_s(args.runs)
        if "partitions" not in args.skip:
            result["partitions"] = partitions_figures(tmp_path, args.partitions)
        if "log" not in args.skip:
            result["large_log"] = large_log_figures(tmp_path, args.log_mb)
    print(json.dumps({"startup": result}, indent=2))


if __name__ == "__main__":
    main()
