"""HTTP proxy load: records/s produced (JSON, 50 records of ~1 KiB per request, several
concurrent clients) and consumed through the proxy, with request latency percentiles and broker
CPU, beside the Kafka-protocol figures (confluent-kafka) of the same run.

    .venv/bin/python -m bench.proxy_load [--seconds 10] [--clients 8] [--more-clients 50]
        [--http-client aiohttp|httpx] [--avro]

Every produce waits for acks=all, so with few clients the rate is bound by the fsync round
each request waits for (4-8 ms here), not by the broker's CPU: `--more-clients` (0 to skip)
repeats the JSON produce with that many clients (50 by default, as Karapace's published figure
used). Consuming reads partitions this broker leads from the log (core.proxy.local_read), so its
CPU per GB is beside kafka_consume's, which sends the same bytes by sendfile.
`--http-client` picks the load generator's HTTP client: aiohttp by default, because httpx
costs the client about three times the CPU, which the broker then lacks on a small machine
(for the same reason the aiohttp client checks answers for "error_code" without parsing them).
`--avro` adds a produce run in the avro format (records of one string field, the schema
registered by the first request, its id used after).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx
import psutil

from bench import kafka_load
from bench.limits import cpu_share_pct
from core.testing.process import BrokerProcess

V2 = "application/vnd.kafka.v2+json"
BINARY = "application/vnd.kafka.binary.v2+json"
JSON = "application/vnd.kafka.json.v2+json"
AVRO = "application/vnd.kafka.avro.v2+json"
AVRO_SCHEMA = {"type": "record", "name": "Bench", "fields": [{"name": "payload", "type": "string"}]}

RECORD_BYTES = 1024
BATCH = 50


def _cpu_s(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def _pct(samples: list[float], q: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _body(url: str, topic: str, fmt: str) -> bytes:
    if fmt == JSON:
        value = "x" * (RECORD_BYTES - 2)  # a JSON string of ~1 KiB
    elif fmt == AVRO:
        value = {"payload": "x" * (RECORD_BYTES - 3)}
    else:
        value = base64.b64encode(b"x" * RECORD_BYTES).decode()
    body: dict = {"records": [{"value": value} for _ in range(BATCH)]}
    if fmt == AVRO:  # register once; every timed request names the id
        first = {"value_schema": json.dumps(AVRO_SCHEMA), "records": body["records"][:1]}
        headers = {"Content-Type": fmt, "Accept": V2}
        r = httpx.post(f"{url}/topics/{topic}", json=first, headers=headers, timeout=30)
        body["value_schema_id"] = r.json()["value_schema_id"]
    return json.dumps(body).encode()


def _failed(status: int, data: dict) -> bool:
    return status != 200 or any("error_code" in o for o in data["offsets"])


async def produce(
    url: str, topic: str, clients: int, seconds: float, fmt: str = JSON, http_client="httpx"
) -> dict:
    body = _body(url, topic, fmt)
    headers = {"Content-Type": fmt, "Accept": V2}
    latencies: list[float] = []
    errors = [0]
    deadline = time.perf_counter() + seconds

    async def client_httpx() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                r = await http.post(f"/topics/{topic}", content=body, headers=headers)
                latencies.append(time.perf_counter() - t0)
                errors[0] += _failed(r.status_code, r.json())

    async def client_aiohttp() -> None:
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(url, timeout=timeout) as http:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                async with http.post(f"/topics/{topic}", data=body, headers=headers) as r:
                    raw = await r.read()
                latencies.append(time.perf_counter() - t0)
                errors[0] += r.status != 200 or b'"error_code"' in raw

    client = client_aiohttp if http_client == "aiohttp" else client_httpx

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    records = len(latencies) * BATCH
    return {
        "requests": len(latencies),
        "records": records,
        "failed_requests": errors[0],
        "seconds": round(elapsed, 2),
        "records_s": round(records / elapsed),
        "mb_s": round(records * RECORD_BYTES / 1e6 / elapsed, 1),
        "p50_ms": round(_pct(latencies, 0.5), 1),
        "p99_ms": round(_pct(latencies, 0.99), 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else 0,
    }


async def consume(url: str, topic: str, partitions: int, count: int, seconds: float) -> dict:
    """One instance per partition (manual assignment), each GETting records until done."""
    latencies: list[float] = []
    got = [0]
    deadline = time.perf_counter() + seconds

    async def instance(p: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            r = await http.post(
                "/consumers/bench",
                json={"format": "json", "name": f"b{p}", "auto.offset.reset": "earliest"},
            )
            base = f"/consumers/bench/instances/{r.json()['instance_id']}"
            await http.post(
                f"{base}/assignments", json={"partitions": [{"topic": topic, "partition": p}]}
            )
            while got[0] < count and time.perf_counter() < deadline:
                t0 = time.perf_counter()
                r = await http.get(
                    f"{base}/records",
                    params={"timeout": 200, "max_bytes": 4_000_000},
                    headers={"Accept": JSON},
                )
                latencies.append(time.perf_counter() - t0)
                got[0] += len(r.json())
            await http.delete(base)

    started = time.perf_counter()
    await asyncio.gather(*(instance(p) for p in range(partitions)))
    elapsed = time.perf_counter() - started
    return {
        "records": got[0],
        "requests": len(latencies),
        "seconds": round(elapsed, 2),
        "records_s": round(got[0] / elapsed),
        "mb_s": round(got[0] * RECORD_BYTES / 1e6 / elapsed, 1),
        "p50_ms": round(_pct(latencies, 0.5), 1),
        "p99_ms": round(_pct(latencies, 0.99), 1),
    }


def _measure(proc: psutil.Process, step):
    me = psutil.Process()
    cpu0, mine0, machine0 = _cpu_s(proc), _cpu_s(me), psutil.cpu_times()
    result = step()
    cpu = _cpu_s(proc) - cpu0
    result["machine_steal_pct"] = cpu_share_pct(machine0, psutil.cpu_times(), "steal")
    result["client_cpu_s"] = round(_cpu_s(me) - mine0, 2)
    gb = result.get("records", 0) * RECORD_BYTES / 1e9
    result["broker_cpu_s"] = round(cpu, 2)
    result["broker_cpu_s_per_gb"] = round(cpu / gb, 1) if gb else None
    return result


def run(
    seconds: float,
    clients: int,
    partitions: int,
    kafka_records: int,
    http_client: str = "aiohttp",
    avro: bool = False,
    more_clients: int = 0,
) -> dict:
    with tempfile.TemporaryDirectory(prefix="ailurus-proxy-bench-", dir=".") as tmp:
        registry = ("--schema-registry-addr", "127.0.0.1:0") if avro else ()
        broker = BrokerProcess(
            Path(tmp) / "broker", "--pandaproxy-addr", "127.0.0.1:0", *registry
        ).start()
        try:
            proc = psutil.Process(broker.proc.pid)
            url = broker.listener_url("pandaproxy")
            kafka_load.create_topic(broker.bootstrap, "proxy", partitions)
            kafka_load.create_topic(broker.bootstrap, "kafka", partitions)
            kafka_load.create_topic(broker.bootstrap, "proxy-bin", partitions)
            out: dict = {
                "clients": clients,
                "partitions": partitions,
                "batch": BATCH,
                "record_bytes": RECORD_BYTES,
                "http_client": http_client,
            }
            out["proxy_produce"] = _measure(
                proc,
                lambda: asyncio.run(produce(url, "proxy", clients, seconds, JSON, http_client)),
            )
            if more_clients:
                out[f"proxy_produce_{more_clients}_clients"] = _measure(
                    proc,
                    lambda: asyncio.run(
                        produce(url, "proxy", more_clients, seconds, JSON, http_client)
                    ),
                )
            out["proxy_produce_binary"] = _measure(
                proc,
                lambda: asyncio.run(
                    produce(url, "proxy-bin", clients, seconds, BINARY, http_client)
                ),
            )
            if avro:
                kafka_load.create_topic(broker.bootstrap, "proxy-avro", partitions)
                out["proxy_produce_avro"] = _measure(
                    proc,
                    lambda: asyncio.run(
                        produce(url, "proxy-avro", clients, seconds, AVRO, http_client)
                    ),
                )
            total = out["proxy_produce"]["records"]
            out["proxy_consume"] = _measure(
                proc, lambda: asyncio.run(consume(url, "proxy", partitions, total, 60))
            )
            out["kafka_produce"] = _measure(
                proc,
                lambda: kafka_load.produce(
                    broker.bootstrap, "kafka", kafka_records, RECORD_BYTES, 60
                ),
            )
            out["kafka_consume"] = _measure(
                proc,
                lambda: kafka_load.consume(
                    broker.bootstrap, "kafka", partitions, kafka_records, 60
                ),
            )
            out["karapace_anchor_records_s"] = 8100
            return out
        finally:
            broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.proxy_load")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--kafka-records", type=int, default=200_000)
    parser.add_argument("--more-clients", type=int, default=50)
    parser.add_argument("--http-client", choices=("httpx", "aiohttp"), default="aiohttp")
    parser.add_argument("--avro", action="store_true")
    args = parser.parse_args()
    result = run(
        args.seconds,
        args.clients,
        args.partitions,
        args.kafka_records,
        args.http_client,
        args.avro,
        args.more_clients,
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
