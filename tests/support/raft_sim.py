"""A seeded world for the Raft core (core.raft.raft.RaftCore): an in-memory network with
delay, drops, duplicates, reordering and partitions; a manual clock; per-node data logs
whose fdatasyncs complete after a seeded delay; crashes that lose what was not flushed.
Invariants are checked after every step (tests/sim/raft)."""

from __future__ import annotations

import bisect
import heapq
import random
from dataclasses import dataclass, field

from core.raft.raft import RaftCore
from core.raft.state import RaftConfig
from core.raft.types import Entry, HardState, Message, Ready


class InvariantError(AssertionError):
    pass


def check(cond: bool, what: str) -> None:
    if not cond:
        raise InvariantError(what)


@dataclass(frozen=True)
class Light:
    """A light heartbeat ("hb"), its ack or its nack (core.rpc.raft_batch's wire form)."""

    src: int
    dst: int
    term: int
    kind: str


@dataclass
class Waiter:
    end: int
    chain: int


@dataclass
class SimNode:
    node_id: int
    core: RaftCore
    data: list[Entry] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)  # last + 1 of each entry
    chain: list[int] = field(default_factory=list)  # hash chain over the data entries
    durable: int = 0  # data fdatasync'ed below this offset
    hard: HardState = field(default_factory=lambda: HardState(-1, None, ()))
    flushes: list[tuple[int, int]] = field(default_factory=list)  # (due ms, target offset)
    waiters: list[Waiter] = field(default_factory=list)
    alive: bool = True

    @property
    def end(self) -> int:
        return self.ends[-1] if self.ends else 0

    def chain_at(self, offset: int) -> int | None:
        """The chain hash of the prefix ending at data offset `offset`, if a boundary."""
        if offset == 0:
            return 0
        i = bisect.bisect_left(self.ends, offset)
        return self.chain[i] if i < len(self.ends) and self.ends[i] == offset else None

    def read(self, offset: int, max_bytes: int) -> list[Entry]:
        i = bisect.bisect_right(self.ends, offset)
        return self.data[i : i + 8]


class World:
    def __init__(
        self,
        seed: int,
        nodes: int,
        *,
        crashes: bool,
        relaxed: bool,
        light_heartbeats: bool | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.now_ms = 0
        self.ids = tuple(range(nodes))
        self.crashes = crashes
        self.relaxed = relaxed
        # half the seeds of each size send idle followers light heartbeats (unless told)
        if light_heartbeats is None:
            light_heartbeats = (seed // 2) % 2 == 0
        self.config = RaftConfig(light_heartbeats=light_heartbeats)
        self.light_sent = 0
        self.nodes = {i: self._boot(i, None) for i in self.ids}
        self.net: list[tuple[int, int, Message | Light]] = []
        self.msg_seq = 0
        self.blocked: set[tuple[int, int]] = set()
        self.drop_rate = self.rng.choice([0.0, 0.02, 0.1])
        self.dup_rate = self.rng.choice([0.0, 0.05])
        self.delay_ms = self.rng.choice([(1, 5), (1, 40), (5, 200)])
        self.payload_seq = 0
        self.leaders: dict[int, int] = {}  # term -> leader
        self.chains: dict[tuple[int, int], int] = {}  # (end offset, term) -> chain hash
        self.committed: dict[int, int] = {}  # commit offset -> chain hash
        self.commit_max = 0
        self.acked: tuple[int, int] = (0, 0)  # (end, chain) of the highest acknowledged write
        self.acked_count = 0
        self.observed: tuple[int, int] = (-1, 0)  # (leader term, high watermark) seen by clients

    # ---- nodes ------------------------------------------------------------------------------------
    def _boot(self, node_id: int, old: SimNode | None) -> SimNode:
        hard = old.hard if old else HardState(-1, None, ())
        node = SimNode(node_id, None, hard=hard)  # type: ignore[arg-type]
        if old is not None:
            cut = self._crash_cut(old)
            keep = bisect.bisect_right(old.ends, cut)
            node.data, node.ends, node.chain = old.data[:keep], old.ends[:keep], old.chain[:keep]
        node.durable = node.end
        node.core = RaftCore.create(
            node_id,
            self.ids,
            hard,
            start_offset=0,
            next_offset=node.end,
            flushed_offset=node.end,
            now_ms=self.now_ms,
            rng=random.Random(self.rng.random()),
            reader=node.read,
            config=self.config,
        )
        return node

    def _crash_cut(self, node: SimNode) -> int:
        """Unflushed entries are lost, except a random prefix of them that reached the disk."""
        boundaries = [e for e in node.ends if e >= node.durable]
        return self.rng.choice([node.durable] + boundaries)

    def crash(self, node_id: int) -> None:
        self.nodes[node_id].alive = False

    def restart(self, node_id: int) -> None:
        self.nodes[node_id] = self._boot(node_id, self.nodes[node_id])

    # ---- network ----------------------------------------------------------------------------------
    def send(self, msg: Message | Light) -> None:
        if self.rng.random() < self.drop_rate:
            return
        copies = 2 if self.rng.random() < self.dup_rate else 1
        for _ in range(copies):
            self.msg_seq += 1
            due = self.now_ms + self.rng.randint(*self.delay_ms)
            heapq.heappush(self.net, (due, self.msg_seq, msg))

    def deliver_due(self) -> None:
        while self.net and self.net[0][0] <= self.now_ms:
            _, _, msg = heapq.heappop(self.net)
            node = self.nodes[msg.dst]
            if not node.alive or (msg.src, msg.dst) in self.blocked:
                continue
            if isinstance(msg, Light):
                self._deliver_light(node, msg)
            else:
                node.core.step(msg)
            self.process(node)

    def _deliver_light(self, node: SimNode, msg: Light) -> None:
        core = node.core
        core.set_now(self.now_ms)
        if msg.kind == "hb":
            ok = core.on_light_heartbeat(msg.src, msg.term)
            self.send(Light(node.node_id, msg.src, msg.term, "ack" if ok else "nack"))
        elif msg.kind == "ack":
            core.on_light_ack(msg.src, msg.term)
        else:
            core.on_light_nack(msg.src)

    def partition(self, group: set[int]) -> None:
        self.blocked = {(a, b) for a in self.ids for b in self.ids if (a in group) != (b in group)}

    def heal(self) -> None:
        self.blocked = set()

    # ---- time -------------------------------------------------------------------------------------
    def advance(self, delta_ms: int) -> None:
        target = self.now_ms + delta_ms
        while True:
            due = [self.net[0][0]] if self.net else []
            due += [d for n in self.nodes.values() if n.alive for d, _ in n.flushes]
            due += [n.core.next_timer_ms for n in self.nodes.values() if n.alive]
            nxt = min([d for d in due if d <= target], default=target)
            self.now_ms = max(self.now_ms, nxt)
            self.deliver_due()
            self.complete_flushes()
            for node in self.nodes.values():
                if node.alive:
                    node.core.tick(self.now_ms)
                    self.process(node)
            self.check_all()
            if self.now_ms >= target:
                return

    def complete_flushes(self) -> None:
        for node in self.nodes.values():
            if not node.alive or not node.flushes:
                continue
            done = [t for d, t in node.flushes if d <= self.now_ms]
            node.flushes = [(d, t) for d, t in node.flushes if d > self.now_ms]
            if done:
                node.durable = max(node.durable, min(max(done), node.end))
                node.core.on_flushed(node.durable)
                self.process(node)

    # ---- clients ----------------------------------------------------------------------------------
    def leader(self) -> SimNode | None:
        live = [n for n in self.nodes.values() if n.alive and n.core.can_propose]
        return max(live, key=lambda n: n.core.term) if live else None

    def propose(self) -> None:
        node = self.leader()
        if node is None:
            return
        quorum = not self.relaxed or self.rng.random() < 0.5
        self.payload_seq += 1
        base = node.end
        entry = Entry(node.core.term, base, base + self.rng.randint(0, 2), self.payload_seq)
        self._store(node, [entry])
        if quorum:
            node.waiters.append(Waiter(entry.last + 1, node.chain[-1]))
        node.flushes.append((self.now_ms + self.rng.randint(0, 15), node.end))
        node.core.on_local_append(node.end, quorum)
        self.process(node)

    # ---- the driver ---------------------------------------------------------------------------------
    def process(self, node: SimNode) -> None:
        ready = node.core.take_ready()
        while ready is not None:
            self._apply(node, ready)
            ready = node.core.take_ready()
        light, node.core.light_out = node.core.light_out, []
        for dst in light:
            self.light_sent += 1
            self.send(Light(node.node_id, dst, node.core.term, "hb"))

    def _apply(self, node: SimNode, ready: Ready) -> None:
        if ready.truncate_to is not None:
            self._truncate(node, ready.truncate_to)
        if ready.persist is not None:
            node.hard = ready.persist
        if ready.append:
            self._store(node, ready.append)
        if ready.flush:
            node.flushes.append((self.now_ms + self.rng.randint(1, 20), node.end))
        for msg in ready.messages:
            self.send(msg)
        if ready.leader_changed and node.core.is_leader:
            self._check_new_leader(node)
        if ready.leader_changed and not node.core.is_leader:
            node.waiters.clear()  # failed with a retriable error
        if ready.committed is not None:
            self._on_commit(node, ready.committed)

    def _store(self, node: SimNode, entries: list[Entry]) -> None:
        for e in entries:
            check(e.base == node.end, f"gap at node {node.node_id}: {e} after {node.end}")
            prev = node.chain[-1] if node.chain else 0
            h = hash((prev, e.term, e.base, e.last, e.payload))
            node.data.append(e)
            node.ends.append(e.last + 1)
            node.chain.append(h)
            known = self.chains.setdefault((e.last + 1, e.term), h)
            check(known == h, f"log matching: node {node.node_id} differs at {e}")

    def _truncate(self, node: SimNode, offset: int) -> None:
        held = node.chain_at(self.commit_max) == self.committed.get(self.commit_max)
        check(not held or offset >= self.commit_max, f"node {node.node_id} cut committed entries")
        keep = bisect.bisect_left(node.ends, offset + 1)
        node.data, node.ends, node.chain = node.data[:keep], node.ends[:keep], node.chain[:keep]
        check(node.end == offset, f"truncation inside a batch at node {node.node_id}")
        node.durable = offset  # the log fsyncs a truncation; older flushes count for nothing
        node.flushes = []
        node.waiters = [w for w in node.waiters if w.end <= offset]
        node.core.on_flushed(offset)

    def _on_commit(self, node: SimNode, commit: int) -> None:
        h = node.chain_at(commit)
        check(h is not None, f"commit {commit} not at a boundary on node {node.node_id}")
        known = self.committed.setdefault(commit, h)  # type: ignore[arg-type]
        check(known == h, f"committed prefix changed at {commit} on node {node.node_id}")
        check(commit <= node.durable, f"node {node.node_id} committed unflushed data")
        self.commit_max = max(self.commit_max, commit)
        done = [w for w in node.waiters if w.end <= commit]
        node.waiters = [w for w in node.waiters if w.end > commit]
        for w in done:
            self.acked_count += 1
            if w.end > self.acked[0]:
                self.acked = (w.end, w.chain)

    # ---- invariants --------------------------------------------------------------------------------
    def _check_new_leader(self, node: SimNode) -> None:
        term = node.core.term
        check(self.leaders.setdefault(term, node.node_id) == node.node_id, f"two leaders in {term}")
        end, chain = self.acked
        check(node.chain_at(end) == chain, f"leader {node.node_id} of {term} lacks acked writes")
        committed = self.committed.get(self.commit_max, 0)
        check(node.chain_at(self.commit_max) == committed, f"leader of {term} lacks commits")

    def check_all(self) -> None:
        for node in self.nodes.values():
            core = node.core
            if not node.alive or not core.serving:
                continue
            seen = (core.term, core.visible)
            if seen[0] >= self.observed[0]:
                check(seen[1] >= self.observed[1], f"high watermark went back: {seen}")
                self.observed = seen
            check(core.visible <= node.end, "visible past the log end")


# ---- what the chaos simulations share (tests/sim/raft, tests/raft_groups/test_idle_heartbeats) ----
def chaos_step(world: World) -> None:
    """One step of the plain chaos run: writes (45%), else `disturb`."""
    rng = world.rng
    roll = rng.random()
    if roll < 0.45:
        for _ in range(rng.randint(1, 3)):
            world.propose()
        world.advance(rng.choice([0, 1, 5, 20]))
    else:
        disturb(world, roll)


def disturb(world: World, roll: float) -> None:
    """The common tail of a chaos step, for `roll` in [0.5, 1): time passes, the network splits
    or heals, a node crashes or restarts, or the leader hands over (the rng draws stay in this
    order: seeds replay)."""
    rng = world.rng
    if roll < 0.75:
        world.advance(rng.choice([10, 50, 150, 400, 1500]))
    elif roll < 0.82:
        size = rng.randint(1, len(world.ids) // 2)
        world.partition(set(rng.sample(world.ids, size)))
    elif roll < 0.88:
        world.heal()
    elif roll < 0.94 and world.crashes:
        node = world.nodes[rng.choice(world.ids)]
        if node.alive:
            world.crash(node.node_id)
        else:
            world.restart(node.node_id)
    else:
        leader = world.leader()
        if leader is not None:
            leader.core.transfer_leadership(rng.choice(world.ids))
            world.process(leader)


def heal_everything(world: World) -> None:
    world.heal()
    world.drop_rate = 0.0
    for node in world.nodes.values():
        if not node.alive:
            world.restart(node.node_id)


def await_serving_leader(world: World, bound_ms: int) -> SimNode:
    """Within `bound_ms`: a leader serving its term with its whole log committed."""
    deadline_ms = world.now_ms + bound_ms
    while True:
        leader = world.leader()
        if leader is not None and leader.core.serving and leader.core.commit == leader.end:
            return leader
        check(world.now_ms <= deadline_ms, "no leader committing its log after healing")
        world.advance(50)


def await_a_write(world: World, bound_ms: int) -> None:
    """Within `bound_ms`: a new write acknowledged."""
    acked = world.acked_count
    deadline_ms = world.now_ms + bound_ms
    while world.acked_count == acked:
        check(world.now_ms <= deadline_ms, "a write did not commit after healing")
        leader = world.leader()
        if leader is not None and not leader.waiters:
            world.propose()
        world.advance(50)


def check_leader_holds_acked(world: World) -> None:
    leader = world.leader()
    end, chain = world.acked
    check(leader is not None and leader.chain_at(end) == chain, "the leader lacks acked writes")
