"""Decommissioning brokers: every replica leaves the node, then the node leaves the members.

Controller commands (registered by `install`, snapshot state "decommission"):

* `decommission_node {node_id}`: the node is draining (no new replicas go there);
* `recommission_node {node_id}`: a draining node is active again (moves already made stay);
* `remove_node {node_id}`: the node held nothing any more: it leaves the members table and
  its id is never given again (the members table keeps the largest id ever assigned; a
  registration under a removed id is refused).

The driver (`DecommissionDriver`) runs on the controller leader: every `interval_ms` it
starts moves (core.cluster.move_frontend) of the partitions still on a draining node to the
least-loaded active node (at most `max_moves` of its moves in flight), and submits
`remove_node` once no partition and no move involves the node. With `enable_rack_awareness`
on (read when it picks), a node in a rack the partition's other replicas do not use comes
first (core.cluster.placement.replacement).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.cluster import placement
from core.cluster.errors import ClusterError
from core.cluster.move_errors import MoveError
from core.cluster.move_frontend import MovesFrontend
from core.cluster.moves import MovesTable
from core.protocol.errors import ErrorCode
from core.raft.errors import RaftError

log = logging.getLogger("ailurus.decommission")

DRAINING, REMOVED = "draining", "removed"
COMMANDS = ("decommission_node", "recommission_node", "remove_node")
INTERVAL_MS = 500
MAX_MOVES = 32
CHANGE_TIMEOUT_MS = 30_000


@dataclass
class DecommissionTable:
    members: Any  # core.cluster.members.Members
    status: dict[int, str] = field(default_factory=dict)
    uuids: dict[int, str] = field(default_factory=dict)  # of removed nodes (GET /v1/broker_uuids)

    def draining(self) -> frozenset[int]:
        return frozenset(n for n, s in self.status.items() if s == DRAINING)

    def removed(self) -> frozenset[int]:
        return frozenset(n for n, s in self.status.items() if s == REMOVED)

    def membership(self, node_id: int) -> str:
        """Redpanda's membership_status: active, draining or removed."""
        return self.status.get(node_id, "active")

    def apply_decommission(self, payload: dict) -> None:
        node_id = int(payload["node_id"])
        if node_id in self.members and node_id not in self.status:
            self.status[node_id] = DRAINING
            log.info("node %d is being decommissioned", node_id)

    def apply_recommission(self, payload: dict) -> None:
        node_id = int(payload["node_id"])
        if self.status.get(node_id) == DRAINING:
            del self.status[node_id]
            log.info("node %d recommissioned", node_id)

    def apply_remove(self, payload: dict) -> None:
        node_id = int(payload["node_id"])
        if self.status.get(node_id) != DRAINING:
            return
        self.status[node_id] = REMOVED
        member = self.members.get(node_id)
        if member is not None:
            self.uuids[node_id] = member.uuid
        remove = getattr(self.members, "remove", None)
        if remove is not None:
            remove(node_id)
        log.info("node %d decommissioned: removed from the cluster", node_id)

    def snapshot(self) -> dict:
        return {
            "status": {str(n): s for n, s in self.status.items()},
            "uuids": {str(n): u for n, u in self.uuids.items()},
        }

    def restore(self, state: dict) -> None:
        self.status = {int(n): str(s) for n, s in state["status"].items()}
        self.uuids = {int(n): str(u) for n, u in state.get("uuids", {}).items()}
        remove = getattr(self.members, "remove", None)
        for node_id in self.removed():
            if remove is not None:
                remove(node_id)  # the members table does not keep removed ids itself


def install(controller) -> DecommissionTable:
    table = DecommissionTable(controller.members)
    controller.register("decommission_node", table.apply_decommission)
    controller.register("recommission_node", table.apply_recommission)
    controller.register("remove_node", table.apply_remove)
    controller.register_state(
        "decommission", commands=COMMANDS, snapshot=table.snapshot, restore=table.restore
    )
    return table


class DecommissionFrontend:
    """The Admin API's decommission, recommission and status (MoveError on bad requests)."""

    def __init__(self, controller, table: DecommissionTable, moves: MovesTable) -> None:
        self.controller = controller
        self.table = table
        self.moves = moves

    def _check_member(self, node_id: int) -> None:
        if node_id in self.table.removed():
            raise MoveError(ErrorCode.invalid_request, f"node {node_id} is decommissioned", 400)
        if node_id not in self.controller.members:
            raise MoveError(ErrorCode.invalid_request, f"broker {node_id} does not exist", 404)

    async def decommission(self, node_id: int) -> None:
        self._check_member(node_id)
        if node_id in self.table.draining():
            return
        active = set(self.controller.members.node_ids()) - self.table.draining() - {node_id}
        widest = max((len(r) for r in self._replica_sets_on(node_id)), default=0)
        if widest > len(active):
            raise MoveError(
                ErrorCode.invalid_replica_assignment,
                f"cannot decommission node {node_id}: a partition with {widest} replicas "
                f"needs {widest} active brokers, {len(active)} would remain",
                400,
            )
        await self._submit("decommission_node", node_id)

    async def recommission(self, node_id: int) -> None:
        self._check_member(node_id)
        if node_id not in self.table.draining():
            raise MoveError(
                ErrorCode.invalid_request, f"node {node_id} is not being decommissioned", 400
            )
        await self._submit("recommission_node", node_id)
        for move in self.moves.all():  # as Redpanda: the moves away from it are cancelled
            if node_id in move.removing and move.state == "in_progress":
                await self._submit_cancel(move.topic, move.partition)

    async def _submit_cancel(self, topic: str, partition: int) -> None:
        try:
            await self.controller.submit("cancel_update", {"topic": topic, "partition": partition})
        except ClusterError as exc:
            raise MoveError(exc.error_code, exc.message or str(exc), 503) from None

    def _replica_sets_on(self, node_id: int) -> list[tuple[int, ...]]:
        out = []
        for meta in self.controller.topics.topics.values():
            for index in range(meta.partitions):
                hosts = self.moves.hosts(meta.name, index)
                if node_id in hosts:
                    out.append(meta.replicas(index))
        return out

    def replicas_left(self, node_id: int) -> list[tuple[str, int]]:
        out = []
        for meta in self.controller.topics.topics.values():
            for index in range(meta.partitions):
                if node_id in self.moves.hosts(meta.name, index):
                    out.append((meta.name, index))
        return sorted(out)

    def status(self, node_id: int) -> dict:
        state = self.table.status.get(node_id)
        if state is None:
            if node_id not in self.controller.members:
                raise MoveError(ErrorCode.invalid_request, f"broker {node_id} does not exist", 404)
            raise MoveError(
                ErrorCode.invalid_request, f"Node {node_id} is not decommissioning", 400
            )
        left = self.replicas_left(node_id)
        partitions = []
        for move in self.moves.involving(node_id):
            if node_id in move.removing:
                moving_to = move.adding[0] if move.adding else -1
                partitions.append(
                    {
                        "ns": "kafka",
                        "topic": move.topic,
                        "partition": move.partition,
                        "moving_to": {"node_id": moving_to, "core": 0},
                        "bytes_left_to_move": 0,
                        "bytes_moved": 0,
                        "partition_size": 0,
                    }
                )
        return {
            "finished": state == REMOVED,
            "replicas_left": len(left),
            "allocation_failures": [],
            "partitions": partitions,
        }

    async def _submit(self, command: str, node_id: int) -> None:
        try:
            await self.controller.submit(command, {"node_id": node_id})
        except ClusterError as exc:
            raise MoveError(exc.error_code, exc.message or str(exc), 503) from None


class DecommissionDriver:
    """On the controller leader: moves replicas off draining nodes, then removes them."""

    def __init__(
        self,
        controller,
        table: DecommissionTable,
        frontend: MovesFrontend,
        *,
        interval_ms: int = INTERVAL_MS,
        max_moves: int = MAX_MOVES,
    ) -> None:
        self.controller = controller
        self.table = table
        self.frontend = frontend
        self.interval_ms = interval_ms
        self.max_moves = max_moves
        self.config: Callable[[str], Any] = lambda _name: None  # the live cluster config's get
        self._task: asyncio.Task | None = None
        self.allocation_failures: set[tuple[int, str, int]] = set()  # (node, topic, partition)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="decommission")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_ms / 1000)
            if not self.controller.is_leader:
                continue
            try:
                await self.shrink_controller()
                if self.table.draining():
                    await self.step()
            except (MoveError, ClusterError) as exc:
                log.info("decommission: %s (retrying)", exc)
            except Exception:  # noqa: BLE001 - the driver must keep running
                log.exception("decommission step failed")

    async def shrink_controller(self) -> None:
        """A removed node still a voter of the controller group (decommissioned while no
        node ran core.cluster.node_join.ControllerVoters' leader loop) leaves it, so the
        controller's majority is counted over the nodes that remain."""
        consensus = self.controller.consensus
        removed = self.table.removed()
        voters = list(consensus.voters)
        if consensus.config_state != "stable" or not removed & set(voters):
            return
        keep = [v for v in voters if v not in removed]
        try:
            await consensus.change_voters(keep, timeout_ms=CHANGE_TIMEOUT_MS)
            log.info("controller voters now %s (decommissioned nodes left)", keep)
        except RaftError as exc:
            log.info("controller voters %s: %s (retrying)", keep, exc)

    async def step(self) -> None:
        moves = self.frontend.moves
        for node_id in sorted(self.table.draining()):
            in_flight = sum(1 for m in moves.all() if node_id in m.removing)
            pending = [(t, p) for t, p in self._partitions_on(node_id) if moves.get(t, p) is None]
            if not pending and not moves.involving(node_id):
                await self.controller.submit("remove_node", {"node_id": node_id})
                continue
            for topic, index in pending[: max(0, self.max_moves - in_flight)]:
                current = self.frontend.current(topic, index)
                target = self._replace(current, node_id)
                if target is None:
                    self._unplaceable(node_id, topic, index)
                    continue
                await self.frontend.move(topic, index, target)

    def _unplaceable(self, node_id: int, topic: str, index: int) -> None:
        """Logged once per partition (the driver retries every interval)."""
        key = (node_id, topic, index)
        if key not in self.allocation_failures and len(self.allocation_failures) < 10_000:
            self.allocation_failures.add(key)
            log.warning("decommission of %d: no node can take %s/%d", node_id, topic, index)

    def _partitions_on(self, node_id: int) -> list[tuple[str, int]]:
        table = self.controller.topics
        return [
            (meta.name, i)
            for meta in table.topics.values()
            for i in range(meta.partitions)
            if node_id in meta.replicas(i)
        ]

    def _replace(self, current: tuple[int, ...], node_id: int) -> tuple[int, ...] | None:
        out = set(self.table.draining()) | set(self.table.removed()) | set(current)
        candidates = [n for n in self.controller.members.node_ids() if n not in out]
        if not candidates:
            return None
        load, _ = self.controller.topics.replica_counts()
        for move in self.frontend.moves.all():
            for n in move.adding:
                load[n] = load.get(n, 0) + 1
        racks = None
        if placement.rack_awareness(self.config):
            racks = placement.member_racks(self.controller.members, [*candidates, *current])
        keep = [n for n in current if n != node_id]
        best = placement.replacement(candidates, keep, load, racks)
        if best is None:
            return None
        return tuple(best if n == node_id else n for n in current)
