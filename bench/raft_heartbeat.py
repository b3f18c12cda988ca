"""Idle Raft groups' heartbeat cost: 3 nodes, each its own process (a real RpcServer on
127.0.0.1, PeerClients, RaftGroups, GroupCommit, one Consensus per group over a DiskLog),
N groups with 3 voters each (preferred leaders spread over the nodes), no writes. Each node
waits until every group it holds knows its leader, settles, then measures its own CPU
(user + system, percent of one core) and its raft_batch traffic over a window.

    .venv/bin/python -m bench.raft_heartbeat [--groups 1000] [--seconds 10] [--heartbeat-ms 150]

Prints one JSON object: per node cpu_pct_of_core, frames and light heartbeats per second.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil

from core.cluster.raft_groups import RaftGroups
from core.common.clock import SystemClock
from core.raft.consensus import Consensus
from core.raft.state import RaftConfig
from core.rpc.hello import IdentityBook, NodeIdentity
from core.rpc.server import RpcServer
from core.storage.group_commit import GroupCommit
from core.storage.log import DiskLog, LogConfig

CLUSTER = uuid.UUID(int=0xBE7C)
NODES = 3


def _reserve_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _cpu_s(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return t.user + t.system


async def _node(
    node_id: int,
    ports: list[int],
    groups: int,
    data: Path,
    seconds: float,
    heartbeat_ms: int,
    freeze_gc: bool,
) -> dict:
    server = RpcServer(IdentityBook(NodeIdentity(node_id, uuid.uuid4(), CLUSTER)))
    await server.start("127.0.0.1", ports[node_id])
    for peer, port in enumerate(ports):
        if peer != node_id:
            server.peers.set_peer(peer, "127.0.0.1", port)
    raft = RaftGroups(node_id, server, server.peers, SystemClock())
    flusher = GroupCommit()
    flusher.start()
    config = RaftConfig(heartbeat_interval_ms=heartbeat_ms)
    replicas = []
    t_open = time.monotonic()
    for gid in range(1, groups + 1):
        voters = tuple((gid + i) % NODES for i in range(NODES))
        log = DiskLog.open(data / f"n{node_id}" / f"g{gid}", LogConfig(), SystemClock())
        c = Consensus(
            gid, node_id, log, flusher, voters=voters, transport=raft.transport(gid),
            rng=random.Random(gid * 10 + node_id), config=config,
        )  # fmt: skip
        raft.register(c)
        c.start()
        replicas.append(c)
    raft.start()
    print(
        f"node {node_id}: {groups} groups opened in {time.monotonic() - t_open:.1f} s",
        file=sys.stderr,
    )
    started = time.monotonic()
    while (known := sum(c.leader_id is not None for c in replicas)) < groups:
        if time.monotonic() - started > 120:
            break
        await asyncio.sleep(0.1)
        if int((time.monotonic() - started) * 10) % 50 == 0:
            print(
                f"node {node_id}: {known} groups know their leader, "
                f"{sum(c.is_leader for c in replicas)} led here, {raft.stats}",
                file=sys.stderr,
            )
    elected_s = time.monotonic() - started
    await asyncio.sleep(3.0)  # settle: full heartbeats carry the last commit, then light ones
    if freeze_gc:
        gc.freeze()  # the groups' long-lived objects leave the collector's generations
    gc_s = [0.0, 0.0]  # seconds in the cyclic collector, start of the current collection

    def on_gc(phase: str, info: dict) -> None:
        now = time.perf_counter()
        if phase == "start":
            gc_s[1] = now
        else:
            gc_s[0] += now - gc_s[1]

    gc.callbacks.append(on_gc)
    proc, stats = psutil.Process(), raft.stats
    cpu0, t0, times0 = _cpu_s(proc), time.monotonic(), proc.cpu_times()
    frames0, light0, msgs0 = stats.frames_sent, stats.light_sent, stats.messages_sent
    profile = os.environ.get("RAFT_HB_PROFILE")  # python -m pstats <file>: node 0's window
    profiler = cProfile.Profile(time.process_time) if profile and node_id == 0 else None
    if profiler is not None:
        profiler.enable()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - t0
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    result = {
        "node": node_id,
        "groups_led": sum(c.is_leader for c in replicas),
        "groups_with_leader": sum(c.leader_id is not None for c in replicas),
        "elected_s": round(elected_s, 2),
        "cpu_pct_of_core": round((_cpu_s(proc) - cpu0) / elapsed * 100, 2),
        "gc_pct_of_core": round(gc_s[0] / elapsed * 100, 2),
        "system_pct_of_core": round((proc.cpu_times().system - times0.system) / elapsed * 100, 2),
        "frames_sent_per_s": round((stats.frames_sent - frames0) / elapsed, 1),
        "light_sent_per_s": round((stats.light_sent - light0) / elapsed, 1),
        "full_messages_sent_per_s": round((stats.messages_sent - msgs0) / elapsed, 1),
        "dropped_outbox_full": stats.dropped_outbox_full,
        "frames_failed": stats.frames_failed,
    }
    print(json.dumps(result), flush=True)
    await asyncio.sleep(seconds + 5)  # stay up while the other nodes measure
    await raft.close()
    for c in replicas:
        c.close()
    await flusher.stop()
    await server.close()
    return result


def _run_node(args: argparse.Namespace) -> None:
    ports = [int(p) for p in args.ports.split(",")]
    asyncio.run(
        _node(
            args.node,
            ports,
            args.groups,
            Path(args.data),
            args.seconds,
            args.heartbeat_ms,
            args.freeze_gc,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.raft_heartbeat")
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--heartbeat-ms", type=int, default=RaftConfig().heartbeat_interval_ms)
    parser.add_argument("--freeze-gc", action="store_true", help="gc.freeze() once elected")
    parser.add_argument("--node", type=int, default=-1, help=argparse.SUPPRESS)
    parser.add_argument("--ports", default="", help=argparse.SUPPRESS)
    parser.add_argument("--data", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.node >= 0:
        _run_node(args)
        return
    with tempfile.TemporaryDirectory(prefix="raft-hb-") as data:
        ports = ",".join(str(p) for p in _reserve_ports(NODES))
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.raft_heartbeat",
                    "--node",
                    str(i),
                    "--ports",
                    ports,
                    "--data",
                    data,
                    "--groups",
                    str(args.groups),
                    "--seconds",
                    str(args.seconds),
                    "--heartbeat-ms",
                    str(args.heartbeat_ms),
                    *(["--freeze-gc"] if args.freeze_gc else []),
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            for i in range(NODES)
        ]
        nodes = []
        for p in procs:
            line = p.stdout.readline() if p.stdout else ""
            nodes.append(json.loads(line) if line else {"error": "no result"})
        for p in procs:
            p.wait(timeout=args.seconds + 60)
    cpu = [n.get("cpu_pct_of_core", 0.0) for n in nodes]
    out = {
        "groups": args.groups,
        "replication_factor": NODES,
        "heartbeat_interval_ms": args.heartbeat_ms,
        "gc_frozen": args.freeze_gc,
        "window_s": args.seconds,
        "cpu_pct_of_core_per_node_max": max(cpu),
        "goal_pct": 5.0,
        "nodes": nodes,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
