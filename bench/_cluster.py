"""Shared pieces of the cluster benchmarks: a single node or a BrokerCluster of real `ailurus`
processes, topic creation with a replication factor (waiting for every partition's leader),
and per-process CPU accounting (user + system of each broker pid, psutil)."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from core.testing.cluster import BrokerCluster
from core.testing.metadata import fetch_metadata

# Cluster properties of the benchmark's nodes: internal topics replicated like user topics
# (Redpanda's internal_topic_replication_factor default 3).
CLUSTER_PROPERTIES = {"default_topic_replications": 3}
TOPIC_TIMEOUT_S = 180.0  # 1,000 partitions RF 3: 25-40 s here, once over 120 s


class Nodes:
    """The broker processes under test: their Kafka ports and psutil handles (node id order)."""

    def __init__(self, cluster: BrokerCluster) -> None:
        self.cluster = cluster
        self.procs = [psutil.Process(node.proc.pid) for node in cluster.nodes if node.proc]

    @property
    def bootstrap(self) -> str:
        return self.cluster.bootstrap

    @property
    def kafka_ports(self) -> list[int]:
        return [node.kafka_port for node in self.cluster.running()]

    def cpu_s(self) -> list[float]:
        """Each broker's CPU seconds so far (user + system); 0.0 for a process that ended."""
        out = []
        for proc in self.procs:
            try:
                t = proc.cpu_times()
                out.append(t.user + t.system)
            except psutil.NoSuchProcess:
                out.append(0.0)
        return out

    def disk_write_mb(self) -> list[float]:
        """Each broker's bytes written to storage so far (psutil io_counters), in MB."""
        out = []
        for proc in self.procs:
            try:
                out.append(proc.io_counters().write_bytes / 1e6)
            except (psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
                out.append(0.0)
        return out

    def runqueue_wait_s(self) -> list[float]:
        """Each broker's seconds spent runnable but waiting for a CPU so far (all its threads,
        /proc/<pid>/task/*/schedstat; 0.0 where unavailable): how much the machine's other
        work delays it."""
        return [_runqueue_wait_s(proc.pid) for proc in self.procs]

    def refresh(self) -> None:
        """Re-read the pids (after a node restart)."""
        self.procs = [psutil.Process(node.proc.pid) for node in self.cluster.nodes if node.proc]


def _runqueue_wait_s(pid: int) -> float:
    total_ns = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total_ns += int(f.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total_ns / 1e9


def machine() -> dict:
    """The machine a benchmark runs on (a result's "machine" entry), read at its start."""
    return {
        "cpus": psutil.cpu_count(),
        "python": platform.python_version(),
        "load_avg_1m_at_start": round(psutil.getloadavg()[0], 2),
    }


def fdatasync_latency_ms(directory: Path, count: int = 200, size: int = 50 * 1024) -> dict:
    """p50/p99/max of one fdatasync after appending `size` bytes to a file in `directory`
    (a batch of ~50 records of 1 KiB): the floor under an acks=all commit, which waits for
    one on the leader and one on a follower."""
    path = directory / "fdatasync-probe"
    data = b"x" * size
    took: list[float] = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for _ in range(count):
            os.write(fd, data)
            started = time.perf_counter()
            os.fdatasync(fd)
            took.append((time.perf_counter() - started) * 1000)
    finally:
        os.close(fd)
        path.unlink()
    took.sort()
    return {q: round(took[min(int(f * count), count - 1)], 2) for q, f in _QUANTILES}


_QUANTILES = (("p50", 0.5), ("p99", 0.99), ("max", 1.0))


def save(result: dict, out_dir: Path, name: str) -> None:
    """Print the result as JSON and write it to out_dir/<name>-<local time>.json."""
    text = json.dumps(result, indent=2)
    print(text)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(text + "\n")


@contextmanager
def running(n: int, base_dir: Path, probe_dir: Path | None = None) -> Iterator[Nodes]:
    """n broker processes forming one cluster (n=1: a cluster of one, as a broker alone);
    with `probe_dir`, each runs under bench._cluster_probe, which writes its records there."""
    cluster = BrokerCluster(n, base_dir, properties=CLUSTER_PROPERTIES if n > 1 else {})
    if probe_dir is not None:
        probe_dir.mkdir(parents=True, exist_ok=True)
        for node in cluster.nodes:
            node.wrapper = [sys.executable, "-m", "bench._cluster_probe", str(probe_dir)]
    try:
        cluster.start(timeout_s=60.0)
        yield Nodes(cluster)
    finally:
        cluster.stop()


def create_topic(nodes: Nodes, topic: str, partitions: int, rf: int) -> float:
    """CreateTopics, then wait until every node's Metadata names a leader for every partition.
    Returns the seconds until then."""
    started = time.perf_counter()
    admin = AdminClient({"bootstrap.servers": nodes.bootstrap})
    new = NewTopic(topic, partitions, rf)
    try:
        admin.create_topics([new], request_timeout=TOPIC_TIMEOUT_S)[topic].result(TOPIC_TIMEOUT_S)
    except (TimeoutError, KafkaException) as exc:
        raise TimeoutError(f"CreateTopics {topic}: {exc!r}\n{nodes.cluster.log_tails()}") from None
    deadline = started + TOPIC_TIMEOUT_S
    while not all(_all_led(port, topic, partitions) for port in nodes.kafka_ports):
        if time.perf_counter() > deadline:
            raise TimeoutError(
                f"{topic}: not every partition has a leader\n" + nodes.cluster.log_tails()
            )
        time.sleep(0.2)
    return time.perf_counter() - started


def _all_led(port: int, topic: str, partitions: int) -> bool:
    try:
        meta = fetch_metadata(port, [topic])
    except (OSError, ValueError):
        return False
    infos = [meta.partitions.get((topic, p)) for p in range(partitions)]
    return all(i is not None and i.leader >= 0 and i.error_code == 0 for i in infos)


def leaders(nodes: Nodes, topic: str, partitions: int) -> dict[int, int]:
    """partition -> leader node id, as the first running node answers."""
    meta = fetch_metadata(nodes.kafka_ports[0], [topic])
    return {p: meta.partition(topic, p).leader for p in range(partitions)}


def per_node(cpu0: list[float], cpu1: list[float], gb: float, seconds: float) -> list[dict]:
    """Each node's CPU over a window: seconds per GB moved and percent of one core."""
    out = []
    for node_id, (a, b) in enumerate(zip(cpu0, cpu1, strict=True)):
        used = b - a
        out.append(
            {
                "node": node_id,
                "cpu_s": round(used, 2),
                "cpu_s_per_gb": round(used / gb, 1) if gb else None,
                "cpu_pct_of_core": round(used / seconds * 100, 1) if seconds else None,
            }
        )
    return out


def deltas(before: list[float], after: list[float]) -> list[float]:
    return [round(b - a, 2) for a, b in zip(before, after, strict=True)]


def spread(values: list[float], digits: int = 2) -> dict:
    """min/median/max of repeated runs, and every value."""
    s = sorted(values)
    if not s:
        return {"runs": []}
    return {
        "min": round(s[0], digits),
        "median": round(s[len(s) // 2], digits),
        "max": round(s[-1], digits),
        "runs": [round(v, digits) for v in values],
    }


def cpu_pressure_us() -> tuple[float, int] | None:
    """(monotonic seconds, microseconds some task waited for a CPU) from Linux PSI, or None."""
    try:
        with open("/proc/pressure/cpu") as f:
            some = f.readline().split()
    except OSError:
        return None
    total = next((int(x[6:]) for x in some if x.startswith("total=")), None)
    return (time.monotonic(), total) if total is not None else None


def pressure_pct(a: tuple[float, int] | None, b: tuple[float, int] | None) -> float | None:
    """Percent of the window in which some runnable task waited for a CPU (other work on the
    machine included): how disturbed a figure measured over the window is."""
    if a is None or b is None or b[0] <= a[0]:
        return None
    return round((b[1] - a[1]) / 1e6 / (b[0] - a[0]) * 100, 1)
