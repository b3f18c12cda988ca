"""Failover alone (issue 10's goal: kill -9 of a leader to the first acknowledged acks=all
write under 2 s), repeated more often than bench.cluster_load does: three nodes, a one
partition RF 3 topic, `--repetitions` kills of its leader (bench._cluster_failover: a
confluent-kafka producer writing every 5 ms, the survivors' Metadata polled every 20 ms).

    .venv/bin/python -m bench.failover [--repetitions 10] [--idempotent]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench import _cluster, _cluster_failover


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.failover")
    parser.add_argument("--repetitions", type=int, default=10)
    parser.add_argument("--idempotent", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    started = time.perf_counter()
    result: dict = {"machine": _cluster.machine(), "idempotent_producer": args.idempotent}
    with tempfile.TemporaryDirectory(prefix="ailurus-failover-", dir=".") as tmp:
        with _cluster.running(3, Path(tmp)) as nodes:
            _cluster.create_topic(nodes, "bench-failover", 1, 3)
            psi0 = _cluster.cpu_pressure_us()
            runs = _cluster_failover.failovers(
                nodes, "bench-failover", args.repetitions, args.idempotent
            )
            result["cpu_pressure_pct"] = _cluster.pressure_pct(psi0, _cluster.cpu_pressure_us())
    result["first_ack_s"] = _cluster.spread([r["first_ack_s"] or -1.0 for r in runs], 3)
    result["leader_in_metadata_s"] = _cluster.spread(
        [r["leader_in_metadata_s"] or -1.0 for r in runs], 3
    )
    result["runs"] = runs
    result["wall_s"] = round(time.perf_counter() - started, 1)
    _cluster.save(result, args.out, "failover")


if __name__ == "__main__":
    main()
