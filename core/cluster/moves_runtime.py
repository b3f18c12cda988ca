"""Wiring of replica-set changes into a broker (called by the composition root, core.app):

self.replica_moves = MovesRuntime(self.controller)    # before the controller starts
self.replica_moves.attach(self.partitions)            # before partitions open
self.replica_moves.start()                             # once the node registered
await self.replica_moves.stop()                        # before the network stops
"""

from __future__ import annotations

from core.cluster import decommission, moves
from core.cluster.decommission import DecommissionDriver, DecommissionFrontend
from core.cluster.elections import Elections
from core.cluster.move_frontend import MovesFrontend
from core.cluster.partition_balancer import PartitionBalancer
from core.cluster.partition_balancer_disk import DiskWatcher
from core.cluster.reconciler import Reconciler


class MovesRuntime:
    def __init__(self, controller) -> None:
        self.controller = controller
        self.table = moves.install(controller)
        self.decommission_table = decommission.install(controller)
        self.frontend = MovesFrontend(controller, self.table, self.decommission_table.draining)
        self.decommission = DecommissionFrontend(controller, self.decommission_table, self.table)
        self.reconciler: Reconciler | None = None
        self.elections = Elections(controller.topics, None)  # partitions: given by attach
        self.driver = DecommissionDriver(controller, self.decommission_table, self.frontend)
        self.balancer = PartitionBalancer(controller, self.frontend, self.decommission_table)
        self.disk_watcher: DiskWatcher | None = None  # given by attach

    def attach(self, partitions) -> None:
        """The partition manager opens (and keeps at start) replicas moving here too."""
        partitions.extra_hosts = self.table.hosts
        self.reconciler = Reconciler(self.controller.node_id, partitions, self.table, self.frontend)
        self.elections.partitions = partitions
        self.balancer.config = partitions.cluster_config.get
        self.driver.config = self.balancer.config
        self.balancer.is_alive = partitions.leaders.is_alive
        self.disk_watcher = DiskWatcher(
            self.controller, self.balancer.disk, partitions.root.parent, self.balancer.config
        )

    def start(self) -> None:
        assert self.reconciler is not None, "attach first"
        self.reconciler.start()
        self.driver.start()
        self.balancer.start()
        if self.disk_watcher is not None:
            self.disk_watcher.start()

    async def stop(self) -> None:
        if self.disk_watcher is not None:
            await self.disk_watcher.stop()
        await self.balancer.stop()
        await self.driver.stop()
        if self.reconciler is not None:
            await self.reconciler.stop()

    def progress(self, move: moves.Move) -> tuple[int, int]:
        """(partition size, bytes moved) as this node sees them: the size of its replica, and,
        when it leads, how far the slowest new replica has flushed (0 moved otherwise)."""
        if self.reconciler is None:
            return 0, 0
        local = self.reconciler.partitions.get(move.topic, move.partition)
        if local is None:
            return 0, 0
        size = local.size_bytes
        core = local.consensus.core
        if not local.consensus.is_leader or core is None or not move.adding:
            return size, 0
        start, end = local.start_offset, local.log_end_offset
        if end <= start:
            return size, size
        flushed = min(
            core.progress[n].flushed if n in core.progress else start for n in move.adding
        )
        return size, size * max(0, min(flushed, end) - start) // (end - start)
