"""The cluster side of one broker: broker RPC, Raft groups, bootstrap, the controller and the
leader table, built in the order a node joins its cluster.

    runtime = ClusterRuntime(node, meta, data_dir, clock, flusher)
    await runtime.start_rpc()                  # rpc_server listens (hello, Raft, forwarding)
    controller = await runtime.open_controller()  # voters from seed_servers (discovery once)
    ... register the controller's appliers (users, ACLs, producer ids, cluster config) ...
    runtime.start_controller()                 # replay, then Raft ticks
    await runtime.found()                      # the cluster is named (bootstrap_cluster)
    ... partitions, groups, the Kafka listener ...
    await runtime.register(kafka_address)      # register_node with the bound Kafka port

A broker with no seed_servers (or itself as the only seed) is a cluster of one: its
controller and partitions are single-voter groups that elect themselves and need no ticks;
its RPC listener still answers (a later issue adds brokers to it).
"""

from __future__ import annotations

import logging
from pathlib import Path

from core.cluster.bootstrap import Bootstrap
from core.cluster.controller import Controller
from core.cluster.controller_rpc import Forwarder
from core.cluster.leaders import LeaderTable
from core.cluster.node_join import ControllerVoters
from core.cluster.raft_groups import RaftGroups
from core.config.node import Address, NodeConfig
from core.raft.consensus import Consensus
from core.rpc import tls as dial_tls
from core.rpc.frame import Method
from core.rpc.hello import IdentityBook
from core.rpc.server import RpcServer
from core.security import tls
from core.storage.log import DiskLog, LogConfig

log = logging.getLogger("ailurus")

CONTROLLER_DIR = ("redpanda", "controller", "0_0")
# the controller log is prefix-truncated below its snapshots (core.cluster.controller_truncation);
# only whole segments below the start are deleted, so they are kept small
CONTROLLER_SEGMENT_BYTES = 8 * 1024 * 1024


class ClusterRuntime:
    def __init__(self, node: NodeConfig, meta, data_dir: Path, clock, flusher) -> None:
        """`meta`: node.json (node id, node UUID, cluster UUID, discovered seeds)."""
        self.node = node
        self.data_dir = data_dir
        self.clock = clock
        self.flusher = flusher
        self.bootstrap = Bootstrap(node, meta)
        self.node_id = self.bootstrap.node_id
        rpc_tls = node.rpc_server_tls  # every RPC dial of this process uses it
        dial_tls.use(tls.client_context(rpc_tls) if rpc_tls else None)
        self.rpc = RpcServer(IdentityBook(self.bootstrap.identity()))
        self.groups = RaftGroups(self.node_id, self.rpc, self.rpc.peers, clock)
        self.controller: Controller | None = None
        self.controller_log: DiskLog | None = None
        self.leaders = LeaderTable(self.node_id, self.rpc.peers, self._member_ids, clock=clock)
        self.rpc_port = -1
        self._rpc_started = False
        self.joins: ControllerVoters | None = None

    @property
    def single(self) -> bool:
        """A cluster of one (no other seeds): every group elects itself."""
        return self.bootstrap.single

    def _member_ids(self) -> list[int]:
        if self.controller is None:
            return []
        return [i for i in self.controller.members.node_ids() if i != self.node_id]

    def member_count(self) -> int:
        return max(1, len(self.controller.members)) if self.controller is not None else 1

    # ---- start, in order -------------------------------------------------------------------------
    async def start_rpc(self) -> None:
        rpc = self.node.rpc_server
        try:
            rpc_tls = self.node.rpc_server_tls
            ssl_context = tls.server_context(rpc_tls) if rpc_tls else None
            self.rpc_port = await self.rpc.start(rpc.host, rpc.port, ssl_context)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, "rpc", None, str(rpc)) from None
        self._rpc_started = True
        self.leaders.register(self.rpc)

    async def open_controller(self) -> Controller:
        """The controller over its log, voters from the seeds (discovered on a first start);
        register appliers on it, then call `start_controller`."""
        voters = await self.bootstrap.controller_voters(self.rpc.peers)
        directory = self.data_dir.joinpath(*CONTROLLER_DIR)
        self.controller_log = log_ = DiskLog.open(
            directory, LogConfig(segment_bytes=CONTROLLER_SEGMENT_BYTES), self.clock
        )
        several = len(voters) > 1
        consensus = Consensus(
            0,
            self.node_id,
            log_,
            self.flusher,
            voters=voters,
            transport=self.groups.transport(0) if several else None,
        )
        if several:
            self.groups.register(consensus)
        self.controller = controller = Controller(
            consensus, log_, forwarder=Forwarder(self.rpc.peers)
        )
        self.rpc.register(Method.controller_submit, controller.handle_submit)
        return controller

    def start_controller(self) -> None:
        assert self.controller is not None, "open_controller first"
        self.controller.start()
        self.groups.start()
        self.bootstrap.connect_members(self.controller.members, self.rpc.peers)
        self.joins = self.bootstrap.serve_joins(self.controller, self.rpc)  # node_join

    async def found(self) -> str:
        """Wait until the cluster is named; returns its UUID."""
        assert self.controller is not None
        cluster_uuid = await self.bootstrap.found(self.controller)
        self.rpc.book.local = self.bootstrap.identity()  # hellos now carry the cluster id
        return cluster_uuid

    async def register(self, kafka: Address) -> None:
        """This node in the members table, with the Kafka address clients are given."""
        assert self.controller is not None
        advertised = self.node.advertised_rpc_api or self.node.rpc_server
        if advertised.port == 0:  # an ephemeral RPC port: tell the others the bound one
            advertised = Address(advertised.host, self.rpc_port)
        await self.bootstrap.register(self.controller, self.bootstrap.member(kafka, advertised))
        self.leaders.start()
        if not self.single:  # internal topics are sized by the member count: all founders in
            await self.bootstrap.wait_for_founders(self.controller)

    # ---- stop ------------------------------------------------------------------------------------
    async def stop_network(self) -> None:
        """Stop talking to peers (before partitions close)."""
        await self.leaders.stop()
        if self.joins is not None:
            await self.joins.close()
        await self.groups.close()
        if self._rpc_started:
            await self.rpc.close()
            self._rpc_started = False

    def close_controller(self) -> None:
        if self.controller is not None:
            self.controller.close()
        if self.controller_log is not None:
            self.controller_log.close()
