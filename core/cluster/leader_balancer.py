"""The leader balancer (Redpanda's cluster::leader_balancer): spreads partition leadership
evenly over the nodes. It runs on every node and acts only on the controller leader.

A round counts the leaders of every partition (the leaders table) per eligible node and per
topic and node, then repeatedly moves one leadership (of a partition with more than one
replica) to another replica when that lowers the sum of squared counts (per node, weighted
twice, plus per topic and node; Redpanda's hill climbing also balances topics), relieving
the node leading the most first and preferring the partition's preferred leader (the first
replica of its placement); when no single move improves, two moves of different topics
between two nodes, one each way, balance the topics without unbalancing the nodes; until
nothing improves or
`leader_balancer_transfer_limit_per_shard` transfers are in flight (one shard per node here).
Transfers go to the group's leader (core.cluster.leader_transfer) and run concurrently; a
moved group is muted for `leader_balancer_mute_timeout`. The result: no node leads more
than one partition over another where the replica sets allow it.

Not eligible (muted) nodes: not heard from within `leader_balancer_node_mute_timeout` (or
not alive), in maintenance mode, or up for less than that same timeout (a node that just
restarted; Redpanda mutes it for a fixed 30 s, leader_activation_delay). Their leaderships
are left alone and none is given to them.

Timing: after a round that moved something the next one follows MIN_ITERATION_MS later
(Redpanda: the dissemination interval + 1 s); when balanced, after
`leader_balancer_idle_timeout`, or sooner once the set of eligible nodes, the topics or this
node's controller leadership change (checked every CHECK_INTERVAL_MS).
`enable_leader_balancer` false stops it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.cluster.leader_transfer import LeaderTransfers
from core.cluster.partition_manager import group_id_of

log = logging.getLogger("ailurus.leader_balancer")

ENABLED = "enable_leader_balancer"
IDLE_TIMEOUT = "leader_balancer_idle_timeout"
MUTE_TIMEOUT = "leader_balancer_mute_timeout"
NODE_MUTE_TIMEOUT = "leader_balancer_node_mute_timeout"
TRANSFER_LIMIT = "leader_balancer_transfer_limit_per_shard"
MIN_ITERATION_MS = 1_000
CHECK_INTERVAL_MS = 500
TRANSFER_TIMEOUT_MS = 10_000


@dataclass(frozen=True, slots=True)
class Group:
    group_id: int
    topic: str
    replicas: tuple[int, ...]  # preferred leader first
    leader: int | None


@dataclass(frozen=True, slots=True)
class Move:
    group_id: int
    source: int
    target: int


class _Counts:
    """Leaders per node, and per (topic, node)."""

    def __init__(self, nodes: set[int]) -> None:
        self.node = {n: 0 for n in nodes}
        self.topic: dict[tuple[str, int], int] = {}

    def add(self, topic: str, node: int, delta: int) -> None:
        self.node[node] += delta
        self.topic[(topic, node)] = self.topic.get((topic, node), 0) + delta

    def score(self, g: Group, source: int, target: int) -> int:
        """How much moving `g` from `source` to `target` lowers the objective (the sum of
        squared leader counts per node, weighted 2, plus per topic and node): > 0 improves."""
        node_gain = self.node[source] - self.node[target]
        topic_gain = self.topic.get((g.topic, source), 0) - self.topic.get((g.topic, target), 0)
        return 2 * (node_gain - 1) + (topic_gain - 1)


def plan(groups: list[Group], nodes: set[int], muted_groups: set[int], limit: int) -> list[Move]:
    """At most `limit` moves among `nodes`, each lowering the objective of _Counts.score
    (nodes first: a move from a node leading two more is always taken unless it unbalances
    the topic; a swap between equally loaded nodes only when it balances a topic), preferred
    leaders first among equal moves; the node leading the most is relieved first."""
    counts = _Counts(nodes)
    led: dict[int, list[Group]] = {n: [] for n in nodes}
    for g in groups:
        if g.leader in counts.node:
            counts.add(g.topic, g.leader, 1)
            if g.group_id not in muted_groups and len(g.replicas) > 1:
                led[g.leader].append(g)
    moves: list[Move] = []
    while len(moves) < limit:
        found = _best_move(counts, led)
        chosen = [found] if found is not None else []
        if not chosen and len(moves) + 2 <= limit:
            chosen = _best_swap(counts, led)
        if not chosen:
            break
        for g, move in chosen:
            moves.append(move)
            counts.add(g.topic, move.source, -1)
            counts.add(g.topic, move.target, 1)
            led[move.source].remove(g)
    return moves


def _best_move(counts: _Counts, led: dict[int, list[Group]]) -> tuple[Group, Move] | None:
    for source in sorted(counts.node, key=lambda n: -counts.node[n]):
        best: tuple[tuple[int, bool], Group, int] | None = None
        for g in led[source]:
            for target in g.replicas:
                if target == source or target not in counts.node:
                    continue
                score = counts.score(g, source, target)
                if score <= 0:
                    continue
                key = (score, target == g.replicas[0])
                if best is None or key > best[0]:
                    best = (key, g, target)
        if best is not None:
            _, g, target = best
            return g, Move(g.group_id, source, target)
    return None


def _best_swap(counts: _Counts, led: dict[int, list[Group]]) -> list[tuple[Group, Move]]:
    """Two moves of different topics between two nodes, one each way: the nodes' counts stay,
    the topics' balance improves (when no single move does)."""

    def best(source: int, target: int, skip: str | None) -> tuple[int, Group | None]:
        top: tuple[int, Group | None] = (-(10**9), None)
        for g in led[source]:
            if target in g.replicas and g.topic != skip:
                t = counts.topic
                gain = t.get((g.topic, source), 0) - t.get((g.topic, target), 0)
                if gain > top[0]:
                    top = (gain, g)
        return top

    found: tuple[int, Group, Group, int, int] | None = None
    for s in counts.node:
        for t in counts.node:
            if s == t:
                continue
            gain1, g1 = best(s, t, None)
            if g1 is None or gain1 < 2:
                continue
            gain2, g2 = best(t, s, g1.topic)
            score = gain1 + gain2 - 2
            if g2 is not None and score > 0 and (found is None or score > found[0]):
                found = (score, g1, g2, s, t)
    if found is None:
        return []
    _, g1, g2, s, t = found
    return [(g1, Move(g1.group_id, s, t)), (g2, Move(g2.group_id, t, s))]


class LeaderBalancer:
    def __init__(
        self,
        node_id: int,
        controller,
        leaders,
        transfers: LeaderTransfers,
        in_maintenance: Callable[[int], bool],
        config: Callable[[str], Any],
        clock,
    ) -> None:
        self.node_id = node_id
        self._controller = controller
        self._topics = controller.topics
        self._leaders = leaders
        self._transfers = transfers
        self._in_maintenance = in_maintenance
        self._config = config
        self._clock = clock
        self._muted: dict[int, int] = {}  # group id -> unmuted at (ms)
        self._in_flight: dict[int, Move] = {}
        self._tasks: set[asyncio.Task] = set()
        self._task: asyncio.Task | None = None
        self._next_ms = 0
        self._signature: tuple = ()
        self.rounds = 0
        self.transfers_ok = 0
        self.transfers_failed = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="leader-balancer")

    async def stop(self) -> None:
        tasks = [*self._tasks, *([self._task] if self._task else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None

    def _ms(self, name: str, default: int) -> int:
        try:
            value = self._config(name)
        except KeyError:
            return default
        return default if value is None else int(value)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(CHECK_INTERVAL_MS / 1000)
            try:
                self._maybe_round()
            except Exception:  # noqa: BLE001 - one bad round must not stop balancing
                log.exception("leader balancer: round failed")
                self._next_ms = self._clock.monotonic_ms() + MIN_ITERATION_MS

    def _maybe_round(self) -> None:
        if not self._config(ENABLED) or not self._controller.is_leader:
            self._signature = ()
            return
        now = self._clock.monotonic_ms()
        nodes = self.eligible_nodes(now)
        signature = (
            tuple(sorted(nodes)),
            len(self._topics.topics),
            self._controller.consensus.term,
        )
        if signature == self._signature and now < self._next_ms:
            return
        self._signature = signature
        moved = self.balance_round(nodes, now)
        idle = self._ms(IDLE_TIMEOUT, 120_000)
        self._next_ms = now + (MIN_ITERATION_MS if moved or self._in_flight else idle)

    def eligible_nodes(self, now_ms: int) -> set[int]:
        mute_ms = self._ms(NODE_MUTE_TIMEOUT, 20_000)
        out = set()
        for node in self._controller.members.node_ids():
            if self._in_maintenance(node) or not self._leaders.is_alive(node):
                continue
            if node != self.node_id:
                contact = self._leaders.last_contact_ms(node)
                if contact is None or now_ms - contact > mute_ms:
                    continue
            uptime = self._leaders.uptime_ms(node)
            if uptime is None or uptime < mute_ms:
                continue  # just (re)started
            out.add(node)
        return out

    def groups(self) -> list[Group]:
        out = []
        for name, meta in self._topics.topics.items():
            for index, revision in enumerate(meta.partition_revisions):
                replicas = tuple(meta.assignments[index]) if index < len(meta.assignments) else ()
                leader = self._leaders.leader_id(name, index, revision)
                out.append(Group(group_id_of(revision, index), name, replicas, leader))
        return out

    def balance_round(self, nodes: set[int], now_ms: int) -> int:
        """Plan and dispatch moves; returns how many were dispatched."""
        self.rounds += 1
        self._muted = {g: t for g, t in self._muted.items() if t > now_ms}
        if len(nodes) < 2:
            return 0
        limit = self._ms(TRANSFER_LIMIT, 512) * len(nodes) - len(self._in_flight)
        groups = [self._with_in_flight(g) for g in self.groups()]
        moves = plan(groups, nodes, set(self._muted) | set(self._in_flight), max(0, limit))
        mute_ms = self._ms(MUTE_TIMEOUT, 300_000)
        for move in moves:
            self._muted[move.group_id] = now_ms + mute_ms
            self._in_flight[move.group_id] = move
            task = asyncio.get_running_loop().create_task(self._transfer(move))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if moves:
            log.info(
                "leader balancer: moving %d leaderships over nodes %s", len(moves), sorted(nodes)
            )
        return len(moves)

    def _with_in_flight(self, g: Group) -> Group:
        move = self._in_flight.get(g.group_id)
        return g if move is None else Group(g.group_id, g.topic, g.replicas, move.target)

    async def _transfer(self, move: Move) -> None:
        try:
            outcome = await self._transfers.transfer_group(
                move.group_id, move.target, TRANSFER_TIMEOUT_MS
            )
        finally:
            self._in_flight.pop(move.group_id, None)
        if outcome.ok:
            self.transfers_ok += 1
        else:
            self.transfers_failed += 1
            log.info(
                "leader balancer: group %d %d -> %d: %s %s",
                move.group_id,
                move.source,
                move.target,
                outcome.errc,
                outcome.message,
            )
