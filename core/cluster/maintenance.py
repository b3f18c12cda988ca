"""Maintenance mode (Redpanda's maintenance_mode_cmd and drain_manager).

* `MaintenanceTable`: the controller command `maintenance_mode` {node_id, enabled}, applied on
  every node: which nodes are in maintenance. At most one node at a time (the apply ignores
  a second one, as Redpanda's members_table; `submit` refuses it up front).
* `Drainer`, on each node: while this node is in maintenance none of its Raft groups may
  campaign or answer timeout_now (RaftState.may_campaign, also for groups opened later and
  for the controller), and every group it leads that has followers hands its leadership to
  another node, at most MAX_PARALLEL_TRANSFERS at once (Redpanda's 25), until it leads none:
  then the drain is `finished`. Leaving maintenance lets the groups campaign again; the
  leader balancer brings leadership back.
* PUT/DELETE /v1/maintenance force this node's drain on or off locally (`Drainer.force`),
  until the next maintenance command about it.
* The drain status (Redpanda's drain_status: finished, errors, partitions, eligible,
  transferring, failed) of this node is local; another node's is asked over
  Method.leadership ("drain_status"), as Redpanda reads it from that node's health report.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass

from core.cluster.leader_transfer import LeaderTransfers
from core.raft.consensus import Consensus
from core.rpc.errors import RpcError

log = logging.getLogger("ailurus.maintenance")

COMMAND = "maintenance_mode"
MAX_PARALLEL_TRANSFERS = 25  # Redpanda's drain_manager::max_parallel_transfers
TRANSFER_THROTTLE_S = 5.0  # a round that failed fast cools off this long (Redpanda: 5 s)
TRANSFER_TIMEOUT_MS = 10_000
STATUS_TIMEOUT_MS = 1_500
RECHECK_S = 1.0  # a finished drain looks again this often (groups opened or elected later)

Listener = Callable[[int, bool], None]


class MaintenanceTable:
    def __init__(self, controller) -> None:
        self._controller = controller
        self.nodes: set[int] = set()
        self._listeners: list[Listener] = []
        controller.register(COMMAND, self.apply)
        controller.register_state(
            "maintenance", commands=(COMMAND,), snapshot=self.snapshot, restore=self.restore
        )

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.nodes

    def subscribe(self, fn: Listener) -> None:
        self._listeners.append(fn)

    def apply(self, payload: dict) -> None:
        node_id, enabled = int(payload["node_id"]), bool(payload["enabled"])
        if enabled == (node_id in self.nodes):
            return
        if enabled and self.nodes:
            log.info("node %d not put in maintenance: node %s already is", node_id, self.nodes)
            return
        if enabled:
            self.nodes.add(node_id)
        else:
            self.nodes.discard(node_id)
        log.info("node %d %s maintenance mode", node_id, "enters" if enabled else "leaves")
        for fn in self._listeners:
            fn(node_id, enabled)

    def snapshot(self) -> dict:
        return {"nodes": sorted(self.nodes)}

    def restore(self, state: dict) -> None:
        self.nodes = {int(n) for n in state.get("nodes", [])}

    async def submit(self, node_id: int, enabled: bool) -> None:
        """Put `node_id` in maintenance or take it out. KeyError: no such broker; ValueError:
        refused (a single node, another node in maintenance); ClusterError from the
        controller (no leader, timeout)."""
        members = self._controller.members
        if node_id not in members:
            raise KeyError(node_id)
        if enabled and len(members) < 2:
            raise ValueError("Maintenance mode may not be used on a single node cluster")
        others = self.nodes - {node_id}
        if enabled and others:
            raise ValueError(
                f"cannot place node {node_id} into maintenance mode: node "
                f"{min(others)} already in maintenance mode"
            )
        await self._controller.submit(COMMAND, {"node_id": node_id, "enabled": enabled})
        if enabled != (node_id in self.nodes):
            raise ValueError("another node entered maintenance mode first")


@dataclass(slots=True)
class DrainStatus:
    draining: bool = False
    finished: bool = False
    errors: bool = False
    partitions: int = 0
    eligible: int = 0
    transferring: int = 0
    failed: int = 0

    def to_json(self) -> dict:
        return asdict(self)


class Drainer:
    def __init__(
        self,
        node_id: int,
        table: MaintenanceTable,
        partitions,
        controller,
        transfers: LeaderTransfers,
    ) -> None:
        self.node_id = node_id
        self.table = table
        self._partitions = partitions
        self._controller = controller
        self._transfers = transfers
        self.status = DrainStatus()
        self.forced: bool | None = None  # PUT/DELETE /v1/maintenance, until the next command
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        table.subscribe(self._on_change)
        partitions.add_leadership_listener(lambda p: self._block(p.consensus))
        transfers.extra_ops["drain_status"] = self._status_op

    @property
    def active(self) -> bool:
        return self.node_id in self.table if self.forced is None else self.forced

    def force(self, enabled: bool) -> None:
        """Start or stop draining this node whatever the controller says (Redpanda's local
        maintenance endpoints), until the next maintenance command about this node."""
        self.forced = enabled
        self._restart(enabled)

    def start(self) -> None:
        self._apply_blocking()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="drainer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def _groups(self) -> list[Consensus]:
        return [self._controller.consensus] + [p.consensus for p in self._partitions.all()]

    def _block(self, consensus: Consensus) -> None:
        core = consensus.core
        if core is not None:
            core.may_campaign = not self.active

    def _apply_blocking(self) -> None:
        for consensus in self._groups():
            self._block(consensus)

    def _on_change(self, node_id: int, enabled: bool) -> None:
        if node_id != self.node_id:
            return
        self.forced = None
        self._restart(enabled)

    def _restart(self, enabled: bool) -> None:
        self._apply_blocking()
        self.status = DrainStatus(draining=enabled)
        self._wake.set()

    async def _run(self) -> None:
        while True:
            if self.active:
                try:
                    await self._drain_round()
                except Exception:  # noqa: BLE001 - the drain goes on; the round is retried
                    log.exception("maintenance: drain round failed")
                    self.status.errors = True
                    await asyncio.sleep(TRANSFER_THROTTLE_S)
                    continue
            try:
                await asyncio.wait_for(self._wake.wait(), RECHECK_S)
            except TimeoutError:
                pass
            self._wake.clear()

    def _eligible(self) -> list[Consensus]:
        return [c for c in self._groups() if c.is_leader and len(c.voters) > 1]

    async def _drain_round(self) -> None:
        """Transfer until nothing eligible is led here (or maintenance ends)."""
        self._apply_blocking()
        while self.active:
            eligible = self._eligible()
            self.status.partitions = len(self._partitions.all())
            self.status.eligible = len(eligible)
            if not eligible:
                if not self.status.finished:
                    log.info("maintenance: node %d drained", self.node_id)
                self.status.finished = True
                return
            self.status.finished = False
            chosen = random.sample(eligible, min(MAX_PARALLEL_TRANSFERS, len(eligible)))
            self.status.transferring = len(chosen)
            started = asyncio.get_running_loop().time()
            outcomes = await asyncio.gather(
                *(self._transfers.transfer_local(c, None, TRANSFER_TIMEOUT_MS) for c in chosen),
                return_exceptions=True,
            )
            failed = sum(1 for o in outcomes if isinstance(o, BaseException) or not o.ok)
            self.status.transferring = 0
            self.status.failed = failed
            elapsed = asyncio.get_running_loop().time() - started
            if failed and elapsed < TRANSFER_THROTTLE_S and self.active:
                await asyncio.sleep(min(TRANSFER_THROTTLE_S - elapsed, 1.0))

    # ---- status ----------------------------------------------------------------------------------
    def local_status(self) -> DrainStatus:
        if not self.active:
            return DrainStatus()
        status = DrainStatus(**asdict(self.status))
        status.draining = True
        if status.finished and self._eligible():
            status.finished = False  # a group elected since (it may not campaign: a race)
        return status

    async def _status_op(self, _request: dict) -> dict:
        return self.local_status().to_json()

    async def status_of(self, node_id: int) -> DrainStatus:
        """`node_id`'s drain status: asked over RPC when it is in maintenance."""
        if node_id == self.node_id:
            return self.local_status()
        if node_id not in self.table:
            return DrainStatus()
        try:
            body = await self._transfers.call(node_id, {"op": "drain_status"}, STATUS_TIMEOUT_MS)
            return DrainStatus(**{k: body[k] for k in DrainStatus.__dataclass_fields__})
        except (RpcError, ValueError, KeyError, TypeError):
            return DrainStatus(draining=True)  # not reachable: nothing known to be finished
