"""Partition balancing (Redpanda's partition_balancer_backend and members_backend's node-add
reallocations), driven by `partition_autobalancing_mode`:

* `off`: nothing moves by itself (`rpk cluster partitions balance` still runs one pass);
* `node_add` (the default): a node that joins while this node runs receives its share of
  replicas (moves from the most loaded nodes until it holds its fair share, rounded down);
* `continuous`: node_add, plus every replica of a node unavailable for longer than
  `partition_autobalancing_node_availability_timeout_sec` moves to the least-loaded
  available node, and replicas leave a node whose disk is used past
  `partition_autobalancing_max_disk_usage_percent` (core.cluster.partition_balancer_disk:
  each node reports crossing it) until it reports being under the limit again; such a node
  receives none.

Every node runs the loop (each `partition_autobalancing_tick_interval_ms`, sooner on a member
change) and computes the same plan from the controller's tables and its own view of which
nodes are alive; only the controller leader submits the moves (core.cluster.move_frontend),
at most `partition_autobalancing_concurrent_moves` in flight. An on-demand rebalance (Admin
API POST /v1/partitions/rebalance) is the controller command `request_rebalance`, so any node
may take it and the leader, whichever it is, runs one pass balancing every node's count.
Draining (decommissioned) nodes never receive replicas; partitions already moving are left
alone. `plan` is pure (tests/balancer/test_plan.py).

With `enable_rack_awareness` on (read at each tick), as Redpanda's allocator and planner: a
replica leaving a node goes to a rack the partition's other replicas do not use when one
has room, a fill move never lowers the number of racks a partition spans, and in
`continuous` mode a partition with two replicas in one rack while some available rack holds
none of them moves the extra replicas there (Redpanda's "rack constraint repair";
core.cluster.partition_balancer_racks). Off, racks are ignored.

The status (Admin API GET /v1/cluster/partition_balancer/status) is the controller leader's,
as in Redpanda: other nodes forward it there (core.cluster.partition_balancer_rpc), and the
leader answers from its last tick in its current term (the violations it planned from, the
seconds since that tick), `starting` until it has ticked as leader (a leadership change wakes
the loop).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from core.cluster import placement
from core.cluster.errors import ClusterError
from core.cluster.move_errors import MoveError
from core.cluster.partition_balancer_disk import DiskTable
from core.cluster.partition_balancer_racks import repair_racks
from core.cluster.placement import Racks

log = logging.getLogger("ailurus.balancer")

Key = tuple[str, int]
OFF, NODE_ADD, CONTINUOUS = "off", "node_add", "continuous"
DEFAULT_TICK_MS = 30_000
DEFAULT_AVAILABILITY_TIMEOUT_S = 900
DEFAULT_CONCURRENT_MOVES = 50
MAX_PENDING_NODES = 1024
BUSY_TICK_MS = 1_000  # the tick while a pass is under way


@dataclass
class Plan:
    moves: list[tuple[Key, tuple[int, ...]]] = field(default_factory=list)
    stalled: bool = False  # a violation found no node to go to


def plan(
    assignments: dict[Key, tuple[int, ...]],
    moving: Iterable[Key],
    active: Iterable[int],
    *,
    evacuate: Iterable[int] = (),
    down: Iterable[int] = (),
    targets: Iterable[int] = (),
    limit: int = DEFAULT_CONCURRENT_MOVES,
    racks: Racks | None = None,
    repair: bool = False,
) -> Plan:
    """Moves (partition, new replicas), at most `limit`: first every replica on an
    `evacuate` node goes to the least-loaded `active` node not holding the partition; then,
    with `repair`, partitions with two replicas in one rack spread (below); then
    the `targets` (nodes to fill) take replicas from the most loaded active nodes while the
    difference is more than one. `assignments` are the goals (a moving partition: its goal).
    A partition whose majority is `down` cannot change its replicas (joint consensus needs the
    old majority): it is left where it is and the plan is stalled. `racks` (node -> rack) is
    given when rack awareness is on: an evacuated replica then prefers a rack the partition
    does not use, and a fill move never lowers the racks a partition spans."""
    active_set = sorted(set(active) - set(evacuate))
    counts = {n: 0 for n in active_set}
    for nodes in assignments.values():
        for n in nodes:
            counts[n] = counts.get(n, 0) + 1
    busy = set(moving)
    out = Plan()
    for key in sorted(assignments):
        nodes = assignments[key]
        gone = [n for n in nodes if n in set(evacuate)]
        if not gone or key in busy:
            continue
        if 2 * sum(1 for n in nodes if n not in set(down)) <= len(nodes):
            out.stalled = True
            continue
        if len(out.moves) >= limit:
            break
        new = list(nodes)
        for n in gone:
            best = placement.replacement(active_set, [c for c in new if c != n], counts, racks)
            if best is None:
                out.stalled = True
                break
            new[new.index(n)] = best
            counts[best] += 1
            counts[n] -= 1
        else:
            out.moves.append((key, tuple(new)))
            busy.add(key)
    if repair and racks is not None and len(out.moves) < limit:
        for repaired in repair_racks(assignments, busy, active_set, down, racks, counts):
            out.moves.append(repaired)  # counts already include it
            busy.add(repaired[0])
            if len(out.moves) >= limit:
                break
    fill = sorted(set(targets) & set(active_set))
    while fill and len(out.moves) < limit:
        move = _fill_one(assignments, busy, active_set, fill, counts, racks)
        if move is None:
            break
        out.moves.append(move)
        busy.add(move[0])
    return out


def _fill_one(
    assignments: dict[Key, tuple[int, ...]],
    busy: set[Key],
    active: list[int],
    fill: list[int],
    counts: dict[int, int],
    racks: Racks | None = None,
) -> tuple[Key, tuple[int, ...]] | None:
    """One replica from the most loaded node to the least loaded target, or None; with
    `racks`, not one that leaves the partition over fewer racks."""
    for target in sorted(fill, key=lambda n: (counts[n], n)):
        for source in sorted(active, key=lambda n: (-counts[n], n)):
            if counts[source] - counts[target] <= 1:
                break
            for key in sorted(assignments):
                nodes = assignments[key]
                if key in busy or source not in nodes or target in nodes:
                    continue
                new = tuple(target if n == source else n for n in nodes)
                if racks is not None and placement.distinct_racks(
                    new, racks
                ) < placement.distinct_racks(nodes, racks):
                    continue
                counts[source] -= 1
                counts[target] += 1
                return key, new
    return None


class PartitionBalancer:
    def __init__(
        self,
        controller: Any,
        frontend: Any,  # core.cluster.move_frontend.MovesFrontend
        decommission: Any,  # core.cluster.decommission.DecommissionTable
        *,
        config: Callable[[str], Any] = lambda _name: None,
        is_alive: Callable[[int], bool] = lambda _node: True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`config` and `is_alive` (the cluster config's get, the leaders table's liveness)
        may be set later, before `start`; the command is registered here (before the
        controller applies anything)."""
        self.controller = controller
        self.frontend = frontend
        self.decommission = decommission
        self.config = config
        self.is_alive = is_alive
        self._clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.pending_nodes: set[int] = set()  # joined while running, not filled yet
        self.ondemand = False  # request_rebalance applied, pass not run yet
        self.down_since: dict[int, float] = {}
        self.status = "starting"
        self.last_tick_s: float | None = None  # wall clock
        self.leader_term: int | None = None  # the controller term of the last tick, as leader
        self.unavailable: list[int] = []
        self.over_disk: list[int] = []
        self.submitted = 0
        self.disk = DiskTable()
        controller.register("request_rebalance", self._apply_request)
        controller.register("node_disk_full", self.disk.apply)
        controller.register_state(
            "partition_balancer",
            commands=("request_rebalance", "node_disk_full"),
            snapshot=lambda: {"ondemand": self.ondemand, "full": sorted(self.disk.full)},
            restore=self._restore,
        )

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self.controller.members.subscribe(self._on_member)
        self.controller.consensus.add_leader_listener(lambda _term, _leader: self._wake.set())
        self._task = asyncio.get_running_loop().create_task(self._run(), name="partition-balancer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def _on_member(self, event: str, member: Any) -> None:
        joiner = member.node_id not in self.controller.members.founders
        if event == "added" and joiner and len(self.pending_nodes) < MAX_PENDING_NODES:
            self.pending_nodes.add(member.node_id)
        elif event == "removed":
            self.pending_nodes.discard(member.node_id)
            self.disk.forget(member.node_id)
        self._wake.set()

    def _apply_request(self, payload: dict) -> None:
        self.ondemand = True
        self._wake.set()

    def _restore(self, state: dict) -> None:
        self.ondemand = bool(state.get("ondemand", False))
        self.disk.full = {int(n) for n in state.get("full", ())}

    async def request_rebalance(self) -> None:
        """On-demand balancing (any node: a controller command reaches the leader)."""
        try:
            await self.controller.submit("request_rebalance", {})
        except ClusterError as exc:
            raise MoveError(exc.error_code, exc.message or str(exc), 503) from None

    # ---- settings --------------------------------------------------------------------------------
    def mode(self) -> str:
        return str(self._setting("partition_autobalancing_mode", NODE_ADD))

    def _setting(self, name: str, default: Any) -> Any:
        try:
            value = self.config(name)
        except KeyError:
            return default
        return default if value is None else value

    # ---- the loop --------------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            tick_ms = int(
                self._setting("partition_autobalancing_tick_interval_ms", DEFAULT_TICK_MS)
            )
            if self.pending_nodes or self.ondemand or self.status == "in_progress":
                tick_ms = min(tick_ms, BUSY_TICK_MS)  # a joiner may not be alive yet
            try:
                await asyncio.wait_for(self._wake.wait(), max(tick_ms, 100) / 1000)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.tick()
            except (MoveError, ClusterError) as exc:
                log.info("partition balancer: %s (next tick)", exc)
            except Exception:  # noqa: BLE001 - the balancer must keep running
                log.exception("partition balancer tick failed")

    def _unavailable(self, members: list[int]) -> list[int]:
        now = self._clock()
        timeout_s = float(
            self._setting(
                "partition_autobalancing_node_availability_timeout_sec",
                DEFAULT_AVAILABILITY_TIMEOUT_S,
            )
        )
        out = []
        for node in members:
            if self.is_alive(node):
                self.down_since.pop(node, None)
                continue
            since = self.down_since.setdefault(node, now)
            if now - since >= timeout_s:
                out.append(node)
        for node in [n for n in self.down_since if n not in members]:
            del self.down_since[node]
        return out

    def _goals(self) -> tuple[dict[Key, tuple[int, ...]], set[Key]]:
        table, moves = self.controller.topics, self.frontend.moves
        goals: dict[Key, tuple[int, ...]] = {}
        for meta in table.topics.values():
            for index in range(meta.partitions):
                goals[(meta.name, index)] = meta.replicas(index)
        moving = set()
        for move in moves.all():
            moving.add((move.topic, move.partition))
            goals[(move.topic, move.partition)] = move.goal
        return goals, moving

    async def tick(self) -> None:
        mode = self.mode()
        members = self.controller.members.node_ids()
        self.unavailable = self._unavailable(members) if mode == CONTINUOUS else []
        self.over_disk = sorted(self.disk.full & set(members)) if mode == CONTINUOUS else []
        self.last_tick_s = time.time()
        leading = self.controller.is_leader
        self.leader_term = self.controller.consensus.term if leading else None
        if mode == OFF and not self.ondemand:
            self.status = OFF
            return
        draining = set(self.decommission.draining()) | set(self.decommission.removed())
        active = [n for n in members if n not in draining]
        goals, moving = self._goals()
        targets = set(active) if self.ondemand else self.pending_nodes & set(active)
        if mode == OFF:
            targets = set(active) if self.ondemand else set()
        limit = int(
            self._setting("partition_autobalancing_concurrent_moves", DEFAULT_CONCURRENT_MOVES)
        )
        rack_aware = placement.rack_awareness(self.config)
        result = plan(
            goals,
            moving,
            [n for n in active if self.is_alive(n)],
            evacuate=sorted({*self.unavailable, *self.over_disk}),
            down=[n for n in members if not self.is_alive(n)],
            targets=targets,
            limit=max(0, limit - len(moving)),
            racks=placement.member_racks(self.controller.members, members) if rack_aware else None,
            repair=mode == CONTINUOUS,
        )
        self._set_status(result, moving)
        if not leading:
            return
        for key, replicas in result.moves:
            try:
                await self.frontend.move(key[0], key[1], replicas)
                self.submitted += 1
                log.info("balancer moves %s/%d to %s", *key, list(replicas))
            except MoveError as exc:
                log.info("balancer: move of %s/%d: %s", *key, exc)
        if not result.moves and not moving:  # the pass is over: every count is within one
            self.ondemand = False
            self.pending_nodes -= {n for n in active if self.is_alive(n)}

    def _set_status(self, result: Plan, moving: set[Key]) -> None:
        if result.moves or moving:
            self.status = "in_progress"
        elif result.stalled:
            self.status = "stalled"
        else:
            self.status = "ready"

    def overview(self) -> dict:
        """GET /v1/cluster/partition_balancer/status (Redpanda's partition_balancer_status) as
        this node, the controller leader, answers it: its last tick in its current term, or
        `starting` (no violations, no tick time) before that tick."""
        ticked = self.leader_term is not None and self.leader_term == self.controller.consensus.term
        status = self.status if ticked else "starting"
        out: dict[str, Any] = {
            "status": status if self.mode() != OFF or self.ondemand else OFF,
            "violations": {
                "unavailable_nodes": list(self.unavailable) if ticked else [],
                "over_disk_limit_nodes": list(self.over_disk) if ticked else [],
            },
            "current_reassignments_count": len(self.frontend.moves.all()),
            "partitions_pending_force_recovery_count": 0,  # the sample is left out when empty
        }
        if ticked and self.last_tick_s is not None:
            out["seconds_since_last_tick"] = int(time.time() - self.last_tick_s)
        return out
