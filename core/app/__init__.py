"""Composition root: storage -> raft -> cluster -> groups -> Kafka server and HTTP front ends,
all on one asyncio event loop."""

from __future__ import annotations

import asyncio
import functools
import gc
import importlib
import logging
import os
from pathlib import Path

from core.app.cluster import ClusterRuntime
from core.app.data_dir import lock_data_dir
from core.app.kafka_front import KafkaFrontEnd
from core.app.lazy_admin import LazyAdmin
from core.app.listeners import (
    EXTRA_LISTENERS,
    ListenerContext,
    Served,
    start_extra_listeners,
    stop_extra_listeners,
)
from core.cluster import partition_balancer_rpc
from core.cluster.config_cache import ConfigCache
from core.cluster.config_frontend import ClusterConfigFrontend
from core.cluster.housekeeping import Housekeeping
from core.cluster.id_allocator import ProducerIdAllocator
from core.cluster.leadership import Leadership
from core.cluster.maintenance import MaintenanceTable
from core.cluster.metadata import MetadataView
from core.cluster.moves_runtime import MovesRuntime
from core.cluster.node_join import prepare_join
from core.cluster.partition_disable import DisabledPartitions
from core.cluster.partition_manager import PartitionManager
from core.cluster.quotas import QuotaStore
from core.cluster.self_test import SelfTest
from core.cluster.topics import TopicsFrontend
from core.common import metrics
from core.common.clock import SystemClock
from core.config.cluster_properties import ClusterConfigStore
from core.config.node import Address, NodeConfig
from core.config.overrides import apply_node_overrides
from core.groups.coordinator import GroupCoordinator
from core.rpc import tls as dial_tls
from core.security import tls
from core.security.acls import AclStore
from core.security.audit.wiring import start_audit
from core.security.users import UserFrontend
from core.storage.clean_shutdown import CleanShutdownRecord
from core.storage.group_commit import GroupCommit
from core.storage.kvstore import KvStore, deferred_durability
from core.transactions.wiring import start_transactions

log = logging.getLogger("ailurus")


class BrokerApp(KafkaFrontEnd):
    def __init__(self, node: NodeConfig, cluster_overrides: dict | None = None) -> None:
        self.node = node
        self.data_dir = Path(node.data_directory)
        self.clock = SystemClock()
        self.cluster_overrides = dict(node.cluster_overrides, **(cluster_overrides or {}))
        self.ready = False
        self._lock_fd: int | None = None
        self._tasks: list[asyncio.Task] = []
        self.admin: LazyAdmin | None = None  # the Admin API, loaded at its first connection
        self._unregister_metrics = lambda: None
        self.housekeeping: Housekeeping | None = None
        self.groups: GroupCoordinator | None = None
        self.extra_listeners: dict[str, Served] = {}  # schema_registry, pandaproxy

    @functools.cached_property
    def version(self) -> str:
        return _version()

    # ---- start -------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Build the objects bottom-up (storage, controller, partitions, groups), then start the
        listeners: Kafka, Admin, the extra ones (core.app.listeners), and housekeeping."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_fd = lock_data_dir(self.data_dir)
        meta = KvStore.open(self.data_dir / "node.json")
        self.cluster_config = ClusterConfigStore()
        self.flusher = GroupCommit(observe_fsync=metrics.observe_fsync)
        self.flusher.start()
        rpc_tls = self.node.rpc_server_tls  # every RPC dial uses it, a join's first
        dial_tls.use(tls.client_context(rpc_tls) if rpc_tls else None)
        await prepare_join(self.node, meta)  # a node outside seed_servers joins through them
        self.cluster = cluster = ClusterRuntime(
            self.node, meta, self.data_dir, self.clock, self.flusher
        )
        self.node_id = cluster.node_id
        cluster.groups.use_config(self.cluster_config.get)  # raft_* timeouts, live
        cluster.leaders.use_config(self.cluster_config.get)  # metadata_dissemination_interval_ms
        await cluster.start_rpc()
        await self._start_controller()
        self._apply_overrides()
        self.cluster_config.mark_booted()
        self.cluster_uuid = await cluster.found()
        self.partitions = PartitionManager(
            self.data_dir,
            self.node_id,
            self.controller.topics,
            self.cluster_config,
            self.flusher,
            self.clock,
            leaders=cluster.leaders,
            raft_groups=None if cluster.single else cluster.groups,
        )
        self.replica_moves.attach(self.partitions)
        self.partitions.is_disabled = self.partition_disable.is_disabled
        # One record of clean shutdowns for every partition log (core.storage.clean_shutdown),
        # marked unclean before any opens. Nothing is served yet: every partition's state
        # writes go into one journal (core.storage.kvstore.deferred_durability). Only the
        # internal topics open now; the others open in the background once the listeners
        # serve (PartitionManager.open_queued), leaderless until then
        self.clean_shutdown = CleanShutdownRecord(self.data_dir)
        self.clean_shutdown.begin_run()
        # The replicas' objects are long-lived: a cyclic collection halfway would walk every one
        # made so far, again and again (a third of the CPU of a start over 10,000 partitions)
        gc.disable()
        try:
            with deferred_durability(self.data_dir):
                self.partitions.open_urgent(clean=self.clean_shutdown.was_clean)
        finally:
            gc.enable()
        gc.collect()  # what the start left (once), then later collections leave the rest out
        gc.freeze()
        self.replica_moves.start()  # the reconciliation loop opens partitions created from now
        self.leadership = Leadership(  # transfers, maintenance drain, leader balancer
            self.node_id,
            self.maintenance,
            self.controller,
            self.partitions,
            cluster,
            self.cluster_config.get,
            self.clock,
        )
        self.leadership.start()
        self.self_test = SelfTest(  # any node runs the self-test on every member
            self.node_id, self.data_dir, self.leadership.transfers, self.controller.members.node_ids
        )
        self.replica_moves.elections.transfers = self.leadership.transfers
        self.topics = TopicsFrontend(self.controller, self.cluster_config)
        self.metadata = MetadataView(
            self.controller.topics,
            [self._broker_info(self.node.kafka_advertised.port)],
            self.cluster_config.get("cluster_id") or f"redpanda.{self.cluster_uuid}",
            self.node_id,
            members=self.controller.members,
            controller_leader=lambda: self.controller.leader_id,
            alive=cluster.leaders.is_alive,
            maintenance=self.maintenance,  # follower fetching prefers no node in maintenance
        )
        self.groups = groups = GroupCoordinator(
            node_id=self.node_id,
            clock=self.clock,
            partitions=self.partitions,
            topics=self.topics,
            config=self.cluster_config,
            clustered=not cluster.single,
            member_count=cluster.member_count,
        )
        self.partitions.on_topics_deleted(groups.on_topics_deleted)
        self.transactions = start_transactions(self, groups)
        self.services = self._kafka_services(groups)
        self.services.transactions = self.transactions
        self.audit = start_audit(self)  # core.security.audit: follows audit_enabled live
        await self._start_kafka()
        kafka_host, kafka_port = self.services.advertised_kafka
        await cluster.register(Address(kafka_host, kafka_port))
        await groups.start()
        await self.transactions.start()
        # The extra HTTP front ends' modules (aiohttp and up) load in a thread while the Kafka
        # listener already answers; the ready line still waits for every listener. The Admin
        # API's load at its first connection (core.app.lazy_admin).
        if _extra_front_ends(self.node):
            await asyncio.to_thread(_import_http_front_ends, self.node)
        await self._start_admin()
        self.extra_listeners = await start_extra_listeners(
            ListenerContext(self.node, self.services, self._kafka_bootstrap())
        )
        self.housekeeping = Housekeeping(
            self.partitions, self.controller.topics, self.cluster_config, self.clock
        )
        self.housekeeping.start()
        self._unregister_metrics = metrics.register_collector(self._metrics_snapshot)
        self._tasks.append(asyncio.create_task(self.partitions.open_queued(self.data_dir)))
        self.ready = True

    async def _start_controller(self) -> None:
        self.controller = await self.cluster.open_controller()
        self.config_frontend = ClusterConfigFrontend(
            self.controller, self.cluster_config, self.node_id, ConfigCache(self.data_dir)
        )
        self.users = UserFrontend(self.controller)
        self.acls = AclStore(self.controller)
        self.client_quotas = QuotaStore(self.controller)
        self.producer_ids = ProducerIdAllocator(self.controller)
        self.replica_moves = MovesRuntime(self.controller)
        partition_balancer_rpc.serve(self.cluster.rpc, self.replica_moves.balancer)
        self.maintenance = MaintenanceTable(self.controller)
        self.partition_disable = DisabledPartitions(self.controller)
        self.cluster.start_controller()

    def _apply_overrides(self) -> None:
        """Cluster properties given on this node apply locally, unpersisted (core.config.overrides)."""
        apply_node_overrides(
            self.cluster_config, self.cluster_overrides, developer_mode=self.node.developer_mode
        )

    async def _start_admin(self) -> None:
        """The Admin API listens now; it is given the facades it reads
        (core.app.admin_services) when its first connection loads it."""
        admin, admin_tls = self.node.admin, self.node.admin_api_tls
        ssl_context = tls.server_context(admin_tls) if admin_tls else None
        try:
            self.admin = await LazyAdmin.bind(
                admin.host, admin.port, ssl_context, self._admin_services
            )
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, "admin", None, str(admin)) from None

    def _admin_services(self):
        from core.app.admin_services import BrokerAdminServices

        services = BrokerAdminServices(
            node=self.node,
            node_id=self.node_id,
            version=self.version,
            data_dir=self.data_dir,
            controller=self.controller,
            partitions=self.partitions,
            cluster_config=self.cluster_config,
            config_frontend=self.config_frontend,
            users=self.users,
            is_ready=lambda: self.ready,
        )
        services.moves = self.replica_moves
        services.leadership = self.leadership
        services.self_test = self.self_test
        services.partition_disable = self.partition_disable
        services.transactions = self.transactions
        services.audit = self.audit
        return services

    def _metrics_snapshot(self):
        return metrics.ScrapeSnapshot(
            partitions=[
                metrics.PartitionSample(
                    topic=p.topic,
                    partition=p.index,
                    is_leader=p.is_leader,
                    size_bytes=p.size_bytes,
                    high_watermark=p.high_watermark,
                )
                for p in self.partitions.all()
            ],
            group_lags=[] if self.groups is None else self.groups.group_lags(self._high_watermark),
        )

    def _high_watermark(self, topic: str, partition: int) -> int | None:
        p = self.partitions.get(topic, partition)
        return None if p is None else p.high_watermark

    # ---- stop ---------------------------------------------------------------------------------------
    @property
    def kafka_port(self) -> int:
        return self.listener.port

    @property
    def admin_port(self) -> int:
        return self.admin.port if self.admin else -1

    async def stop(self) -> None:
        self.ready = False
        self._unregister_metrics()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.housekeeping is not None:
            await self.housekeeping.stop()  # before the logs close
        await stop_extra_listeners(self.extra_listeners)
        await self.listener.stop()
        if self.admin is not None:
            await self.admin.stop()
        if getattr(self, "audit", None) is not None:
            await self.audit.stop()  # writes what is queued (acks awaited at most 3 s)
        if getattr(self, "transactions", None) is not None:
            await self.transactions.stop()
        if self.groups is not None:
            await self.groups.stop()
        if hasattr(self, "replica_moves"):
            await self.replica_moves.stop()
        if hasattr(self, "self_test"):
            await self.self_test.close()
        if hasattr(self, "leadership"):
            await self.leadership.stop()
        await self.cluster.stop_network()
        await self.flusher.stop()
        # Each log flushes and writes its index files; their producer snapshots are renamed
        # into place after one syncfs covering every flush, then made durable by a second;
        # then the one clean-shutdown record (after a syncfs of its own), if every log opened
        with deferred_durability(self.data_dir):
            self.partitions.close_all()
        # a replica still queued is as the last stop left it: clean if that stop was
        if self.partitions.opened_all or self.clean_shutdown.was_clean:
            self.clean_shutdown.end_run()
        self.cluster.close_controller()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _extra_front_ends(node: NodeConfig) -> list[str]:
    """The modules of the configured extra listeners (HTTP proxy, Schema Registry)."""
    return [
        spec.starter.partition(":")[0]
        for spec in EXTRA_LISTENERS
        if getattr(node, spec.node_field) is not None
    ]


def _import_http_front_ends(node: NodeConfig) -> None:
    """Load the modules of the configured extra listeners."""
    for module in _extra_front_ends(node):
        importlib.import_module(module)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as pkg_version

    try:
        return pkg_version("ailurus")
    except PackageNotFoundError:
        return "dev"
