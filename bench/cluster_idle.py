"""Idle cost of many partitions (issue 10): N partitions (default 1,000) on a single node (RF 1)
and on three nodes (RF 3), nothing produced; after every partition has a leader and a settle
time, each broker process's CPU (user + system, psutil) over several windows, as percent of one
core. The three-node figure is mostly Raft heartbeats; the single-node one is the same
partitions without replication, measured in the same run. The cost of the empty cluster (no
user partitions) is measured first for both.

    .venv/bin/python -m bench.cluster_idle [--partitions 1000] [--windows 3] [--window-s 8]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import psutil

from bench import _cluster

GOAL_PCT_OF_CORE = 5.0


def windows(nodes: _cluster.Nodes, count: int, seconds: float) -> list[list[dict]]:
    """Each window: per node CPU, plus the machine's CPU pressure (PSI) in every node's row."""
    out = []
    for _ in range(count):
        cpu0, t0, psi0 = nodes.cpu_s(), time.perf_counter(), _cluster.cpu_pressure_us()
        time.sleep(seconds)
        rows = _cluster.per_node(cpu0, nodes.cpu_s(), 0.0, time.perf_counter() - t0)
        psi = _cluster.pressure_pct(psi0, _cluster.cpu_pressure_us())
        out.append([{**row, "cpu_pressure_pct": psi} for row in rows])
    return out


def pct_spread(samples: list[list[dict]], n: int) -> dict:
    """node id -> min/median/max percent of a core over the windows."""
    return {
        str(i): _cluster.spread([w[i]["cpu_pct_of_core"] for w in samples], 1) for i in range(n)
    }


def measure(n: int, base: Path, args: argparse.Namespace) -> dict:
    with _cluster.running(n, base / f"n{n}") as nodes:
        time.sleep(args.settle_s)
        empty = windows(nodes, 1, args.window_s)
        create_s = _cluster.create_topic(nodes, "idle", args.partitions, n)
        led = _cluster.leaders(nodes, "idle", args.partitions)
        time.sleep(args.settle_s)
        loaded = windows(nodes, args.windows, args.window_s)
        rss = [round(p.memory_info().rss / 1e6, 1) for p in nodes.procs]
        return {
            "nodes": n,
            "replication_factor": n,
            "partitions": args.partitions,
            "create_and_elect_s": round(create_s, 1),
            "partitions_led_per_node": {
                str(i): sum(1 for v in led.values() if v == i) for i in range(n)
            },
            "empty_cluster_cpu_pct_of_core": pct_spread(empty, n),
            "cpu_pct_of_core": pct_spread(loaded, n),
            "cpu_pressure_pct": [w[0]["cpu_pressure_pct"] for w in loaded],
            "cpu_pct_of_core_max_node_median": max(
                _cluster.spread([w[i]["cpu_pct_of_core"] for w in loaded], 1)["median"]
                for i in range(n)
            ),
            "rss_mb": rss,
        }


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.cluster_idle")
    parser.add_argument("--partitions", type=int, default=1000)
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--window-s", type=float, default=8.0)
    parser.add_argument("--settle-s", type=float, default=5.0)
    parser.add_argument("--skip-single", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    started = time.perf_counter()
    result: dict = {
        "machine": _cluster.machine(),
        "goal_pct_of_core_per_node": GOAL_PCT_OF_CORE,
        "window_s": args.window_s,
    }
    with tempfile.TemporaryDirectory(prefix="ailurus-cluster-idle-", dir=".") as tmp:
        if not args.skip_single:
            result["single_node"] = measure(1, Path(tmp), args)
        result["three_nodes"] = measure(3, Path(tmp), args)
    result["wall_s"] = round(time.perf_counter() - started, 1)
    result["load_avg_1m_at_end"] = round(psutil.getloadavg()[0], 2)
    _cluster.save(result, args.out, "cluster-idle")


if __name__ == "__main__":
    main()
