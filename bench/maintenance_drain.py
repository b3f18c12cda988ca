"""Time to drain the leaders off a node in maintenance mode (issue 11): three nodes, a topic
of N partitions (default 300) RF 3 whose leaderships are all moved to node 0 through the
Admin API (8 transfers at a time; the leader balancer is off); then PUT
/v1/brokers/0/maintenance and the time until (a) the Admin API of another node reports the
drain finished, (b) every node's Metadata names a leader other than node 0 for every
partition. Repeated `--runs` times (maintenance off, the leaderships back on node 0, again).

    .venv/bin/python -m bench.maintenance_drain [--partitions 300] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import _cluster
from core.testing.cluster import BrokerCluster
from core.testing.metadata import fetch_metadata

TOPIC = "drain"
DRAIN_TIMEOUT_S = 120.0
TRANSFER_THREADS = 8


def admin(method: str, port: int, path: str, timeout_s: float = 30.0) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def led_by(cluster: BrokerCluster, node: int, asked: int, partitions: int) -> int:
    meta = fetch_metadata(cluster.nodes[asked].kafka_port, [TOPIC], timeout_s=10.0)
    return sum(1 for p in range(partitions) if meta.partition(TOPIC, p).leader == node)


def wait(predicate, what: str, timeout_s: float = DRAIN_TIMEOUT_S) -> float:
    started = time.perf_counter()
    while not predicate():
        if time.perf_counter() - started > timeout_s:
            raise TimeoutError(what)
        time.sleep(0.05)
    return time.perf_counter() - started


def one_run(cluster: BrokerCluster, partitions: int) -> dict:
    other = cluster.nodes[1].admin_port
    before = led_by(cluster, 0, 1, partitions)
    started = time.perf_counter()
    assert admin("PUT", other, "/v1/brokers/0/maintenance")[0] == 200

    def finished() -> bool:
        status = admin("GET", other, "/v1/brokers/0")[1].get("maintenance_status", {})
        return bool(status.get("finished"))

    wait(finished, "drain finished")
    drained_s = time.perf_counter() - started
    wait(lambda: all(led_by(cluster, 0, n, partitions) == 0 for n in range(3)), "metadata")
    metadata_s = time.perf_counter() - started
    assert admin("DELETE", other, "/v1/brokers/0/maintenance")[0] == 200
    return {"leaders_before": before, "drain_finished_s": drained_s, "metadata_s": metadata_s}


def lead_again(cluster: BrokerCluster, partitions: int) -> float:
    """Every leadership to node 0 (Admin API transfers, TRANSFER_THREADS at a time)."""
    started = time.perf_counter()
    port = cluster.nodes[0].admin_port

    def send(p: int) -> None:
        admin("POST", port, f"/v1/partitions/kafka/{TOPIC}/{p}/transfer_leadership?target=0")

    with ThreadPoolExecutor(TRANSFER_THREADS) as pool:
        list(pool.map(send, range(partitions)))
    wait(
        lambda: all(led_by(cluster, 0, n, partitions) == partitions for n in range(3)),
        "leaders on node 0",
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.maintenance_drain")
    parser.add_argument("--partitions", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    result: dict = {"machine": _cluster.machine(), "partitions": args.partitions}
    props = dict(_cluster.CLUSTER_PROPERTIES, enable_leader_balancer=False)
    with tempfile.TemporaryDirectory(prefix="ailurus-drain-", dir=".") as tmp:
        cluster = BrokerCluster(3, Path(tmp), properties=props)
        try:
            cluster.start(timeout_s=60.0)
            nodes = _cluster.Nodes(cluster)
            _cluster.create_topic(nodes, TOPIC, args.partitions, 3)
            runs, back = [], []
            for _ in range(args.runs):
                back.append(lead_again(cluster, args.partitions))
                psi0 = _cluster.cpu_pressure_us()
                run = one_run(cluster, args.partitions)
                run["cpu_pressure_pct"] = _cluster.pressure_pct(psi0, _cluster.cpu_pressure_us())
                runs.append(run)
        finally:
            cluster.stop()
    result["leaders_before"] = [r["leaders_before"] for r in runs]
    result["drain_finished_s"] = _cluster.spread([r["drain_finished_s"] for r in runs])
    result["metadata_without_node_s"] = _cluster.spread([r["metadata_s"] for r in runs])
    result["cpu_pressure_pct"] = [r["cpu_pressure_pct"] for r in runs]
    result["admin_api_transfers_to_node_0_s"] = _cluster.spread(back)
    _cluster.save(result, args.out, "maintenance-drain")


if __name__ == "__main__":
    main()
