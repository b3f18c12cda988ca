"""Schema Registry figures for `make bench`: python -m bench.registry_load

Starts one broker with the registry, registers schemas (latency p50/p99, schemas/s), then
drives lookups by id, by subject (POST /subjects/{s}) and latest version from 16 connections,
reporting the measured rate and the broker's CPU per request (the rate one core sustains,
independent of the load generator sharing the machine)."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx
import psutil

from core.testing.process import BrokerProcess

SCHEMAS = 200
SUBJECTS = 20
REQUESTS = 6000
CONNECTIONS = 16


def _schema(i: int) -> str:
    fields = [{"name": f"f{j}", "type": "int"} for j in range(10)]
    return json.dumps({"type": "record", "name": f"R{i}", "fields": fields})


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def register_figures(url: str) -> str:
    with httpx.Client(base_url=url, timeout=30) as client:
        client.put("/config", json={"compatibility": "NONE"})
        latencies = []
        start = time.perf_counter()
        for i in range(SCHEMAS):
            t = time.perf_counter()
            r = client.post(f"/subjects/s{i % SUBJECTS}/versions", json={"schema": _schema(i)})
            latencies.append(time.perf_counter() - t)
            r.raise_for_status()
        elapsed = time.perf_counter() - start
    return (
        f"register: {SCHEMAS / elapsed:.0f} schemas/s sequential, "
        f"p50 {_percentile(latencies, 0.5) * 1e3:.1f} ms, p99 {_percentile(latencies, 0.99) * 1e3:.1f} ms"
    )


async def _load(url: str, proc: psutil.Process, make) -> tuple[float, float]:
    todo = iter(range(REQUESTS))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONNECTIONS)) as s:

        async def worker() -> None:
            for n in todo:
                method, path, body = make(n)
                async with s.request(method, url + path, json=body) as r:
                    await r.read()
                    assert r.status == 200, await r.text()

        cpu0, t0 = sum(proc.cpu_times()[:2]), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        elapsed, cpu = time.perf_counter() - t0, sum(proc.cpu_times()[:2]) - cpu0
    return REQUESTS / elapsed, cpu / REQUESTS


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="sr-bench-") as tmp:  # the data dir goes too
        _run(Path(tmp) / "node")


def _run(data_dir: Path) -> None:
    broker = BrokerProcess(data_dir, "--schema-registry-addr", "127.0.0.1:0").start()
    url = broker.listener_url("schema_registry")
    try:
        print(register_figures(url))
        proc = psutil.Process(broker.proc.pid)
        cases = {
            "lookup by id (GET /schemas/ids/{id})": lambda n: (
                "GET", f"/schemas/ids/{1 + n % SCHEMAS}", None,
            ),
            "lookup by subject (POST /subjects/{s})": lambda n: (
                "POST", f"/subjects/s{n % SUBJECTS}", {"schema": _schema(n % SUBJECTS)},
            ),
            "latest version (GET /subjects/{s}/versions/latest)": lambda n: (
                "GET", f"/subjects/s{n % SUBJECTS}/versions/latest", None,
            ),
        }  # fmt: skip
        for name, make in cases.items():
            rate, cpu_s = asyncio.run(_load(url, proc, make))
            print(
                f"{name}: {rate:.0f} req/s measured with {CONNECTIONS} connections; broker CPU "
                f"{cpu_s * 1e6:.0f} us/req = {1 / cpu_s:.0f} req/s per core"
            )
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
