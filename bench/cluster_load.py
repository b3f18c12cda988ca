"""Cluster benchmarks of issue 10 beside the single-node figures measured in the same run:

- produce throughput, 1 KiB records, acks=all (bench.kafka_load's idempotent confluent-kafka
  producer): one node (RF 1) vs three nodes (RF 3), MB/s and CPU-s per GB per broker process;
- latency at a fixed rate (default 5,000 records/s for 10 s, one partition): produce-ack and
  end-to-end (produce -> consumer sees it) p50/p99/p999, one node vs three nodes RF 3;
- failover (three nodes only): kill -9 of a partition's leader -> first acknowledged acks=all
  write on that partition, and -> first Metadata naming a new leader.

Each figure is repeated (--runs) and reported as min/median/max. Prints JSON and writes it to
bench/results/cluster-load-<time>.json.

    .venv/bin/python -m bench.cluster_load [--records 100000] [--runs 3] [--failovers 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import psutil

from bench import _cluster, _cluster_failover, _cluster_latency, kafka_load

RECORD_BYTES = 1024
GOALS = {
    "three_node_fraction_of_single_node_throughput": 0.40,
    "p99_ms_at_5000_records_s": 20.0,
    "failover_s": 2.0,
}


def measure(n: int, base: Path, args: argparse.Namespace) -> dict:
    """Throughput and latency on a cluster of n nodes (RF n); failovers when n > 1."""
    with _cluster.running(n, base / f"n{n}") as nodes:
        out: dict = {"nodes": n, "replication_factor": n}
        out["create_topic_s"] = round(_cluster.create_topic(nodes, "bench", args.partitions, n), 2)
        _cluster.create_topic(nodes, "bench-latency", 1, n)
        out["leaders"] = _cluster.leaders(nodes, "bench", args.partitions)
        runs = [produce_run(nodes, args) for _ in range(args.runs)]
        out["produce_mb_s"] = _cluster.spread([r["mb_s"] for r in runs])
        out["produce_cpu_s_per_gb_per_node"] = {
            str(i): _cluster.spread([r["nodes"][i]["cpu_s_per_gb"] for r in runs], 1)
            for i in range(n)
        }
        out["produce_runs"] = runs
        lat = [
            _cluster_latency.fixed_rate(
                nodes.bootstrap,
                "bench-latency",
                args.latency_rate,
                args.latency_seconds,
                RECORD_BYTES,
            )
            for _ in range(args.latency_runs)
        ]
        out["latency"] = {
            kind: {q: _cluster.spread([r[kind][q] for r in lat]) for q in ("p50", "p99", "p999")}
            for kind in ("ack_ms", "end_to_end_ms")
        }
        out["latency_runs"] = lat
        if n > 1 and args.failovers:
            _cluster.create_topic(nodes, "bench-failover", 1, n)
            fo = _cluster_failover.failovers(
                nodes, "bench-failover", args.failovers, args.idempotent_failover
            )
            out["failover"] = {
                "first_ack_s": _cluster.spread([f["first_ack_s"] or -1.0 for f in fo], 3),
                "leader_in_metadata_s": _cluster.spread(
                    [f["leader_in_metadata_s"] or -1.0 for f in fo], 3
                ),
                "idempotent_producer": args.idempotent_failover,
                "runs": fo,
            }
        return out


def produce_run(nodes: _cluster.Nodes, args: argparse.Namespace) -> dict:
    cpu0 = nodes.cpu_s()
    r = kafka_load.produce(nodes.bootstrap, "bench", args.records, RECORD_BYTES, 300)
    cpu1 = nodes.cpu_s()
    gb = r["records"] * RECORD_BYTES / 1e9
    return {
        "records": r["records"],
        "errors": r["errors"],
        "seconds": round(r["seconds"], 2),
        "mb_s": round(r["mb_s"], 2),
        "nodes": _cluster.per_node(cpu0, cpu1, gb, r["seconds"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.cluster_load")
    parser.add_argument("--records", type=int, default=100_000, help="per throughput run")
    parser.add_argument("--runs", type=int, default=3, help="throughput runs per setup")
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--latency-rate", type=int, default=5000)
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--latency-runs", type=int, default=2)
    parser.add_argument("--failovers", type=int, default=3)
    parser.add_argument("--idempotent-failover", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    started = time.perf_counter()
    result: dict = {
        "machine": {
            "cpus": psutil.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1m_at_start": round(psutil.getloadavg()[0], 2),
        },
        "record_bytes": RECORD_BYTES,
        "acks": "all",
        "goals": GOALS,
    }
    with tempfile.TemporaryDirectory(prefix="ailurus-cluster-bench-", dir=".") as tmp:
        result["single_node"] = measure(1, Path(tmp), args)
        result["three_nodes"] = measure(3, Path(tmp), args)
    result["summary"] = summary(result)
    result["wall_s"] = round(time.perf_counter() - started, 1)
    text = json.dumps(result, indent=2)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"cluster-load-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(text + "\n")


def summary(result: dict) -> dict:
    one, three = result["single_node"], result["three_nodes"]
    out = {
        "three_node_fraction_of_single_node_throughput": round(
            three["produce_mb_s"]["median"] / one["produce_mb_s"]["median"], 3
        ),
        "p99_ack_ms": {"single": one["latency"]["ack_ms"]["p99"]["median"],
                       "three": three["latency"]["ack_ms"]["p99"]["median"]},
        "p99_end_to_end_ms": {"single": one["latency"]["end_to_end_ms"]["p99"]["median"],
                              "three": three["latency"]["end_to_end_ms"]["p99"]["median"]},
    }  # fmt: skip
    if "failover" in three:
        out["failover_first_ack_s_max"] = three["failover"]["first_ack_s"]["max"]
    return out


if __name__ == "__main__":
    main()
