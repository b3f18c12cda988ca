"""A seeded world of controller nodes: the Raft core (core.raft.raft.RaftCore) over an
in-memory lossy network and manual clock, each node applying its committed log with the
real Controller's apply path (core.cluster.controller: topic table, members, producer-id
blocks) over the real batch bytes, and clients submitting commands through any node by the
controller's protocol: a follower forwards to the leader, gets (offset, term) back, and the
command is done when the node's own apply passes that offset with that term; a command
lost with its leader is submitted again (same topic id) until a deadline.

Invariants after every step: two nodes that applied the same log prefix hold identical
tables; a node never applies past its commit; committed entries never change."""

from __future__ import annotations

import asyncio
import bisect
import heapq
import json
import random
from dataclasses import dataclass, field
from typing import Any

from core.cluster.controller import Controller
from core.cluster.id_allocator import ProducerIdAllocator
from core.model.records import Record, build_batch
from core.raft.raft import RaftCore
from core.raft.state import RaftConfig
from core.raft.types import Entry, HardState, Ready

FORWARD_TIMEOUT_MS = 600
SUBMIT_DEADLINE_MS = 15_000


class InvariantError(AssertionError):
    pass


def check(cond: bool, what: str) -> None:
    if not cond:
        raise InvariantError(what)


class MemoryKv:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def put(self, key: str, value: Any) -> None:
        self.data[key] = value


class SimLog:
    """The slice of DiskLog the controller reads: entries whose payload is batch bytes."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self.kvstore = MemoryKv()

    @property
    def start_offset(self) -> int:
        return 0

    @property
    def next_offset(self) -> int:
        return self.entries[-1].last + 1 if self.entries else 0

    def ends(self) -> list[int]:
        return [e.last + 1 for e in self.entries]

    def read_bytes(self, offset: int, max_bytes: int, upper: int) -> bytes:
        i = bisect.bisect_right(self.ends(), offset)
        out = bytearray()
        for e in self.entries[i:]:
            if e.last >= upper or (out and len(out) + len(e.payload) > max_bytes):
                break
            out += e.payload
        return bytes(out)

    def read_entries(self, offset: int, max_bytes: int) -> list[Entry]:
        i = bisect.bisect_right(self.ends(), offset)
        return self.entries[i : i + 8]


class SimConsensus:
    """What Controller reads from its consensus, answered by the node's RaftCore."""

    def __init__(self, node: SimNode) -> None:
        self.node = node
        self.node_id = node.node_id

    @property
    def commit_offset(self) -> int:
        return self.node.core.commit

    @property
    def term(self) -> int:
        return self.node.core.term

    @property
    def term_history(self) -> list[tuple[int, int]]:
        return [(r.term, r.offset) for r in self.node.core.runs]

    def term_at(self, offset: int) -> int:
        entry = next((e for e in self.node.log.entries if e.base <= offset <= e.last), None)
        return entry.term if entry is not None else -1


@dataclass
class Request:
    """A client's command, submitted through `via`."""

    rid: int
    via: int
    command: str
    payload: dict
    deadline_ms: int
    waiting: tuple[int, int] | None = None  # (offset, term) the leader appended it at
    forwarded_at: int | None = None
    attempts: int = 0
    outcome: str | None = None  # ok | failed
    offset: int | None = None
    future: asyncio.Future | None = None  # Controller.expect of the node it waits on
    future_node: Controller | None = None


@dataclass
class SimNode:
    node_id: int
    core: RaftCore
    log: SimLog
    controller: Controller
    pids: ProducerIdAllocator
    hard: HardState
    durable: int = 0
    flushes: list[tuple[int, int]] = field(default_factory=list)
    alive: bool = True
    persisted_applied: int = -1


class World:
    def __init__(self, seed: int, nodes: int = 3) -> None:
        self.rng = random.Random(seed)
        self.now_ms = 0
        self.ids = tuple(range(nodes))
        self.config = RaftConfig()
        self.net: list[tuple[int, int, Any]] = []
        self.seq = 0
        self.blocked: set[tuple[int, int]] = set()
        self.drop_rate = self.rng.choice([0.0, 0.02, 0.1])
        self.delay_ms = self.rng.choice([(1, 5), (1, 40), (5, 150)])
        self.requests: list[Request] = []
        self.committed: dict[int, bytes] = {}  # end offset -> the committed prefix's last entry
        self.states: dict[int, str] = {}  # applied up to offset -> fingerprint of the tables
        self.blocks: list[tuple[int, int]] = []  # producer-id blocks handed out
        self.lost: list[tuple[int, int]] = []  # (offset, term) of commands declared lost
        self.nodes = {i: self._boot(i, None) for i in self.ids}

    # ---- nodes ------------------------------------------------------------------------------------
    def _boot(self, node_id: int, old: SimNode | None) -> SimNode:
        entries: list[Entry] = []
        hard = HardState(-1, None, ())
        persisted = -1
        if old is not None:
            hard = old.hard
            cut = self.rng.choice(
                [old.durable] + [e.last + 1 for e in old.log.entries if e.last + 1 >= old.durable]
            )
            entries = [e for e in old.log.entries if e.last < cut]
            persisted = old.persisted_applied
        slog = SimLog(entries)
        node = SimNode(node_id, None, slog, None, None, hard)  # type: ignore[arg-type]
        node.core = RaftCore.create(
            node_id,
            self.ids,
            hard,
            start_offset=0,
            next_offset=slog.next_offset,
            flushed_offset=slog.next_offset,
            now_ms=self.now_ms,
            rng=random.Random(self.rng.random()),
            reader=slog.read_entries,
            config=self.config,
        )
        node.durable = slog.next_offset
        node.controller = Controller(SimConsensus(node), slog)  # type: ignore[arg-type]
        node.pids = ProducerIdAllocator(node.controller)
        node.persisted_applied = persisted
        # restart: replay what was applied (and persisted) before, the rest once committed
        self._apply(node, min(persisted + 1, slog.next_offset))
        return node

    def crash(self, node_id: int) -> None:
        self.nodes[node_id].alive = False

    def restart(self, node_id: int) -> None:
        self.nodes[node_id] = self._boot(node_id, self.nodes[node_id])

    def leader(self) -> SimNode | None:
        live = [n for n in self.nodes.values() if n.alive and n.core.can_propose]
        return max(live, key=lambda n: n.core.term) if live else None

    # ---- network ----------------------------------------------------------------------------------
    def send(self, src: int, dst: int, msg: Any) -> None:
        if self.rng.random() < self.drop_rate:
            return
        self.seq += 1
        heapq.heappush(
            self.net, (self.now_ms + self.rng.randint(*self.delay_ms), self.seq, (src, dst, msg))
        )

    def deliver_due(self) -> None:
        while self.net and self.net[0][0] <= self.now_ms:
            _, _, (src, dst, msg) = heapq.heappop(self.net)
            node = self.nodes[dst]
            if not node.alive or (src, dst) in self.blocked:
                continue
            if isinstance(msg, tuple):
                self._on_rpc(node, src, msg)
            else:
                node.core.step(msg)
                self.process(node)

    def partition(self, group: set[int]) -> None:
        self.blocked = {(a, b) for a in self.ids for b in self.ids if (a in group) != (b in group)}

    def heal(self) -> None:
        self.blocked = set()

    # ---- the Raft driver --------------------------------------------------------------------------
    def process(self, node: SimNode) -> None:
        ready = node.core.take_ready()
        while ready is not None:
            self._ready(node, ready)
            ready = node.core.take_ready()

    def _ready(self, node: SimNode, ready: Ready) -> None:
        if ready.truncate_to is not None:
            cut = ready.truncate_to
            check(cut >= node.controller.last_applied + 1, f"node {node.node_id} cut applied data")
            node.log.entries = [e for e in node.log.entries if e.last < cut]
            node.durable = min(node.durable, cut)
            node.flushes = []
            node.core.on_flushed(cut)
        if ready.persist is not None:
            node.hard = ready.persist
        for e in ready.append:
            check(e.base == node.log.next_offset, f"gap at node {node.node_id}")
            node.log.entries.append(e)
        if ready.flush:
            node.flushes.append((self.now_ms + self.rng.randint(1, 20), node.log.next_offset))
        for msg in ready.messages:
            self.send(msg.src, msg.dst, msg)
        if ready.committed is not None:
            self._on_commit(node, ready.committed)

    def _on_commit(self, node: SimNode, commit: int) -> None:
        ends = node.log.ends()
        check(commit == 0 or commit in ends, f"commit {commit} not at a boundary")
        if commit:
            last = node.log.entries[ends.index(commit)]
            known = self.committed.setdefault(commit, last.payload)
            check(known == last.payload, f"committed entry at {commit} changed on {node.node_id}")
        self._apply(node, commit)

    def _apply(self, node: SimNode, upto: int) -> None:
        ctl = node.controller
        before = ctl.last_applied
        ctl.apply_upto(upto)
        if ctl.last_applied != before:
            fp = fingerprint(node)
            known = self.states.setdefault(ctl.last_applied, fp)
            check(known == fp, f"node {node.node_id} differs after offset {ctl.last_applied}")
            if self.rng.random() < 0.3:
                node.persisted_applied = ctl.last_applied  # the batched kvstore write
        self._settle_requests(node)

    def complete_flushes(self) -> None:
        for node in self.nodes.values():
            done = [t for d, t in node.flushes if d <= self.now_ms]
            if not node.alive or not done:
                continue
            node.flushes = [(d, t) for d, t in node.flushes if d > self.now_ms]
            node.durable = max(node.durable, min(max(done), node.log.next_offset))
            node.core.on_flushed(node.durable)
            self.process(node)

    def advance(self, delta_ms: int) -> None:
        target = self.now_ms + delta_ms
        while True:
            due = [self.net[0][0]] if self.net else []
            due += [d for n in self.nodes.values() if n.alive for d, _ in n.flushes]
            due += [n.core.next_timer_ms for n in self.nodes.values() if n.alive]
            self.now_ms = max(self.now_ms, min([d for d in due if d <= target], default=target))
            self.deliver_due()
            self.complete_flushes()
            for node in self.nodes.values():
                if node.alive:
                    node.core.tick(self.now_ms)
                    self.process(node)
            self._drive_requests()
            if self.now_ms >= target:
                return

    # ---- commands ---------------------------------------------------------------------------------
    def submit(self, via: int, command: str, payload: dict) -> Request:
        req = Request(len(self.requests), via, command, payload, self.now_ms + SUBMIT_DEADLINE_MS)
        self.requests.append(req)
        return req

    def _append(self, node: SimNode, command: str, payload: dict) -> tuple[int, int] | None:
        """The leader's Controller.append_local: one batch, acks=all."""
        if not node.core.can_propose:
            return None
        base, term = node.log.next_offset, node.core.term
        record = Record(key=command.encode(), value=json.dumps(payload).encode())
        batch = bytes(build_batch([record], timestamp_ms=0, base_offset=base, leader_epoch=term))
        node.log.entries.append(Entry(term, base, base, batch))
        node.flushes.append((self.now_ms + self.rng.randint(0, 15), node.log.next_offset))
        node.core.on_local_append(node.log.next_offset, True)
        self.process(node)
        return base, term

    def _drive_requests(self) -> None:
        for req in self.requests:
            if req.outcome is not None:
                continue
            node = self.nodes[req.via]
            if self.now_ms >= req.deadline_ms:
                req.outcome = "failed"
                if req.future is not None and req.future.done():
                    req.future.exception()  # retrieved
            elif not node.alive or req.waiting is not None:
                continue
            elif node.core.can_propose:
                req.attempts += 1
                req.waiting = self._append(node, req.command, req.payload)
            elif node.core.leader_id is not None and (
                req.forwarded_at is None or self.now_ms - req.forwarded_at > FORWARD_TIMEOUT_MS
            ):
                req.attempts += 1
                req.forwarded_at = self.now_ms
                self.send(node.node_id, node.core.leader_id, ("submit", req.rid))

    def _on_rpc(self, node: SimNode, src: int, msg: tuple) -> None:
        kind, rid = msg[0], msg[1]
        req = self.requests[rid]
        if kind == "submit":
            appended = self._append(node, req.command, req.payload)
            if appended is not None:
                self.send(node.node_id, src, ("appended", rid, appended))
        elif kind == "appended" and req.outcome is None and req.waiting is None:
            if node.node_id == req.via and req.forwarded_at is not None:
                req.waiting = msg[2]
                self._settle_requests(node)

    def _settle_requests(self, node: SimNode) -> None:
        """Requests submitted through `node` wait on its Controller's own waiters (expect,
        settled by apply, failed by check_lost): ok, or lost and submitted again."""
        ctl = node.controller
        ctl.check_lost()
        for req in self.requests:
            if req.outcome is not None or req.via != node.node_id or req.waiting is None:
                continue
            if req.future is None or req.future_node is not ctl:
                req.future, req.future_node = ctl.expect(*req.waiting), ctl
            if not req.future.done():
                continue
            if req.future.exception() is None:
                req.outcome, req.offset = "ok", req.waiting[0]
                if req.command == "allocate_producer_ids":
                    block = node.pids.claim(req.offset)
                    check(block is not None, f"no block at {req.offset} on node {node.node_id}")
                    self.blocks.append(block)  # type: ignore[arg-type]
            else:  # lost with its leader: submit again
                self.lost.append(req.waiting)
                req.waiting = req.forwarded_at = req.future = req.future_node = None


def fingerprint(node: SimNode) -> str:
    ctl = node.controller
    topics = {
        name: (m.topic_id, m.replication_factor, m.partition_revisions, m.assignments)
        for name, m in sorted(ctl.topics.topics.items())
    }
    members = [(m.node_id, m.uuid, m.kafka_port) for m in ctl.members.all()]
    return repr((topics, members, ctl.members.cluster_uuid, node.pids.reserved_end))
