"""Leadership operations of one node, built in two steps by core.app:

    maintenance = MaintenanceTable(controller)          # before the controller replays
    ...
    leadership = Leadership(node_id, maintenance, controller, partitions, runtime, config, clock)
    leadership.start()   # RPC handler, drainer, leader balancer
    ...
    await leadership.stop()

It gathers leadership transfer (core.cluster.leader_transfer), maintenance mode
(core.cluster.maintenance) and the leader balancer (core.cluster.leader_balancer); the Admin
API reads it as `services.leadership`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.cluster.errors import ClusterError
from core.cluster.leader_balancer import LeaderBalancer
from core.cluster.leader_transfer import LeaderTransfers
from core.cluster.maintenance import Drainer, DrainStatus, MaintenanceTable


class Leadership:
    def __init__(
        self,
        node_id: int,
        maintenance: MaintenanceTable,
        controller,
        partitions,
        runtime,
        config: Callable[[str], Any],
        clock,
    ) -> None:
        """`runtime`: core.app.cluster.ClusterRuntime (its RPC server, peers, leaders table)."""
        self.node_id = node_id
        self.maintenance = maintenance
        in_maintenance = maintenance.__contains__
        self.transfers = LeaderTransfers(
            node_id, partitions, controller, runtime.rpc.peers, runtime.leaders, in_maintenance
        )
        self.transfers.register(runtime.rpc)
        self.drainer = Drainer(node_id, maintenance, partitions, controller, self.transfers)
        self.balancer = LeaderBalancer(
            node_id, controller, runtime.leaders, self.transfers, in_maintenance, config, clock
        )
        self._controller, self._partitions = controller, partitions
        runtime.leaders.add_unreachable_listener(self._leader_unreachable)

    def _leader_unreachable(self, node_id: int) -> None:
        """A peer cannot be reached: the groups it leads here campaign soon (Consensus)."""
        for consensus in [self._controller.consensus] + [
            p.consensus for p in self._partitions.all()
        ]:
            consensus.leader_unreachable(node_id)

    def start(self) -> None:
        self.drainer.start()
        self.balancer.start()

    async def stop(self) -> None:
        await self.balancer.stop()
        await self.drainer.stop()

    async def set_maintenance(self, node_id: int, enabled: bool) -> None:
        """KeyError: no such broker; ValueError: refused; RuntimeError: the controller did
        not take the command (no leader, timeout), retriable."""
        try:
            await self.maintenance.submit(node_id, enabled)
        except ClusterError as exc:
            raise RuntimeError(exc.message or exc.errc.name) from None

    async def drain_status(self, node_id: int) -> DrainStatus:
        return await self.drainer.status_of(node_id)

    def force_local_maintenance(self, enabled: bool) -> None:
        self.drainer.force(enabled)

    def local_drain_status(self) -> DrainStatus:
        return self.drainer.local_status()
