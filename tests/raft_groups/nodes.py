"""Raft nodes in one process for the raft_groups tests and bench/raft_heartbeat.py's
in-process mode: per node a real RpcServer on 127.0.0.1 (ephemeral port), its PeerClients,
a RaftGroups, a GroupCommit flusher and one Consensus per group over a real DiskLog."""

from __future__ import annotations

import asyncio
import pathlib
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from core.cluster.raft_groups import RaftGroups
from core.common.clock import SystemClock
from core.model.records import Record, build_batch
from core.raft.consensus import Consensus
from core.raft.state import RaftConfig
from core.rpc.hello import IdentityBook, NodeIdentity
from core.rpc.server import RpcServer
from core.storage.group_commit import GroupCommit
from core.storage.log import DiskLog, LogConfig
from tests.support.tcp_proxy import TcpProxy

CLUSTER = uuid.UUID(int=0xA11)


def batch(tag: int, size: int = 100) -> bytearray:
    return build_batch([Record(key=b"k%d" % tag, value=bytes([tag % 256]) * size)])


@dataclass
class Node:
    node_id: int
    directory: pathlib.Path
    server: RpcServer
    groups: RaftGroups
    flusher: GroupCommit
    port: int
    replicas: dict[int, Consensus] = field(default_factory=dict)
    logs: dict[int, DiskLog] = field(default_factory=dict)
    alive: bool = True

    def add_group(self, group_id: int, voters: tuple[int, ...], config: RaftConfig) -> Consensus:
        log = DiskLog.open(self.directory / f"g{group_id}", LogConfig(), SystemClock())
        consensus = Consensus(
            group_id,
            self.node_id,
            log,
            self.flusher,
            voters=voters,
            transport=self.groups.transport(group_id),
            rng=random.Random(group_id * 1000 + self.node_id),
            config=config,
        )
        self.groups.register(consensus)
        consensus.start()
        self.replicas[group_id] = consensus
        self.logs[group_id] = log
        return consensus

    async def stop(self) -> None:
        """Close the RPC server, RaftGroups and every replica (as a crash would, but clean)."""
        if not self.alive:
            return
        self.alive = False
        await self.server.close()
        await self.groups.close()
        for consensus in self.replicas.values():
            consensus.close()
        await self.flusher.stop()
        for log in self.logs.values():
            log.close()


async def start_nodes(
    tmp: pathlib.Path,
    n: int,
    *,
    address: Callable[[int, int, int], tuple[str, int]] | None = None,
) -> list[Node]:
    """Start `n` nodes (no groups yet) that know each other's addresses.

    `address(src, dst, dst_port)` says where `src` dials `dst` (a proxy, in link tests)."""
    nodes = []
    for i in range(n):
        server = RpcServer(IdentityBook(NodeIdentity(i, uuid.uuid4(), CLUSTER)))
        port = await server.start("127.0.0.1", 0)
        groups = RaftGroups(i, server, server.peers, SystemClock())
        flusher = GroupCommit()
        flusher.start()
        nodes.append(Node(i, tmp / f"n{i}", server, groups, flusher, port))
    for a in nodes:
        for b in nodes:
            if a is not b:
                host, port = (
                    address(a.node_id, b.node_id, b.port) if address else ("127.0.0.1", b.port)
                )
                a.server.peers.set_peer(b.node_id, host, port)
        a.groups.start()
    return nodes


class Links:
    """One TCP proxy per directed link between in-process nodes (`start_nodes(address=...)`)."""

    def __init__(self) -> None:
        self.proxies: dict[tuple[int, int], TcpProxy] = {}

    def address(self, src: int, dst: int, port: int) -> tuple[str, int]:
        proxy = self.proxies[(src, dst)] = TcpProxy("127.0.0.1", port).start()
        return "127.0.0.1", proxy.port

    def isolate(self, node_id: int) -> None:
        """Cut every link to and from `node_id` (connections reset, new ones refused)."""
        for (src, dst), proxy in self.proxies.items():
            if node_id in (src, dst):
                proxy.close_links()

    def heal(self) -> None:
        for proxy in self.proxies.values():
            proxy.forward()

    def stop(self) -> None:
        for proxy in self.proxies.values():
            proxy.stop()


FAST = RaftConfig(election_timeout_ms=500, heartbeat_interval_ms=50)


@asynccontextmanager
async def group_over_links(
    tmp: pathlib.Path, n: int = 3, group_id: int = 1, config: RaftConfig = FAST
) -> AsyncIterator[tuple[list[Node], Links]]:
    """`n` nodes dialing each other through per-link proxies, all voters of one group that
    has elected a leader; nodes and proxies stopped on the way out."""
    links = Links()
    nodes = await start_nodes(tmp, n, address=links.address)
    try:
        for node in nodes:
            node.add_group(group_id, tuple(range(n)), config)
        await until(lambda: leader_of(nodes, group_id) is not None, 5, "a leader")
        yield nodes, links
    finally:
        for node in nodes:
            await node.stop()
        links.stop()


async def until(cond: Callable[[], bool], timeout_s: float, what: str = "condition") -> float:
    """Wait until `cond()`; returns the seconds it took."""
    started = time.monotonic()
    while not cond():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"{what} not reached within {timeout_s} s")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


def leader_of(nodes: list[Node], group_id: int) -> Consensus | None:
    leaders = [
        n.replicas[group_id]
        for n in nodes
        if n.alive and group_id in n.replicas and n.replicas[group_id].serving
    ]
    return max(leaders, key=lambda c: c.term) if leaders else None


def log_bytes(consensus: Consensus, upto: int) -> bytes:
    return consensus.log.read_bytes(0, 1 << 30, upto)
