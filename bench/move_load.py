"""Replica move benchmark (issue 11): the time to move a 1 GB replica, and produce latency
before and during the move, in the same run.

Four broker processes; topic `move` (one partition, RF 3) is placed on nodes {0,1,2} and
filled with `--mb` MB of 1 KiB records (acks=all); a second topic `move-latency` (one
partition, RF 3, also on {0,1,2}) takes a fixed-rate acks=all load (bench._cluster_latency)
for `--latency-seconds` before the move and again while it runs. The move is
`POST /v1/partitions/kafka/move/0/replicas` to {1,2,3}: node 3 catches up as a learner, then
joint consensus, then node 0 leaves; `move_s` is from the POST until
/v1/partitions/reconfigurations is empty on every node. Prints JSON and writes it to
bench/results/move-load-<time>.json.

    .venv/bin/python -m bench.move_load [--mb 1024] [--latency-rate 1000] [--latency-seconds 10]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench import _cluster, _cluster_latency, kafka_load

RECORD_BYTES = 1024
MOVE_TIMEOUT_S = 1_800.0
FROM, TO = [0, 1, 2], [1, 2, 3]


def admin(port: int, method: str, path: str, body: object = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


def moves_left(nodes: _cluster.Nodes) -> int:
    return sum(
        len(admin(n.admin_port, "GET", "/v1/partitions/reconfigurations"))
        for n in nodes.cluster.running()
    )


def move(nodes: _cluster.Nodes, topic: str, replicas: list[int], timeout_s: float) -> float:
    """Move partition 0 of `topic` to `replicas` and wait until it finished; seconds taken."""
    started = time.perf_counter()
    body = [{"node_id": n, "core": 0} for n in replicas]
    admin(
        nodes.cluster.nodes[0].admin_port, "POST", f"/v1/partitions/kafka/{topic}/0/replicas", body
    )
    while moves_left(nodes):
        if time.perf_counter() - started > timeout_s:
            raise TimeoutError(f"move of {topic} not done in {timeout_s}s")
        time.sleep(0.2)
    return time.perf_counter() - started


def place(nodes: _cluster.Nodes, topic: str) -> None:
    """`topic` created (placement's choice) then moved onto FROM if it is elsewhere."""
    _cluster.create_topic(nodes, topic, 1, 3)
    port = nodes.cluster.nodes[0].admin_port
    current = [
        r["node_id"] for r in admin(port, "GET", f"/v1/partitions/kafka/{topic}/0")["replicas"]
    ]
    if current != FROM:
        move(nodes, topic, FROM, 120)


def measure(base: Path, args: argparse.Namespace) -> dict:
    with _cluster.running(4, base) as nodes:
        place(nodes, "move")
        place(nodes, "move-latency")
        count = args.mb * 1_000_000 // RECORD_BYTES
        filled = kafka_load.produce(nodes.bootstrap, "move", count, RECORD_BYTES, MOVE_TIMEOUT_S)
        size_mb = filled["records"] * RECORD_BYTES / 1e6
        lat = lambda: _cluster_latency.fixed_rate(  # noqa: E731
            nodes.bootstrap, "move-latency", args.latency_rate, args.latency_seconds, RECORD_BYTES
        )
        before = lat()
        result: dict = {}
        mover = threading.Thread(
            target=lambda: result.update(move_s=move(nodes, "move", TO, MOVE_TIMEOUT_S)),
            daemon=True,
        )
        cpu0, started = nodes.cpu_s(), time.perf_counter()
        mover.start()
        during = lat()
        latency_window_s = time.perf_counter() - started
        mover.join(MOVE_TIMEOUT_S)
        move_s = result.get("move_s")
        target_dirs = nodes.cluster.partition_dirs("move", 0)
        return {
            "machine": _cluster.machine(),
            "partition_mb": round(size_mb, 1),
            "fill_mb_s": round(filled["mb_s"], 1),
            "move_s": None if move_s is None else round(move_s, 2),
            "move_mb_s": None if not move_s else round(size_mb / move_s, 1),
            "replica_mb_by_node_after": {
                n: round(sum(f.stat().st_size for f in d.glob("*.log")) / 1e6, 1)
                for n, d in sorted(target_dirs.items())
            },
            "broker_cpu_s_during_move": [round(x, 1) for x in _cluster.deltas(cpu0, nodes.cpu_s())],
            "latency_before": before,
            "latency_during_move": during,
            "latency_window_within_move": move_s is None or latency_window_s <= move_s,
            "p99_ack_ms_during_over_before": round(
                during["ack_ms"]["p99"] / max(before["ack_ms"]["p99"], 0.01), 2
            ),
        }


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.move_load")
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--latency-rate", type=int, default=1000)
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ailurus-move-", dir=".") as tmp:
        result = measure(Path(tmp), args)
    _cluster.save(result, args.out, "move-load")


if __name__ == "__main__":
    main()
