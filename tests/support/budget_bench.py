"""Micro-benchmark of the Kafka connection's per-request overhead (in-flight budget etc.).

    .venv/bin/python -m tests.support.budget_bench

1. `RequestBudget.try_acquire` + `release` alone, with the live cluster-config capacity.
2. End to end: pipelined ApiVersions v0 requests through one real `KafkaConnection` on a
   loopback TCP socket (real handlers), in microseconds per request. Run the same module
   against an older tree (PYTHONPATH=<tree>) to compare; it adapts to the older constructor.
"""

from __future__ import annotations

import asyncio
import inspect
import struct
import time
import timeit

from core.config.cluster_properties import ClusterConfigStore
from core.server.connection import KafkaConnection
from core.server.context import Services

REQUESTS = 20_000
ROUNDS = 5
API_VERSIONS_V0 = struct.pack(">ihhih", 10, 18, 0, 1, -1)


def budget_cost_ns() -> float | None:
    try:
        from core.server.budget import RequestBudget
    except ImportError:
        return None
    config = ClusterConfigStore()
    budget = RequestBudget(lambda: config.get("kafka_request_max_inflight_bytes"))

    def once() -> None:
        budget.release(budget.try_acquire(1000))

    n = 200_000
    return min(timeit.repeat(once, number=n, repeat=5)) / n * 1e9


def services() -> Services:
    return Services(
        0, ("127.0.0.1", 0), "bench", None, None, None, ClusterConfigStore(), None, None, None, None
    )


def connection_kwargs() -> dict:
    params = inspect.signature(KafkaConnection.__init__).parameters
    if "budget" in params:
        from core.server.budget import RequestBudget

        config = services().cluster_config
        return {"budget": RequestBudget(lambda: config.get("kafka_request_max_inflight_bytes"))}
    return {"max_frame_bytes": 100 * 1024 * 1024}


async def pipelined_us_per_request() -> float:
    svc, kwargs = services(), connection_kwargs()

    async def serve(reader, writer) -> None:
        await KafkaConnection(reader, writer, svc, **kwargs).run()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        writer.write(API_VERSIONS_V0 * REQUESTS)
        for _ in range(REQUESTS):
            size = struct.unpack(">i", await reader.readexactly(4))[0]
            await reader.readexactly(size)
        best = min(best, (time.perf_counter() - started) / REQUESTS * 1e6)
    writer.close()
    await asyncio.sleep(0.2)  # let the connection see EOF and end
    server.close()
    return best


def main() -> None:
    cost = budget_cost_ns()
    if cost is not None:
        print(f"budget try_acquire+release: {cost:.0f} ns per request")
    print(f"pipelined ApiVersions v0: {asyncio.run(pipelined_us_per_request()):.1f} us per request")


if __name__ == "__main__":
    main()
