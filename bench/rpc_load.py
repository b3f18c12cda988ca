"""Broker RPC (core.rpc) on loopback: small-request rate and latency with 1 and 64 in flight,
and MB/s for 64 KiB blobs (a follower-append shape: blob in, empty answer out), beside a bare
asyncio echo round trip measured in the same run (cluster-notes §6: p50 ~94 µs), the same blobs
read by a StreamReader server, and the CPU of 1,000 groups' heartbeats to one peer every 150 ms
(Raft AppendRequest/AppendReply through raft_codec, batched by HeartbeatBatcher).

The server runs in its own process (as a peer broker would); the client in this one.

    .venv/bin/python -m bench.rpc_load [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import uuid

import psutil

from core.raft.types import AppendReply, AppendRequest
from core.rpc import raft_codec
from core.rpc.client import ClientConfig, PeerClient
from core.rpc.frame import FLAG_RESPONSE, HEADER_SIZE, Method, decode_header, encode_header
from core.rpc.heartbeat import HeartbeatBatcher, HeartbeatHandler
from core.rpc.hello import IdentityBook, NodeIdentity
from core.rpc.server import RpcServer

SINK = 200
CLUSTER = uuid.UUID(int=42)
BLOB_BYTES = 64 * 1024
ROUNDS = 3


# ---- server process -----------------------------------------------------------------------------
class _Echo(asyncio.Protocol):
    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


def _follower_heartbeat(src: int, group_id: int, payload: bytes) -> bytes:
    """Decode the leader's heartbeat and answer as a follower would (codec cost included)."""
    _, m = raft_codec.decode(payload)
    reply = AppendReply(m.dst, m.src, m.term, True, m.prev, m.commit, m.prev[0], m.seq)
    return raft_codec.encode(group_id, reply)[0]


async def _heartbeats(client: PeerClient, groups: int, seconds: float, tick_ms: int) -> dict:
    """`groups` Raft groups led here heartbeat one peer every tick, batched in one message."""

    async def send(node_id: int, meta: bytes) -> bytes:
        return (await client.call(Method.heartbeat_batch, meta, timeout_ms=3_000))[0]

    batcher = HeartbeatBatcher(2, send, tick_ms=tick_ms)
    proc = psutil.Process()
    cpu0, t0, ticks, lat = _cpu_s(proc), time.perf_counter(), 0, []
    while time.perf_counter() - t0 < seconds:
        tick_at = time.perf_counter()
        futs = []
        for g in range(groups):
            m = AppendRequest(2, 1, 7, (1000 + g, 7), (), 1000 + g, 1000 + g, ticks)
            futs.append(batcher.submit(1, g, raft_codec.encode(g, m)[0]))
        batcher.flush()
        await asyncio.gather(*futs)
        lat.append(time.perf_counter() - tick_at)
        ticks += 1
        await asyncio.sleep(max(0.0, tick_ms / 1000 - (time.perf_counter() - tick_at)))
    elapsed = time.perf_counter() - t0
    return {
        "groups": groups,
        "tick_ms": tick_ms,
        "ticks": ticks,
        "batches_sent": batcher.batches_sent,
        "leader_cpu_pct_of_core": round((_cpu_s(proc) - cpu0) / elapsed * 100, 1),
        "tick_p50_us": _pct_us(lat, 0.5),
        "tick_p99_us": _pct_us(lat, 0.99),
        "_elapsed_s": elapsed,
    }


async def _stream_server(identity: NodeIdentity) -> asyncio.Server:
    """The same frames read with StreamReader.readexactly (the comparison for FrameProtocol)."""

    async def conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def answer(h, body: bytes) -> None:
            out = identity.encode() if h.method == Method.hello else b""
            head = encode_header(h.method, h.correlation, len(out), 0, flags=FLAG_RESPONSE)
            writer.write(head + out)

        tasks = set()
        try:
            while True:
                h = decode_header(await reader.readexactly(HEADER_SIZE), 0, 64 << 20)
                task = asyncio.ensure_future(answer(h, await reader.readexactly(h.body_len)))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    return await asyncio.start_server(conn, "127.0.0.1", 0)


async def _serve() -> None:
    identity = NodeIdentity(1, uuid.uuid4(), CLUSTER)
    server = RpcServer(IdentityBook(identity))

    async def echo(meta, blob):
        return meta, blob

    async def sink(meta, blob):
        return b"", b""

    server.register(Method.echo, echo)
    server.register(SINK, sink)
    server.register(Method.heartbeat_batch, HeartbeatHandler(_follower_heartbeat))
    port = await server.start("127.0.0.1", 0)
    raw = await asyncio.get_running_loop().create_server(_Echo, "127.0.0.1", 0)
    streams = await _stream_server(identity)
    ports = (port, raw.sockets[0].getsockname()[1], streams.sockets[0].getsockname()[1])
    print(*ports, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until closed


# ---- client -------------------------------------------------------------------------------------
def _pct_us(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e6, 1)


async def _bare_rtt(port: int, seconds: float) -> dict:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    msg, lat = b"x" * 40, []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        writer.write(msg)
        await reader.readexactly(len(msg))
        lat.append(time.perf_counter() - t0)
    writer.close()
    return {"round_trips": len(lat), "p50_us": _pct_us(lat, 0.5), "p99_us": _pct_us(lat, 0.99)}


async def _load(client: PeerClient, in_flight: int, seconds: float, method: int, blob) -> dict:
    lat: list[float] = []
    end = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            await client.call(method, b"0123456789abcdef", blob, timeout_ms=10_000)
            lat.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(in_flight)])
    elapsed = time.perf_counter() - t0
    return {
        "in_flight": in_flight,
        "requests": len(lat),
        "requests_per_s": round(len(lat) / elapsed),
        "p50_us": _pct_us(lat, 0.5),
        "p99_us": _pct_us(lat, 0.99),
        "elapsed_s": round(elapsed, 2),
    }


async def _client(ports: list[int], seconds: float, server: psutil.Process) -> dict:
    rpc_port, raw_port, stream_port = ports
    endpoint = RpcServer(IdentityBook(NodeIdentity(2, uuid.uuid4(), CLUSTER)))  # dials only
    client = PeerClient(endpoint, 1, "127.0.0.1", rpc_port, ClientConfig(max_in_flight=64))
    out: dict = {"bare_asyncio_echo_rtt": await _bare_rtt(raw_port, seconds)}
    await client.call(Method.echo, timeout_ms=5_000)
    for name, in_flight in (("small_1_in_flight", 1), ("small_64_in_flight", 64)):
        cpu0 = _cpu_s(server)
        out[name] = await _load(client, in_flight, seconds, Method.echo, b"")
        out[name]["server_cpu_us_per_request"] = round(
            (_cpu_s(server) - cpu0) * 1e6 / max(1, out[name]["requests"]), 1
        )
    cpu0 = _cpu_s(server)
    hb = await _heartbeats(client, 1_000, seconds, 150)
    hb["follower_cpu_pct_of_core"] = round((_cpu_s(server) - cpu0) / hb.pop("_elapsed_s") * 100, 1)
    out["heartbeats_1000_groups_one_peer"] = hb
    stream_client = PeerClient(
        endpoint, 1, "127.0.0.1", stream_port, ClientConfig(max_in_flight=64)
    )
    for in_flight in (1, 16):  # interleaved rounds: both servers see the same machine load
        runs: dict[str, list[dict]] = {"frame_protocol": [], "streamreader": []}
        for _ in range(ROUNDS):
            for name, c in (("frame_protocol", client), ("streamreader", stream_client)):
                cpu0 = _cpu_s(server)
                r = await _load(c, in_flight, seconds / ROUNDS, SINK, bytes(BLOB_BYTES))
                r["server_cpu_s"] = _cpu_s(server) - cpu0
                runs[name].append(r)
        for name, rs in runs.items():
            out[f"blob_64KiB_{in_flight}_in_flight_{name}"] = _blob_figures(rs)
    await client.close()
    await stream_client.close()
    return out


def _blob_figures(runs: list[dict]) -> dict:
    requests = sum(r["requests"] for r in runs)
    elapsed = sum(r["elapsed_s"] for r in runs)
    gb = requests * BLOB_BYTES / 1e9
    return {
        "requests": requests,
        "mb_per_s": round(gb * 1e3 / elapsed, 1),
        "p50_us_per_round": [r["p50_us"] for r in runs],
        "p99_us_per_round": [r["p99_us"] for r in runs],
        "server_cpu_s_per_gb": round(sum(r["server_cpu_s"] for r in runs) / max(gb, 1e-9), 2),
    }


def _cpu_s(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.rpc_load")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve())
        return
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.rpc_load", "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ports = [int(p) for p in proc.stdout.readline().split()]
        result = asyncio.run(_client(ports, args.seconds, psutil.Process(proc.pid)))
    finally:
        proc.stdin.close()
        proc.wait(10)
    result["reference"] = {"cluster_notes_loopback_rtt_p50_us": 94}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
