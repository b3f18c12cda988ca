"""Cluster bootstrap: this node's identity, the controller's voters, founding and registering.

* Identity: node.json in the data directory keeps `node_id`, `node_uuid` (made once) and
  `cluster_uuid`. A configured node_id must match the stored one.
* Founder or not: empty `seed_servers`, or this node's advertised RPC address as the only
  seed, founds a cluster of one (today's single node: voters = {self}). A node whose
  advertised RPC address (advertised_rpc_api, else rpc_server) is among several seeds is a
  founder: its node id, when not configured, is its index in seed_servers; it dials every
  other seed's RPC address (a hello-only connection, core.rpc.discovery) until all answered,
  and the controller voters are the sorted node ids of the seeds. They are persisted in
  node.json with the seeds' ids, UUIDs and positions in seed_servers, so a restart needs no
  discovery. `connect_members` keeps PeerClients pointed at every member: a seed at the
  address seed_servers names for it (so per-link proxies in fault tests stay in the path),
  any other member at its registered RPC address.
* Joiners: a node outside seed_servers joins a running cluster through its seeds before
  anything else starts (core.cluster.node_join.prepare_join: node_join, its node id assigned
  by the controller when its configuration leaves it out); its controller voters and the
  members' addresses come from the answer, kept in node.json. `serve_joins` answers other
  nodes' node_join and, on the controller leader, adds every member to the controller group.
* Once the controller runs (`join`): the controller leader, when it is a founder and the log
  names no cluster yet, submits `bootstrap_cluster {cluster_uuid, founders}` (the first one
  applied wins, on every node); every node waits until the cluster is named, keeps its UUID
  in node.json, and submits `register_node` for itself when the members table lacks it or
  holds other addresses.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

from core.cluster.controller import Controller
from core.cluster.errors import ClusterError
from core.cluster.members import Member, Members
from core.cluster.metadata import KafkaEndpoint
from core.cluster.node_join import ControllerVoters, JoinHandler
from core.config.node import Address, NodeConfig
from core.rpc.client import PeerClients
from core.rpc.discovery import hello
from core.rpc.errors import RpcError
from core.rpc.frame import Method
from core.rpc.hello import NO_CLUSTER, NodeIdentity
from core.rpc.server import RpcServer

log = logging.getLogger("ailurus.bootstrap")

DISCOVERY_RETRY_MIN_MS = 100
DISCOVERY_RETRY_MAX_MS = 2_000
DEFAULT_DISCOVERY_TIMEOUT_MS = 300_000  # founders wait this long for every seed to answer
DEFAULT_JOIN_TIMEOUT_MS = 60_000
POLL_S = 0.05


class BootstrapError(RuntimeError):
    """This node cannot take its place in the cluster (configuration or data directory)."""


@dataclass(frozen=True, slots=True)
class SeedPeer:
    node_id: int
    node_uuid: str
    host: str
    port: int
    index: int = -1  # its position in seed_servers


def advertised_rpc(node: NodeConfig) -> Address:
    return node.advertised_rpc_api or node.rpc_server


class Bootstrap:
    def __init__(self, node: NodeConfig, meta) -> None:
        """`meta`: node.json (core.storage.kvstore.KvStore)."""
        self.node = node
        self.meta = meta
        self.seeds = list(node.seed_servers)
        own = advertised_rpc(node)
        self.single = not self.seeds or self.seeds == [own]
        self.joining = not self.single and own not in self.seeds
        if self.joining and not meta.get("joined"):
            raise BootstrapError(
                f"this node's RPC address {own} is not among seed_servers "
                f"{[str(s) for s in self.seeds]}: it joins through them first "
                "(core.cluster.node_join.prepare_join)"
            )
        self.node_id = self._node_id(own)
        stored_uuid = meta.get("node_uuid")
        self.node_uuid = uuid.UUID(stored_uuid) if stored_uuid else uuid.uuid4()
        meta.put_many({"node_id": self.node_id, "node_uuid": str(self.node_uuid)})

    def _node_id(self, own: Address) -> int:
        stored = self.meta.get("node_id")
        wanted = self.node.node_id
        if wanted is None:
            if stored is not None:
                wanted = stored
            else:
                wanted = 0 if self.single else self.seeds.index(own)
        if stored is not None and stored != wanted:
            raise BootstrapError(f"data directory belongs to node {stored}, not node {wanted}")
        return wanted

    @property
    def cluster_uuid(self) -> str | None:
        """The cluster this node belongs to, once the controller named it (node.json)."""
        return self.meta.get("cluster_uuid")

    def identity(self) -> NodeIdentity:
        """What this node says in its RPC hello (NO_CLUSTER until the cluster is named)."""
        cluster = self.meta.get("cluster_uuid") if self.meta.get("cluster_named") else None
        return NodeIdentity(
            self.node_id, self.node_uuid, uuid.UUID(cluster) if cluster else NO_CLUSTER
        )

    # ---- before the controller starts --------------------------------------------------------
    async def controller_voters(
        self, peers: PeerClients | None, timeout_ms: int = DEFAULT_DISCOVERY_TIMEOUT_MS
    ) -> tuple[int, ...]:
        """The controller group's voters; tells `peers` where the other seeds listen."""
        if self.single:
            return (self.node_id,)
        if self.joining:  # as the node_join answer said (node.json)
            if peers is not None:
                for m in self.meta.get("join_members") or []:
                    if int(m["node_id"]) != self.node_id:
                        peers.set_peer(
                            int(m["node_id"]),
                            m["rpc_host"],
                            int(m["rpc_port"]),
                            uuid.UUID(m["uuid"]),
                        )
            return tuple(int(v) for v in self.meta.get("controller_voters"))
        stored = self.meta.get("controller_voters")
        if stored:
            seeds = self.seed_peers()
        else:
            seeds = await self._discover(timeout_ms)
            stored = sorted([self.node_id] + [s.node_id for s in seeds])
            self.meta.put_many(
                {
                    "controller_voters": stored,
                    "seed_count": len(self.seeds),
                    "seed_peers": [
                        {
                            "node_id": s.node_id,
                            "node_uuid": s.node_uuid,
                            "host": s.host,
                            "port": s.port,
                            "index": s.index,
                        }
                        for s in seeds
                    ],
                }
            )
            log.info("controller voters %s (seeds %s)", stored, [str(s) for s in self.seeds])
        if peers is not None:
            for s in seeds:
                peers.set_peer(s.node_id, s.host, s.port, uuid.UUID(s.node_uuid))
        return tuple(stored)

    def seed_peers(self) -> list[SeedPeer]:
        """The other seeds as discovered, at the address seed_servers names for them now
        (a seed list of another length: as discovered)."""
        out = []
        for s in self.meta.get("seed_peers") or []:
            peer = SeedPeer(**s)
            if 0 <= peer.index < len(self.seeds) and len(self.seeds) == self._seed_count():
                now = self.seeds[peer.index]
                peer = SeedPeer(peer.node_id, peer.node_uuid, now.host, now.port, peer.index)
            out.append(peer)
        return out

    def _seed_count(self) -> int:
        return int(self.meta.get("seed_count") or 0)

    def connect_members(self, members: Members, peers: PeerClients) -> None:
        """Tell `peers` where every other member listens, now and on every change: a seed at
        the address this node's seed_servers names (a per-link proxy in fault tests), any
        other member at its advertised RPC address; with its UUID for the hello check."""
        seeds = {s.node_id: s for s in self.seed_peers()}

        def set_peer(member: Member) -> None:
            if member.node_id == self.node_id:
                return
            seed = seeds.get(member.node_id)
            host, port = (seed.host, seed.port) if seed else (member.rpc_host, member.rpc_port)
            peers.set_peer(member.node_id, host, port, uuid.UUID(member.uuid))

        for member in members.all():
            set_peer(member)
        members.subscribe(lambda _event, member: set_peer(member))

    async def _discover(self, timeout_ms: int) -> list[SeedPeer]:
        own = advertised_rpc(self.node)
        pending = [s for s in self.seeds if s != own]
        found: dict[Address, SeedPeer] = {}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_ms / 1000
        delay_ms = DISCOVERY_RETRY_MIN_MS
        local = self.identity()
        while pending:
            for seed in list(pending):
                try:
                    peer = await hello(seed.host, seed.port, local)
                except RpcError as e:
                    log.debug("seed %s: %s", seed, e)
                    continue
                found[seed] = SeedPeer(
                    peer.node_id, str(peer.node_uuid), seed.host, seed.port, self.seeds.index(seed)
                )
                pending.remove(seed)
            if not pending:
                break
            if loop.time() >= deadline:
                raise BootstrapError(f"seeds {[str(s) for s in pending]} did not answer")
            await asyncio.sleep(delay_ms / 1000)
            delay_ms = min(delay_ms * 2, DISCOVERY_RETRY_MAX_MS)
        ids = [self.node_id] + [p.node_id for p in found.values()]
        if len(set(ids)) != len(ids):
            raise BootstrapError(f"seed_servers share node ids: {sorted(ids)}")
        return [found[s] for s in self.seeds if s in found]

    # ---- once the controller runs ------------------------------------------------------------
    def serve_joins(self, controller: Controller, rpc: RpcServer) -> ControllerVoters:
        """Answer node_join (core.cluster.node_join) and, while this node leads the controller,
        make every member a controller voter; `await returned.close()` at shutdown."""
        rpc.register(Method.node_join, JoinHandler(controller).handle)
        voters = ControllerVoters(controller)
        voters.start()
        return voters

    async def found(self, controller: Controller, timeout_ms: int = DEFAULT_JOIN_TIMEOUT_MS) -> str:
        """Wait until the controller log names the cluster (submitting `bootstrap_cluster`
        while this node leads it); keeps the name in node.json and returns it."""
        members = controller.members
        try:
            async with asyncio.timeout(timeout_ms / 1000):
                while members.cluster_uuid is None:
                    if controller.is_leader and controller.consensus.serving:
                        await self._propose_cluster(controller)
                    else:
                        await asyncio.sleep(POLL_S)
        except TimeoutError:
            raise BootstrapError(
                f"no controller leader named the cluster within {timeout_ms} ms: are a "
                f"majority of the seeds {[str(s) for s in self.seeds]} up?"
            ) from None
        self.meta.put_many({"cluster_uuid": members.cluster_uuid, "cluster_named": True})
        return members.cluster_uuid

    async def _propose_cluster(self, controller: Controller) -> None:
        proposed = self.meta.get("cluster_uuid") or str(uuid.uuid4())
        founders = controller.consensus.voters
        try:
            await controller.submit(
                "bootstrap_cluster", {"cluster_uuid": proposed, "founders": founders}
            )
        except ClusterError as e:  # leadership moved meanwhile: look again
            log.info("bootstrap_cluster not applied yet: %s", e)

    async def register(
        self, controller: Controller, member: Member, timeout_ms: int = DEFAULT_JOIN_TIMEOUT_MS
    ) -> None:
        """Submit `register_node` for this node unless the members table already holds it
        as `member` (call again when an address changes, e.g. an ephemeral port bound)."""
        if member.node_id != self.node_id or member.uuid != str(self.node_uuid):
            raise BootstrapError(f"{member} is not this node ({self.node_id}, {self.node_uuid})")
        members = controller.members
        if members.get(self.node_id) == member:
            return
        async with asyncio.timeout(timeout_ms / 1000):
            await controller.submit("register_node", member.as_payload())
        registered = members.get(self.node_id)
        if registered != member:
            raise BootstrapError(f"node {self.node_id} is registered as {registered}, not {member}")

    async def wait_for_founders(
        self, controller: Controller, timeout_ms: int = DEFAULT_JOIN_TIMEOUT_MS
    ) -> None:
        """Wait until every controller voter (the founders) is a member, e.g. before sizing
        internal topics' replication factor by the member count."""
        voters, members = controller.consensus.voters, controller.members
        all_in = asyncio.Event()

        def check(*_: object) -> None:
            if all(v in members for v in voters):
                all_in.set()

        unsubscribe = members.subscribe(check)
        try:
            check()
            async with asyncio.timeout(timeout_ms / 1000):
                await all_in.wait()
        finally:
            unsubscribe()

    async def join(self, controller: Controller, member: Member) -> str:
        """found() then register(): the cluster UUID once this node is a member."""
        cluster_uuid = await self.found(controller)
        await self.register(controller, member)
        return cluster_uuid

    def member(self, kafka: Address, rpc: Address | None = None) -> Member:
        """This node as the members table should hold it (kafka: the first listener's
        advertised address with the port actually bound; every listener's advertised address
        by name, as node config holds them once bound)."""
        rpc = rpc or advertised_rpc(self.node)
        first, *others = self.node.kafka_listeners
        endpoints = [KafkaEndpoint(first.name, kafka.host, kafka.port)]
        endpoints += [KafkaEndpoint(x.name, x.advertised.host, x.advertised.port) for x in others]
        return Member(
            self.node_id,
            str(self.node_uuid),
            kafka.host,
            kafka.port,
            rpc.host,
            rpc.port,
            self.node.rack,
            tuple(endpoints),
        )
