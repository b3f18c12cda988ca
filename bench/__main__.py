"""`make bench`: start a broker, measure it with confluent-kafka (1 KiB records, acks=all),
and print JSON with each figure beside this machine's own limits measured in the same run."""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import psutil

from bench import kafka_load, limits, validation
from core.testing.process import BrokerProcess

RECORD_BYTES = 1024


def broker_cpu_s(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--latency-rate", type=int, default=5000)
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ailurus-bench-", dir=".") as tmp:
        tmp_path = Path(tmp)
        result = {
            "machine": {
                "cpus": psutil.cpu_count(),
                "python": platform.python_version(),
                "kernel": platform.release(),
            }
        }
        result["validation_cpu_ms_per_mb"] = validation.cpu_ms_per_mb()
        result["limits"] = {
            "loopback_copy_mb_s": round(limits.loopback_copy_mb_s(), 1),
            "fdatasync_8mib_mb_s": round(limits.fdatasync_mb_s(tmp_path), 1),
            "fdatasyncs_16kib_per_s": round(limits.small_fdatasyncs_per_s(tmp_path), 1),
        }
        broker = BrokerProcess(tmp_path / "data").start()
        try:
            proc = psutil.Process(broker.proc.pid)
            result["idle_rss_mb"] = round(proc.memory_info().rss / 1e6, 1)
            kafka_load.create_topic(broker.bootstrap, "bench", args.partitions)
            kafka_load.create_topic(broker.bootstrap, "bench-latency", 1)
            cpu0 = broker_cpu_s(proc)
            produced = kafka_load.produce(
                broker.bootstrap, "bench", args.records, RECORD_BYTES, 300
            )
            cpu1 = broker_cpu_s(proc)
            consumed = kafka_load.consume(
                broker.bootstrap, "bench", args.partitions, produced["records"], 300
            )
            cpu2 = broker_cpu_s(proc)
            gb = produced["records"] * RECORD_BYTES / 1e9
            produced["broker_cpu_s_per_gb"] = round((cpu1 - cpu0) / gb, 2) if gb else None
            consumed["broker_cpu_s_per_gb"] = round((cpu2 - cpu1) / gb, 2) if gb else None
            result["produce"] = _rounded(produced)
            result["consume"] = _rounded(consumed)
            result["latency"] = kafka_load.latency(
                broker.bootstrap,
                "bench-latency",
                args.latency_rate,
                args.latency_seconds,
                RECORD_BYTES,
            )
            result["peak_rss_mb"] = round(proc.memory_info().rss / 1e6, 1)
        finally:
            broker.stop()
    result["produce"]["fraction_of_fdatasync_bandwidth"] = round(
        result["produce"]["mb_s"] / result["limits"]["fdatasync_8mib_mb_s"], 3
    )
    result["consume"]["fraction_of_loopback_copy"] = round(
        result["consume"]["mb_s"] / result["limits"]["loopback_copy_mb_s"], 3
    )
    text = json.dumps(result, indent=2)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(text + "\n")


def _rounded(d: dict) -> dict:
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in d.items()}


if __name__ == "__main__":
    main()
