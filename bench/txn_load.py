"""Transactional produce throughput and commit latency beside the idempotent figure of the run.

confluent-kafka producers write records of `--record-bytes` (100) to topics of 3 partitions:
a transactional producer in transactions of `--per-txn` (100) records spread over the 3
partitions (begin, produce, commit_transaction), and an idempotent non-transactional producer
the same number of records (produced back to back, one flush at the end), and the same
producer waiting for every `--per-txn` records (`idempotent_flush_per_txn`: the synchronous
commit point of a transaction without its protocol, so `transactional_vs_flush_per_txn` is
what the protocol itself costs). Runs alternate
`--runs` times; the medians are reported: txn/s, rec/s, commit latency p50/p99 (the
commit_transaction call, markers included), and the ratio of the transactional rec/s to the
idempotent one (and `median_pair_ratio`, the median of each run's ratio to the idempotent run
right after it, steadier when the machine's load varies); beside each side, the CPU time per
record of the broker (all its threads: the event loop and the fsync workers) and of the
clients (this process: the producers' Python threads and librdkafka's). The transaction
coordinator's topic is created by a warm-up transaction before the first run. Prints JSON and
writes it to bench/results/txn-load-<time>.json.

`--producers N` runs N producers at once on each side (threads, one topic).

    .venv/bin/python -m bench.txn_load [--txns 300] [--per-txn 100] [--runs 3] [--producers 1]
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import confluent_kafka as ck
import psutil
from confluent_kafka.admin import AdminClient, NewTopic

from bench.limits import cpu_share_pct
from core.testing.process import BrokerProcess

PARTITIONS = 3


def _topic(bootstrap: str) -> str:
    name = f"txn-load-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the answer
    admin.create_topics([NewTopic(name, PARTITIONS, 1)])[name].result(30)
    return name


def _one_transactional(bootstrap: str, topic: str, txns: int, per_txn: int, payload: bytes):
    p = ck.Producer(
        {
            "bootstrap.servers": bootstrap,
            "transactional.id": f"bench-{uuid.uuid4().hex[:8]}",
            "linger.ms": 5,
        }
    )
    p.init_transactions(30)
    latencies_ms = []
    for _ in range(txns):
        p.begin_transaction()
        for i in range(per_txn):
            p.produce(topic, payload, partition=i % PARTITIONS)
        t0 = time.perf_counter()
        p.commit_transaction(60)
        latencies_ms.append((time.perf_counter() - t0) * 1000)
    return latencies_ms


def _at_once(producers: int, one: Callable, *args: Any) -> tuple[list, float]:
    """`one(*args)` in `producers` threads at once: their results and the seconds taken."""
    with ThreadPoolExecutor(producers) as pool:
        start = time.perf_counter()
        futures = [pool.submit(one, *args) for _ in range(producers)]
        results = [f.result() for f in futures]
        return results, time.perf_counter() - start


def transactional(bootstrap: str, txns: int, per_txn: int, payload: bytes, producers: int) -> dict:
    """`producers` transactional producers at once (threads), `txns` transactions in all."""
    each = txns // producers
    args = (bootstrap, _topic(bootstrap), each, per_txn, payload)
    results, elapsed = _at_once(producers, _one_transactional, *args)
    latencies_ms = sorted(x for r in results for x in r)
    done = each * producers
    return {
        "txn_s": done / elapsed,
        "rec_s": done * per_txn / elapsed,
        "commit_p50_ms": latencies_ms[len(latencies_ms) // 2],
        "commit_p99_ms": latencies_ms[min(len(latencies_ms) - 1, int(len(latencies_ms) * 0.99))],
    }


def _warm_up(bootstrap: str) -> None:
    """One transaction before any timing: `__transaction_state` is created on first use (50
    partitions), a one-time cost the idempotent side has no counterpart of."""
    _one_transactional(bootstrap, _topic(bootstrap), 1, 1, b"w")


def _one_idempotent(bootstrap: str, topic: str, records: int, payload: bytes) -> None:
    p = ck.Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
    for i in range(records):
        while True:
            try:
                p.produce(topic, payload, partition=i % PARTITIONS)
                break
            except BufferError:
                p.poll(0.01)
    assert p.flush(60) == 0


def _one_flushing(bootstrap: str, topic: str, batches: int, per_txn: int, payload: bytes):
    """Idempotent, waiting for every `per_txn` records as commit_transaction waits for its
    transaction's: the synchronous pattern of a transaction without the transaction's
    protocol (AddPartitionsToTxn, EndTxn, markers)."""
    p = ck.Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
    for _ in range(batches):
        for i in range(per_txn):
            p.produce(topic, payload, partition=i % PARTITIONS)
        assert p.flush(60) == 0


def idempotent_flushing(
    bootstrap: str, txns: int, per_txn: int, payload: bytes, producers: int
) -> dict:
    each = txns // producers
    args = (bootstrap, _topic(bootstrap), each, per_txn, payload)
    _, elapsed = _at_once(producers, _one_flushing, *args)
    return {"rec_s": each * producers * per_txn / elapsed}


def idempotent(bootstrap: str, records: int, payload: bytes, producers: int) -> dict:
    each = records // producers
    _, elapsed = _at_once(producers, _one_idempotent, bootstrap, _topic(bootstrap), each, payload)
    return {"rec_s": each * producers / elapsed}


def _cpus(broker: psutil.Process, client: psutil.Process) -> tuple[float, float, Any]:
    """CPU seconds (user + system, all threads) of the broker and of this process, and the
    machine's CPU times."""
    return sum(broker.cpu_times()[:2]), sum(client.cpu_times()[:2]), psutil.cpu_times()


def _cpu_per_rec(
    broker: psutil.Process, client: psutil.Process, cpu0: tuple[float, float, Any], records: int
) -> dict:
    """CPU microseconds per record since `cpu0`, of the broker and of the clients; the
    machine's idle and steal shares meanwhile (on a shared VM the figures move with them)."""
    now = _cpus(broker, client)
    broker_us, client_us = ((b - a) * 1e6 / max(records, 1) for a, b in zip(cpu0[:2], now[:2]))
    return {
        "broker_cpu_us_per_rec": broker_us,
        "client_cpu_us_per_rec": client_us,
        "machine_idle_pct": cpu_share_pct(cpu0[2], now[2], "idle"),
        "machine_steal_pct": cpu_share_pct(cpu0[2], now[2], "steal"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.txn_load")
    parser.add_argument("--txns", type=int, default=300)
    parser.add_argument("--per-txn", type=int, default=100)
    parser.add_argument("--record-bytes", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--producers", type=int, default=1, help="producers at once, each side")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    payload = b"x" * args.record_bytes
    txn_runs, idem_runs, flush_runs = [], [], []
    records = args.txns // args.producers * args.producers * args.per_txn
    with tempfile.TemporaryDirectory(prefix="ailurus-bench-", dir=".") as tmp:
        broker = BrokerProcess(Path(tmp) / "broker").start()
        assert broker.proc is not None
        proc, client = psutil.Process(broker.proc.pid), psutil.Process()
        try:
            _warm_up(broker.bootstrap)
            for _ in range(args.runs):
                cpu0 = _cpus(proc, client)
                run = transactional(
                    broker.bootstrap, args.txns, args.per_txn, payload, args.producers
                )
                txn_runs.append(run | _cpu_per_rec(proc, client, cpu0, records))
                cpu0 = _cpus(proc, client)
                run = idempotent(broker.bootstrap, records, payload, args.producers)
                idem_runs.append(run | _cpu_per_rec(proc, client, cpu0, records))
                cpu0 = _cpus(proc, client)
                run = idempotent_flushing(
                    broker.bootstrap, args.txns, args.per_txn, payload, args.producers
                )
                flush_runs.append(run | _cpu_per_rec(proc, client, cpu0, records))
        finally:
            broker.stop()

    def med(runs: list[dict], key: str) -> float:
        return round(statistics.median(r[key] for r in runs), 2)

    cpu = (
        "broker_cpu_us_per_rec",
        "client_cpu_us_per_rec",
        "machine_idle_pct",
        "machine_steal_pct",
    )
    keys = ("txn_s", "rec_s", "commit_p50_ms", "commit_p99_ms", *cpu)
    result: dict[str, Any] = {
        "params": vars(args) | {"out": str(args.out), "partitions": PARTITIONS},
        "transactional": {k: med(txn_runs, k) for k in keys},
        "idempotent": {k: med(idem_runs, k) for k in ("rec_s", *cpu)},
        "idempotent_flush_per_txn": {k: med(flush_runs, k) for k in ("rec_s", *cpu)},
        "runs": {
            "transactional": txn_runs,
            "idempotent": idem_runs,
            "idempotent_flush_per_txn": flush_runs,
        },
    }
    result["transactional_vs_idempotent"] = round(
        result["transactional"]["rec_s"] / result["idempotent"]["rec_s"], 3
    )
    # each run's ratio to the idempotent run right after it: steadier on a shared machine
    pairs = [t["rec_s"] / i["rec_s"] for t, i in zip(txn_runs, idem_runs, strict=True)]
    result["transactional_vs_flush_per_txn"] = round(
        result["transactional"]["rec_s"] / result["idempotent_flush_per_txn"]["rec_s"], 3
    )
    result["pair_ratios"] = [round(r, 3) for r in pairs]
    result["median_pair_ratio"] = round(statistics.median(pairs), 3)
    text = json.dumps(result, indent=2)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    (args.out / f"txn-load-{stamp}.json").write_text(text)


if __name__ == "__main__":
    main()
