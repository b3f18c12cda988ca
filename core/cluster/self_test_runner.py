"""Self-test benchmarks run by one broker (Redpanda's self_test_backend): disk and network.

Disk test ("disk"): `parallelism` workers (at most MAX_WORKERS threads) write `request_size`
blocks sequentially into a file in the data directory (O_DSYNC when dsync), then read them back
unless skip_read, for `duration_ms` each or until `data_size` bytes. Network test ("network"):
`parallelism` concurrent requests of `request_size` bytes to each peer over the internal RPC
(Redpanda's netcheck), for `duration_ms`. Results: latency percentiles in microseconds, requests
and bytes per second. Cloud storage ("cloud") reports that cloud storage is not enabled, as
Redpanda does. Each node keeps its current or last run (`SelfTestBackend.run`).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_WORKERS = 32
MAX_DURATION_MS = 10 * 60 * 1000
MAX_REQUEST_BYTES = 1 << 20
MAX_LATENCY_SAMPLES = 200_000
NETCHECK_TIMEOUT_MS = 5000
Netcheck = Callable[[int, bytes], Awaitable[None]]  # (peer node id, payload): one request


@dataclass
class Run:
    test_id: str
    stage: str = "idle"
    status: str = "running"
    results: list[dict[str, Any]] = field(default_factory=list)
    cancel: threading.Event = field(default_factory=threading.Event)


def percentiles(latencies_us: list[int]) -> dict[str, int]:
    if not latencies_us:
        return {"p50": 0, "p90": 0, "p99": 0, "p999": 0, "max_latency": 0}
    ordered = sorted(latencies_us)

    def at(q: float) -> int:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "p50": at(0.5),
        "p90": at(0.9),
        "p99": at(0.99),
        "p999": at(0.999),
        "max_latency": ordered[-1],
    }


def _result(spec: dict[str, Any], test_id: str, kind: str, started: float) -> dict[str, Any]:
    ended = time.time()
    return {
        "test_id": test_id,
        "name": str(spec.get("name", kind)),
        "info": "",
        "test_type": kind,
        "start_time": started,
        "end_time": int(ended),
        "duration": int((ended - started) * 1000),
        "timeouts": 0,
    }


def _measured(result: dict, lat: list[int], ops: int, nbytes: int, seconds: float) -> dict:
    ended = time.time()
    result["end_time"] = int(ended)
    result["duration"] = int((ended - result["start_time"]) * 1000)
    seconds = max(seconds, 1e-6)
    result.update(percentiles(lat[:MAX_LATENCY_SAMPLES]))
    result["rps"] = int(ops / seconds)
    result["bps"] = int(nbytes / seconds)
    return result


# ---- disk -------------------------------------------------------------------------------------


def disk_test(spec: dict[str, Any], directory: Path, run: Run) -> dict[str, Any]:
    started = time.time()
    result = _result(spec, run.test_id, "disk", started)
    size = max(512, int(spec.get("request_size", 4096)))
    budget = int(spec.get("data_size", 1 << 30))
    duration_s = min(int(spec.get("duration_ms", 5000)), MAX_DURATION_MS) / 1000
    workers = max(1, min(int(spec.get("parallelism", 1)), MAX_WORKERS))
    dsync = bool(spec.get("dsync", True))
    path = directory / f"self_test_{uuid.uuid4().hex}.tmp"
    flags = os.O_RDWR | os.O_CREAT | (os.O_DSYNC if dsync else 0)
    fd = os.open(path, flags, 0o600)
    try:
        lat: list[int] = []
        ops = nbytes = 0
        elapsed = 0.0
        if not spec.get("skip_write"):
            w_ops, w_bytes, elapsed, written = _workers(
                fd, size, budget, duration_s, workers, run, lat, write=True
            )
            ops, nbytes = w_ops, w_bytes
        else:
            written = 0
        if not spec.get("skip_read") and written:
            r_ops, r_bytes, r_elapsed, _ = _workers(
                fd, size, written, duration_s, workers, run, lat, write=False
            )
            ops, nbytes, elapsed = ops + r_ops, nbytes + r_bytes, elapsed + r_elapsed
        result["info"] = f"write dsync: {str(dsync).lower()}, io depth: {workers}"
        return _measured(result, lat, ops, nbytes, elapsed)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)


def _workers(
    fd, size, limit, duration_s, workers, run, lat, *, write
) -> tuple[int, int, float, int]:
    """`workers` threads each doing sequential blocks of one region; (ops, bytes, s, extent)."""
    block = os.urandom(size)
    lock = threading.Lock()
    counters = {"ops": 0, "bytes": 0, "next": 0}
    deadline = time.monotonic() + duration_s

    def work() -> None:
        mine: list[int] = []
        while not run.cancel.is_set() and time.monotonic() < deadline:
            with lock:
                offset = counters["next"]
                if offset + size > limit:
                    if not write:
                        counters["next"] = offset = 0  # read the file again
                    else:
                        break
                counters["next"] = offset + size
            t0 = time.perf_counter_ns()
            done = os.pwrite(fd, block, offset) if write else len(os.pread(fd, size, offset))
            mine.append((time.perf_counter_ns() - t0) // 1000)
            with lock:
                counters["ops"] += 1
                counters["bytes"] += done
        with lock:
            lat.extend(mine[: MAX_LATENCY_SAMPLES // workers])

    started = time.monotonic()
    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return (
        counters["ops"],
        counters["bytes"],
        time.monotonic() - started,
        min(counters["next"], limit),
    )


# ---- network ----------------------------------------------------------------------------------


async def network_test(
    spec: dict[str, Any], peers: list[int], send: Netcheck, run: Run
) -> dict[str, Any]:
    started = time.time()
    result = _result(spec, run.test_id, "network", started)
    if not peers:
        result["warning"] = "No peers to run the network test against"
        return _measured(result, [], 0, 0, 1)
    size = max(1, min(int(spec.get("request_size", 8192)), MAX_REQUEST_BYTES))
    duration_s = min(int(spec.get("duration_ms", 5000)), MAX_DURATION_MS) / 1000
    parallelism = max(1, min(int(spec.get("parallelism", 10)), MAX_WORKERS))
    payload = os.urandom(size)
    lat: list[int] = []
    totals = {"ops": 0, "errors": 0}
    deadline = time.monotonic() + duration_s

    async def client(peer: int) -> None:
        while not run.cancel.is_set() and time.monotonic() < deadline:
            t0 = time.perf_counter_ns()
            try:
                await send(peer, payload)
            except Exception:  # refused, reset, timed out: counted, retried
                totals["errors"] += 1
                await asyncio.sleep(0.05)
                continue
            lat.append((time.perf_counter_ns() - t0) // 1000)
            totals["ops"] += 1

    t0 = time.monotonic()
    await asyncio.gather(*(client(peer) for peer in peers for _ in range(parallelism)))
    elapsed = time.monotonic() - t0
    result["info"] = f"peers: {sorted(peers)}, parallelism: {parallelism}"
    if totals["errors"] and not totals["ops"]:
        result["error"] = f"every request to the peers failed ({totals['errors']} attempts)"
    result["timeouts"] = totals["errors"]
    return _measured(result, lat, totals["ops"], totals["ops"] * size, elapsed)


# ---- the run ----------------------------------------------------------------------------------


async def execute(
    run: Run, tests: list[dict[str, Any]], directory: Path, peers: list[int], send: Netcheck
) -> None:
    try:
        for spec in tests:
            if run.cancel.is_set():
                break
            kind = str(spec.get("type", ""))
            run.stage = {"disk": "disk", "network": "net", "cloud": "cloud"}.get(kind, kind)
            started = time.time()
            try:
                if kind == "disk":
                    run.results.append(await asyncio.to_thread(disk_test, spec, directory, run))
                elif kind == "network":
                    run.results.append(await network_test(spec, peers, send, run))
                elif kind == "cloud":
                    cloud = _result(spec, run.test_id, "cloud", started)
                    cloud["warning"] = "Cloud storage is not enabled."
                    run.results.append(cloud)
                else:
                    failed = _result(spec, run.test_id, kind or "unknown", started)
                    failed["error"] = f"unknown test type {kind!r}"
                    run.results.append(failed)
            except OSError as exc:
                failed = _result(spec, run.test_id, kind, started)
                failed["error"] = f"{exc.strerror or exc}"
                run.results.append(failed)
    finally:
        for r in run.results:
            r["start_time"] = int(r["start_time"])
        run.status, run.stage = "idle", "idle"
