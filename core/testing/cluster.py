"""A cluster of real `ailurus` processes on 127.0.0.1 ephemeral ports, for fault tests.

    with BrokerCluster(3, tmp_path, rpc_proxies=True) as cluster:
        producer = Producer({"bootstrap.servers": cluster.bootstrap})
        leader = cluster.leader_of("t", 0)
        cluster.kill(leader)          # SIGKILL; restart(leader) brings it back
        cluster.isolate(1)            # cut every RPC link to and from node 1
        cluster.heal()

Each node gets a redpanda.yaml (node_id 0..n-1, kafka/admin/rpc on reserved ports, seed_servers =
every node's RPC address). With `rpc_proxies=True` every directed RPC link i -> j goes through
its own proxy: node i's seed list names, for every other node j, the proxy of link i -> j (its
own entry is its real address, so it knows itself a founder), and `isolate(i)` cuts the links
from and to i. Node indexes are node ids. The processes die with the test process.
"""

from __future__ import annotations

import json
import signal
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from core.testing.cluster_node import ClusterNode
from core.testing.link_proxy import LinkProxies
from core.testing.metadata import PartitionInfo, fetch_metadata
from core.testing.ports import reserve_ports

HOST = "127.0.0.1"
FORM_TIMEOUT_S = 30.0
LEADER_TIMEOUT_S = 30.0
LOG_TAIL_LINES = 40


class ClusterError(AssertionError):
    """The cluster did not reach the awaited state; the message carries each node's log tail."""


class BrokerCluster:
    def __init__(
        self,
        n: int,
        base_dir: Path,
        *,
        extra_args: tuple[str, ...] | list[str] = (),
        rpc_proxies: bool = False,
        properties: dict[str, Any] | None = None,
    ) -> None:
        assert n >= 1
        self.n = n
        self.founders = n  # nodes 0..founders-1 are the seeds; later ones joined (add_node)
        self.base_dir = Path(base_dir)
        self.extra_args = list(extra_args)
        self.properties = dict(properties or {})  # cluster properties in every node's file
        self.proxies: LinkProxies | None = LinkProxies().start() if rpc_proxies else None
        self.link_ports: dict[tuple[int, int], int] = {}  # (from, to) -> proxy port
        ports = reserve_ports(3 * n)
        self.nodes: list[ClusterNode] = []
        for i in range(n):
            node = ClusterNode(
                i,
                self.base_dir / f"node{i}.yaml",
                self.base_dir / f"node{i}",
                *self.extra_args,
            )
            node.kafka_port, node.admin_port, node.rpc_port = ports[3 * i : 3 * i + 3]
            self.nodes.append(node)
        if self.proxies is not None:
            for i in range(n):
                for j in range(n):
                    if i != j:
                        self.link_ports[(i, j)] = self.proxies.add(HOST, self.nodes[j].rpc_port)
        for node in self.nodes:
            self._write_config(node)

    # ---- configuration -----------------------------------------------------------------------
    def seed_port(self, from_node: int, to_node: int) -> int:
        """The port node `from_node` dials to reach `to_node` (a proxy when proxied; a node
        that joined later dials directly)."""
        if from_node == to_node or self.proxies is None:
            return self.nodes[to_node].rpc_port
        return self.link_ports.get((from_node, to_node), self.nodes[to_node].rpc_port)

    def _write_config(self, node: ClusterNode, node_id: int | None = -1) -> None:
        """`node_id` -1: the node's index; None: left out (a joiner the controller numbers)."""
        i = node.node_id

        def addr(port: int) -> dict[str, Any]:
            return {"address": HOST, "port": port}

        doc: dict[str, Any] = {
            "redpanda": {
                "node_id": i if node_id == -1 else node_id,
                "data_directory": str(node.data_dir),
                "rpc_server": addr(node.rpc_port),
                "advertised_rpc_api": addr(node.rpc_port),
                "kafka_api": [addr(node.kafka_port)],
                "admin": [addr(node.admin_port)],
                "seed_servers": [
                    {"host": addr(self.seed_port(i, j))} for j in range(self.founders)
                ],
                **self.properties,
            }
        }
        if doc["redpanda"]["node_id"] is None:
            del doc["redpanda"]["node_id"]
        node.config_path.parent.mkdir(parents=True, exist_ok=True)
        node.config_path.write_text(yaml.safe_dump(doc, sort_keys=False))

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout_s: float = FORM_TIMEOUT_S) -> BrokerCluster:
        """Start every node at once (a founder may wait for the others before it is ready),
        then wait until every node lists all n brokers."""
        self._start_nodes(self.nodes, timeout_s)
        self.wait_formed(timeout_s)
        return self

    def _start_nodes(self, nodes: list[ClusterNode], timeout_s: float) -> None:
        """Spawn every node first (from this thread: a child's parent-death signal follows the
        thread that forked it), then wait for each ready line."""
        for node in nodes:
            node.spawn()
        deadline = time.monotonic() + timeout_s
        for node in nodes:
            try:
                node.wait_ready(max(0.1, deadline - time.monotonic()))
            except (RuntimeError, TimeoutError) as exc:
                raise ClusterError(
                    f"node {node.node_id} failed to start: {str(exc)[:300]}\n" + self.log_tails()
                ) from None

    def add_node(
        self, *, node_id: int | None = None, timeout_s: float = FORM_TIMEOUT_S, wait: bool = True
    ) -> ClusterNode:
        """Start one more node, outside seed_servers: it joins the running cluster through the
        seeds (core.cluster.node_join), its node id assigned by the controller unless
        `node_id` is given. It is `nodes[n]` (its index is the id the controller assigns to
        a first joiner). With `wait`, returns once every node lists n + 1 brokers."""
        i = len(self.nodes)
        node = ClusterNode(
            i, self.base_dir / f"node{i}.yaml", self.base_dir / f"node{i}", *self.extra_args
        )
        node.kafka_port, node.admin_port, node.rpc_port = reserve_ports(3)
        self.nodes.append(node)
        self._write_config(node, node_id)
        self.n += 1
        node.spawn()
        if wait:
            try:
                node.wait_ready(timeout_s)
            except (RuntimeError, TimeoutError) as exc:
                raise ClusterError(
                    f"node {i} failed to join: {str(exc)[:300]}\n" + self.log_tails()
                ) from None
            self.wait_formed(timeout_s)
        return node

    def wait_formed(self, timeout_s: float = FORM_TIMEOUT_S) -> None:
        """Every running node's Admin API lists all n brokers, none of them down, and Metadata
        lists n brokers."""
        try:
            wait_until(
                lambda: all(self._sees_all(node) for node in self.running()),
                f"every node to see {self.n} brokers",
                self,
                timeout_s,
            )
        except ClusterError as exc:
            raise ClusterError(f"{self.views()}\n{exc}") from None

    def views(self, topics: list[str] | tuple[str, ...] = ()) -> str:
        """What each running node says of the cluster, and of `topics` (partition: leader/epoch
        or error code), one line each: for error messages."""
        lines = []
        for node in self.running():
            brokers = admin_get(node.admin_port, "/v1/brokers")
            if isinstance(brokers, list):
                brokers = [(b.get("node_id"), b.get("is_alive")) for b in brokers]
            try:
                meta = fetch_metadata(node.kafka_port, list(topics))
                seen = f"Metadata brokers {sorted(meta.brokers)} controller {meta.controller_id}"
                for t in topics:
                    parts = sorted(tp[1] for tp in meta.partitions if tp[0] == t)
                    seen += f"; {t} error {meta.topic_errors.get(t)}: " + " ".join(
                        f"{i.partition}:{i.leader}/{i.leader_epoch}"
                        + (f"!{i.error_code}" if i.error_code else "")
                        for i in (meta.partitions[(t, p)] for p in parts)
                    )
            except (OSError, ValueError) as err:
                seen = f"Metadata failed: {err!r}"
            lines.append(f"node {node.node_id}: /v1/brokers (id, alive) {brokers}; {seen}")
        return "\n".join(lines)

    def _sees_all(self, node: ClusterNode) -> bool:
        brokers = admin_get(node.admin_port, "/v1/brokers")
        if not isinstance(brokers, list) or len(brokers) != self.n:
            return False
        if any(b.get("is_alive") is False for b in brokers):  # a member not heard from lately
            return False
        try:
            meta = fetch_metadata(node.kafka_port, [])
        except (OSError, ValueError):
            return False
        return len(meta.brokers) == self.n

    def running(self) -> list[ClusterNode]:
        """Nodes whose process runs and is not paused."""
        return [node for node in self.nodes if node.alive and not node.paused]

    @property
    def bootstrap(self) -> str:
        return ",".join(node.bootstrap for node in self.nodes)

    def kill(self, i: int) -> None:
        """SIGKILL node i (a crash)."""
        node = self.nodes[i]
        node.kill()
        node.paused = False

    def pause(self, i: int) -> None:
        self.nodes[i].signal(signal.SIGSTOP)
        self.nodes[i].paused = True

    def resume(self, i: int) -> None:
        self.nodes[i].signal(signal.SIGCONT)
        self.nodes[i].paused = False

    def restart(self, i: int, *, crash: bool = False, timeout_s: float = FORM_TIMEOUT_S) -> None:
        """Stop node i (SIGTERM, or SIGKILL with crash=True) if it runs, start it again and wait
        until it is ready and sees the whole cluster."""
        node = self.nodes[i]
        if node.paused:
            self.resume(i)
        node.kill() if crash else node.stop()
        self._start_nodes([node], timeout_s)
        wait_until(lambda: self._sees_all(node), f"node {i} to rejoin", self, timeout_s)

    def start_node(self, i: int, timeout_s: float = FORM_TIMEOUT_S) -> None:
        """Start a node that was killed or stopped (no-op wait if it runs)."""
        node = self.nodes[i]
        if not node.alive:
            self._start_nodes([node], timeout_s)

    def stop(self) -> None:
        """Stop every node (SIGTERM, SIGKILL if it does not end) and the proxies."""
        self.stop_nodes()
        if self.proxies is not None:
            self.proxies.stop()

    def stop_nodes(self, *, crash: bool = False) -> None:
        """Stop every node at once (SIGTERM, or SIGKILL with crash=True); the proxies stay, so
        start() brings the same cluster back."""
        for node in self.nodes:
            if node.paused and node.alive:
                self.resume(node.node_id)

        def end(node: ClusterNode) -> None:
            try:
                node.kill() if crash else node.stop()
            except Exception:
                node.kill()

        threads = [threading.Thread(target=end, args=(n,), daemon=True) for n in self.nodes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def __enter__(self) -> BrokerCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- network faults ----------------------------------------------------------------------
    def cut(self, from_node: int, to_node: int) -> None:
        """Silence the directed RPC link from -> to (needs rpc_proxies=True)."""
        self._links().cut(self.link_ports[(from_node, to_node)])

    def isolate(self, i: int) -> None:
        """Cut every RPC link from and to node i. Its Kafka and Admin listeners stay reachable.
        (Links of a node added later, add_node, have no proxy: they stay.)"""
        for j in range(self.n):
            if j != i and (i, j) in self.link_ports:
                self.cut(i, j)
                self.cut(j, i)

    def heal(self) -> None:
        links = self._links()
        for port in self.link_ports.values():
            links.mend(port)

    def link_traffic(self) -> dict[tuple[int, int], int]:
        """(from, to) -> bytes forwarded so far through that link's proxy. All zero while the
        cluster runs means the nodes reach each other some other way (isolation would cut
        nothing)."""
        links = self._links()
        return {link: links.stats(port)[0] for link, port in self.link_ports.items()}

    def _links(self) -> LinkProxies:
        if self.proxies is None:
            raise RuntimeError("network faults need BrokerCluster(..., rpc_proxies=True)")
        return self.proxies

    # ---- observation -------------------------------------------------------------------------
    def partition_info(self, topic: str, partition: int, node: int | None = None) -> PartitionInfo:
        """The partition as node `node` (default: the first running node) answers in Metadata."""
        target = self.nodes[node] if node is not None else self.running()[0]
        meta = fetch_metadata(target.kafka_port, [topic])
        return meta.partition(topic, partition)

    def leader_of(
        self, topic: str, partition: int, *, timeout_s: float = LEADER_TIMEOUT_S, among: Any = None
    ) -> int:
        """The leader's node id once a running node names a leader that runs (and, with
        `among`, is one of those node ids)."""

        def probe() -> int | None:
            for node in self.running():
                try:
                    info = self.partition_info(topic, partition, node.node_id)
                except (OSError, ValueError, KeyError):
                    continue
                leader = info.leader
                if leader < 0 or leader >= self.n or not self.nodes[leader].alive:
                    continue
                if self.nodes[leader].paused or (among is not None and leader not in among):
                    continue
                return leader
            return None

        leader: int = wait_until(probe, f"a leader of {topic}/{partition}", self, timeout_s)
        return leader

    def partition_dirs(self, topic: str, partition: int) -> dict[int, Path]:
        """node id -> the partition's directory on that node (nodes holding a replica)."""
        out: dict[int, Path] = {}
        for node in self.nodes:
            topic_dir = node.data_dir / "kafka" / topic
            if not topic_dir.is_dir():
                continue
            found = sorted(
                (p for p in topic_dir.iterdir() if p.name.split("_")[0] == str(partition)),
                key=lambda p: int(p.name.rpartition("_")[2] or 0),
            )
            if found:
                out[node.node_id] = found[-1]
        return out

    def log_tails(self, lines: int = LOG_TAIL_LINES) -> str:
        parts = []
        for node in self.nodes:
            state = "paused" if node.paused else ("running" if node.alive else "down")
            tail = node.log_text().splitlines()[-lines:]
            parts.append(f"--- node {node.node_id} ({state}) {node.log_path}\n" + "\n".join(tail))
        return "\n".join(parts)


def wait_until(predicate: Any, what: str, cluster: BrokerCluster, timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value is not None and value is not False:
            return value
        if time.monotonic() >= deadline:
            raise ClusterError(
                f"timed out after {timeout_s}s waiting for {what}\n" + cluster.log_tails()
            )
        time.sleep(0.1)


def admin_get(port: int, path: str, timeout_s: float = 2.0) -> Any:
    """GET an Admin API path as JSON; None when the node does not answer or answers an error."""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=timeout_s) as resp:
            return json.loads(resp.read())
    except (OSError, urllib.error.URLError, ValueError):
        return None
