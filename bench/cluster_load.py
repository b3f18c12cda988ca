"""Cluster benchmarks of issue 10 beside the single-node figures measured in the same run:

- produce throughput, 1 KiB records, acks=all (bench.kafka_load's idempotent confluent-kafka
  producer): one node (RF 1) vs three nodes (RF 3), MB/s and CPU-s per GB per broker process;
- latency at a fixed rate (default 5,000 records/s for 10 s, one partition): produce-ack and
  end-to-end (produce -> consumer sees it) p50/p99/p999, one node vs three nodes RF 3, with
  librdkafka's idempotent producer (one request in flight per partition: a closed loop) and a
  pipelined one (bench._cluster_latency), beside the longest stall of each run and the
  latency of one fdatasync on the bench's disk (every acks=all commit waits for at least one
  on the leader and one on a follower; limits.fdatasync_50kib_ms);
- failover (three nodes only): kill -9 of a partition's leader -> first acknowledged acks=all
  write on that partition, and -> first Metadata naming a new leader.

Both setups run at the same time and the runs alternate between them, so each pair sees about
the same load from other work on the machine (paired_throughput_ratio is per pair). Each figure
is repeated (--runs, --latency-runs) and reported as min/median/max; every run carries the
machine's CPU pressure over it (Linux PSI "some": percent of the time a runnable task waited
for a CPU) and each broker's runqueue wait (seconds runnable but not running, from schedstat)
beside its CPU seconds, to judge how disturbed it was. Prints JSON and writes it to
bench/results/cluster-load-<time>.json.

    .venv/bin/python -m bench.cluster_load [--records 100000] [--runs 3] [--failovers 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench import (
    _cluster,
    _cluster_failover,
    _cluster_latency,
    _cluster_probe,
    kafka_load,
    limits,
)

RECORD_BYTES = 1024
GOALS = {
    "three_node_fraction_of_single_node_throughput": 0.40,
    "p99_ms_at_5000_records_s": 20.0,
    "failover_s": 2.0,
}


def measure(base: Path, args: argparse.Namespace) -> dict:
    """Both setups run at once and every figure alternates between them (one node, then three
    nodes, run after run), so each pair of runs sees about the same load from the rest of the
    machine; the failovers run last, on three nodes alone."""
    probe = args.out_probe if args.probe else None
    with (
        _cluster.running(1, base / "n1", probe) as one,
        _cluster.running(3, base / "n3", probe) as three,
    ):
        setups = {"single_node": one, "three_nodes": three}
        out: dict = {name: {"nodes": len(nodes.procs)} for name, nodes in setups.items()}
        for name, nodes in setups.items():
            n = len(nodes.procs)
            out[name]["replication_factor"] = n
            created = _cluster.create_topic(nodes, "bench", args.partitions, n)
            out[name]["create_topic_s"] = round(created, 2)
            _cluster.create_topic(nodes, "bench-latency", 1, n)
            out[name]["leaders"] = _cluster.leaders(nodes, "bench", args.partitions)
        runs: dict[str, list[dict]] = {name: [] for name in setups}
        lat: dict[str, dict[str, list[dict]]] = {
            name: {c: [] for c in args.latency_clients} for name in setups
        }
        for _ in range(args.runs):
            for name, nodes in setups.items():
                runs[name].append(produce_run(nodes, args))
        for _ in range(args.latency_runs):
            for client in args.latency_clients:
                for name, nodes in setups.items():
                    lat[name][client].append(latency_run(nodes, args, client))
        for name in setups:
            if runs[name]:  # --runs 0: latency only
                out[name].update(produce_figures(runs[name]))
            out[name].update(latency_figures(lat[name]))
        out["paired_throughput_ratio"] = _cluster.spread(
            [t["mb_s"] / o["mb_s"] for o, t in zip(runs["single_node"], runs["three_nodes"])], 3
        )
        one.cluster.stop()
        if args.failovers:
            out["three_nodes"]["failover"] = failover_figures(three, args)
        return out


def produce_figures(runs: list[dict]) -> dict:
    n = len(runs[0]["nodes"])
    return {
        "produce_mb_s": _cluster.spread([r["mb_s"] for r in runs]),
        "produce_cpu_s_per_gb_per_node": {
            str(i): _cluster.spread([r["nodes"][i]["cpu_s_per_gb"] for r in runs], 1)
            for i in range(n)
        },
        "produce_runs": runs,
    }


def latency_run(nodes: _cluster.Nodes, args: argparse.Namespace, client: str) -> dict:
    psi0, cpu0, wait0 = _cluster.cpu_pressure_us(), nodes.cpu_s(), nodes.runqueue_wait_s()
    started = time.time()
    r = _cluster_latency.fixed_rate(
        nodes.bootstrap,
        "bench-latency",
        args.latency_rate,
        args.latency_seconds,
        RECORD_BYTES,
        client,
    )
    r["cpu_pressure_pct"] = _cluster.pressure_pct(psi0, _cluster.cpu_pressure_us())
    r["cpu_s_per_node"] = _cluster.deltas(cpu0, nodes.cpu_s())
    r["runqueue_wait_s_per_node"] = _cluster.deltas(wait0, nodes.runqueue_wait_s())
    if args.probe:
        time.sleep(_cluster_probe.DUMP_PERIOD_S * 1.5)  # the brokers' next dump covers the run
        leader = _cluster.leaders(nodes, "bench-latency", 1)[0]
        pids = [proc.pid for proc in nodes.procs]
        r["stages_ms"] = _cluster_probe.stages(
            args.out_probe, pids[leader], [p for i, p in enumerate(pids) if i != leader],
            started, time.time(),
        )  # fmt: skip
    return r


def latency_figures(lat: dict[str, list[dict]]) -> dict:
    """Per client: the spread of each percentile over the runs, and of the longest stall."""
    out: dict = {"latency": {}, "latency_runs": lat}
    for client, runs in lat.items():
        figures: dict = {
            kind: {q: _cluster.spread([r[kind][q] for r in runs]) for q in ("p50", "p99", "p999")}
            for kind in ("ack_ms", "end_to_end_ms")
        }
        figures["max_ack_gap_ms"] = _cluster.spread([r["max_ack_gap_ms"] for r in runs], 1)
        out["latency"][client] = figures
    return out


def failover_figures(three: _cluster.Nodes, args: argparse.Namespace) -> dict:
    _cluster.create_topic(three, "bench-failover", 1, 3)
    fo = _cluster_failover.failovers(
        three, "bench-failover", args.failovers, args.idempotent_failover
    )
    return {
        "first_ack_s": _cluster.spread([f["first_ack_s"] or -1.0 for f in fo], 3),
        "leader_in_metadata_s": _cluster.spread([f["leader_in_metadata_s"] or -1.0 for f in fo], 3),
        "idempotent_producer": args.idempotent_failover,
        "runs": fo,
    }


def produce_run(nodes: _cluster.Nodes, args: argparse.Namespace) -> dict:
    cpu0, psi0, wait0 = nodes.cpu_s(), _cluster.cpu_pressure_us(), nodes.runqueue_wait_s()
    disk0 = nodes.disk_write_mb()
    r = kafka_load.produce(nodes.bootstrap, "bench", args.records, RECORD_BYTES, 300)
    cpu1, psi1, wait1 = nodes.cpu_s(), _cluster.cpu_pressure_us(), nodes.runqueue_wait_s()
    disk1 = nodes.disk_write_mb()
    gb = r["records"] * RECORD_BYTES / 1e9
    return {
        "records": r["records"],
        "errors": r["errors"],
        "seconds": round(r["seconds"], 2),
        "mb_s": round(r["mb_s"], 2),
        "nodes": _cluster.per_node(cpu0, cpu1, gb, r["seconds"]),
        "cpu_pressure_pct": _cluster.pressure_pct(psi0, psi1),
        "runqueue_wait_s_per_node": _cluster.deltas(wait0, wait1),
        "disk_write_mb_per_node": _cluster.deltas(disk0, disk1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.cluster_load")
    parser.add_argument("--records", type=int, default=100_000, help="per throughput run")
    parser.add_argument("--runs", type=int, default=3, help="throughput runs per setup")
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--latency-rate", type=int, default=5000)
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--latency-runs", type=int, default=2)
    parser.add_argument(
        "--latency-clients",
        type=lambda s: s.split(","),
        default=list(_cluster_latency.CLIENTS),
        help="comma-separated: " + ",".join(_cluster_latency.CLIENTS),
    )
    parser.add_argument("--failovers", type=int, default=3)
    parser.add_argument("--idempotent-failover", action="store_true")
    parser.add_argument(
        "--probe",
        action="store_true",
        help="run the brokers under bench._cluster_probe: per-stage latency, loop lag, GC",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    started = time.perf_counter()
    result: dict = {
        "machine": _cluster.machine(),
        "record_bytes": RECORD_BYTES,
        "acks": "all",
        "goals": GOALS,
    }
    with tempfile.TemporaryDirectory(prefix="ailurus-cluster-bench-", dir=".") as tmp:
        # every replica writes every byte to this one disk: 3 nodes RF 3 write 3x the bytes
        result["limits"] = {
            "fdatasync_8mib_mb_s": round(limits.fdatasync_mb_s(Path(tmp)), 1),
            "fdatasync_50kib_ms": _cluster.fdatasync_latency_ms(Path(tmp)),
        }
        args.out_probe = Path(tmp) / "probe"
        result.update(measure(Path(tmp), args))
    result["summary"] = summary(result)
    result["wall_s"] = round(time.perf_counter() - started, 1)
    _cluster.save(result, args.out, "cluster-load")


def summary(result: dict) -> dict:
    one, three = result["single_node"], result["three_nodes"]
    out = {
        "three_node_fraction_of_single_node_throughput": result["paired_throughput_ratio"],
        "best_mb_s": {
            "single": one.get("produce_mb_s", {}).get("max"),
            "three": three.get("produce_mb_s", {}).get("max"),
        },
        "fdatasync_50kib_ms": result["limits"]["fdatasync_50kib_ms"],
    }
    for client, three_lat in three["latency"].items():
        one_lat = one["latency"][client]
        out[client] = {
            name: {"single": _median(one_lat, *keys), "three": _median(three_lat, *keys)}
            for name, keys in (
                ("p99_ack_ms", ("ack_ms", "p99")),
                ("p99_end_to_end_ms", ("end_to_end_ms", "p99")),
                ("max_ack_gap_ms", ("max_ack_gap_ms",)),
            )
        }
    if "failover" in three:
        out["failover_first_ack_s_max"] = three["failover"]["first_ack_s"]["max"]
    return out


def _median(figures: dict, *keys: str) -> float:
    for key in keys:
        figures = figures[key]
    return figures["median"]


if __name__ == "__main__":
    main()
