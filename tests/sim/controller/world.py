"""A seeded world of controller nodes: tests/support/raft_sim.py's World (the Raft core over
an in-memory lossy network and manual clock, per-node data logs with seeded fdatasyncs,
crashes losing what was not flushed, its Raft invariants after every step) whose nodes also
apply their committed log with the real Controller's apply path (core.cluster.controller:
topic table, members, producer-id blocks) over the real batch bytes, and clients submitting
commands through any node by the controller's protocol: a follower forwards to the leader,
gets (offset, term) back, and the command is done when the node's own apply passes that
offset with that term; a command lost with its leader is submitted again (same topic id)
until a deadline. Nodes snapshot their controller state (Controller.capture_snapshot, at
seeded moments once the applied offset is flushed) and a restarted node restores its latest
snapshot, then replays only what follows.

Invariants after every step, beside raft_sim's: two nodes that applied the same log prefix
hold identical tables; a node never applies past its commit nor truncates what it applied;
a restored snapshot is usable and holds the state every node had at its offset."""

from __future__ import annotations

import asyncio
import bisect
import json
import random
from dataclasses import dataclass
from typing import Any

from core.cluster.controller import Controller
from core.cluster.controller_snapshot import ControllerSnapshot
from core.cluster.id_allocator import ProducerIdAllocator
from core.model.records import Record, build_batch
from core.raft.types import Entry
from tests.support.raft_sim import InvariantError, Light, SimNode, Waiter, check
from tests.support.raft_sim import World as RaftWorld

__all__ = ["InvariantError", "Replica", "Request", "World", "check"]

FORWARD_TIMEOUT_MS = 600
SUBMIT_DEADLINE_MS = 15_000


class MemoryKv:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def put(self, key: str, value: Any) -> None:
        self.data[key] = value


class SimLog:
    """The slice of DiskLog the controller reads, over a raft_sim node's data log (entries
    whose payload is batch bytes)."""

    def __init__(self, node: SimNode) -> None:
        self.node = node
        self.kvstore = MemoryKv()

    @property
    def start_offset(self) -> int:
        return 0

    @property
    def next_offset(self) -> int:
        return self.node.end

    def read_bytes(self, offset: int, max_bytes: int, upper: int) -> bytes:
        i = bisect.bisect_right(self.node.ends, offset)
        out = bytearray()
        for e in self.node.data[i:]:
            if e.last >= upper or (out and len(out) + len(e.payload) > max_bytes):
                break
            out += e.payload
        return bytes(out)


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
        entry = next((e for e in self.node.data if e.base <= offset <= e.last), None)
        return entry.term if entry is not None else -1


@dataclass(frozen=True)
class Rpc(Light):
    """The controller's forwarding RPC on the sim network, beside raft_sim's light
    heartbeats: kind "submit" (follower -> leader, request `rid`) or "appended" (the answer:
    the (offset, term) the leader appended it at); `term` is the sender's."""

    rid: int = -1
    appended: tuple[int, int] | None = None


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
class Replica:
    """A node's controller side (its raft side is world.nodes[node_id]), rebuilt at restart."""

    log: SimLog
    controller: Controller
    pids: ProducerIdAllocator
    persisted_applied: int = -1  # last_applied in the kvstore: survives a crash
    snapshot: bytes | None = None  # the controller snapshot file (replaced atomically)


class World(RaftWorld):
    def __init__(self, seed: int, nodes: int = 3) -> None:
        self.requests: list[Request] = []
        self.states: dict[int, str] = {}  # applied up to offset -> fingerprint of the tables
        self.blocks: list[tuple[int, int]] = []  # producer-id blocks handed out
        self.lost: list[tuple[int, int]] = []  # (offset, term) of commands declared lost
        self.replicas: dict[int, Replica] = {}
        # snapshot moments from their own generator: a seed's run is the same as without them
        self.snapshot_rng = random.Random(f"snapshots-{seed}")
        self.restores = 0  # restarts that restored a snapshot
        # full heartbeats only (RaftConfig's default): a follower whose commit lags learns it
        # from the next one
        super().__init__(seed, nodes, crashes=True, relaxed=False, light_heartbeats=False)
        self.dup_rate = 0.0  # the forwarding RPC rides TCP: never delivered twice

    # ---- nodes: raft_sim's, each with a Controller ---------------------------------------------
    def _boot(self, node_id: int, old: SimNode | None) -> SimNode:
        node = super()._boot(node_id, old)
        before = self.replicas.get(node_id) if old is not None else None
        persisted = before.persisted_applied if before is not None else -1
        snapshot = before.snapshot if before is not None else None
        log = SimLog(node)
        controller = Controller(SimConsensus(node), log)  # type: ignore[arg-type]
        replica = Replica(log, controller, ProducerIdAllocator(controller), persisted, snapshot)
        self.replicas[node_id] = replica
        if snapshot is not None:  # restart: restore the snapshot, replay only what follows
            self._restore(node, replica, ControllerSnapshot.decode(snapshot))
        # restart: replay what was applied (and persisted) before, the rest once committed
        self._apply_upto(node, min(persisted + 1, node.end))
        return node

    def _restore(self, node: SimNode, replica: Replica, snapshot: ControllerSnapshot) -> None:
        """A snapshot is only written at an offset the node's log has flushed, and committed
        entries are never cut: it is always usable, and its state is the state every node
        had after applying up to its offset."""
        where = f"node {node.node_id}'s snapshot at {snapshot.offset}"
        check(replica.controller.restore_snapshot(snapshot), f"{where} is unusable")
        check(replica.controller.last_applied == snapshot.offset, f"{where}: not resumed after")
        check(self.states.get(snapshot.offset) == fingerprint(replica), f"{where} differs")
        self.restores += 1

    def _maybe_snapshot(self, node: SimNode, replica: Replica) -> None:
        """As Controller does (at seeded moments here): every owner's state at the last
        applied offset, once that offset is flushed in the node's log."""
        ctl = replica.controller
        if node.durable > ctl.last_applied and self.snapshot_rng.random() < 0.25:
            replica.snapshot = ctl.capture_snapshot().encode()

    def _deliver_light(self, node: SimNode, msg: Light) -> None:
        if isinstance(msg, Rpc):
            self._on_rpc(node, msg)
        else:
            super()._deliver_light(node, msg)

    def _truncate(self, node: SimNode, offset: int) -> None:
        applied = self.replicas[node.node_id].controller.last_applied
        check(offset >= applied + 1, f"node {node.node_id} cut applied data")
        super()._truncate(node, offset)

    def _on_commit(self, node: SimNode, commit: int) -> None:
        super()._on_commit(node, commit)
        self._apply_upto(node, commit)

    def _apply_upto(self, node: SimNode, upto: int) -> None:
        replica = self.replicas[node.node_id]
        ctl = replica.controller
        before = ctl.last_applied
        ctl.apply_upto(upto)
        if ctl.last_applied != before:
            fp = fingerprint(replica)
            known = self.states.setdefault(ctl.last_applied, fp)
            check(known == fp, f"node {node.node_id} differs after offset {ctl.last_applied}")
            if self.rng.random() < 0.3:
                replica.persisted_applied = ctl.last_applied  # the batched kvstore write
            self._maybe_snapshot(node, replica)
        self._settle_requests(node)

    def check_all(self) -> None:
        """After every step: raft_sim's invariants, then the clients act."""
        super().check_all()
        self._drive_requests()

    # ---- commands ---------------------------------------------------------------------------------
    def submit(self, via: int, command: str, payload: dict) -> Request:
        req = Request(len(self.requests), via, command, payload, self.now_ms + SUBMIT_DEADLINE_MS)
        self.requests.append(req)
        return req

    def _append(self, node: SimNode, command: str, payload: dict) -> tuple[int, int] | None:
        """The leader's Controller.append_local: one batch, acks=all."""
        if not node.core.can_propose:
            return None
        base, term = node.end, node.core.term
        record = Record(key=command.encode(), value=json.dumps(payload).encode())
        batch = bytes(build_batch([record], timestamp_ms=0, base_offset=base, leader_epoch=term))
        self._store(node, [Entry(term, base, base, batch)])
        node.waiters.append(Waiter(node.end, node.chain[-1]))  # raft_sim: acked writes survive
        node.flushes.append((self.now_ms + self.rng.randint(0, 15), node.end))
        node.core.on_local_append(node.end, True)
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
                self.send(Rpc(node.node_id, node.core.leader_id, node.core.term, "submit", req.rid))

    def _on_rpc(self, node: SimNode, msg: Rpc) -> None:
        req = self.requests[msg.rid]
        if msg.kind == "submit":
            appended = self._append(node, req.command, req.payload)
            if appended is not None:
                term = node.core.term
                self.send(Rpc(node.node_id, msg.src, term, "appended", msg.rid, appended))
        elif msg.kind == "appended" and req.outcome is None and req.waiting is None:
            if node.node_id == req.via and req.forwarded_at is not None:
                req.waiting = msg.appended
                self._settle_requests(node)

    def _settle_requests(self, node: SimNode) -> None:
        """Requests submitted through `node` wait on its Controller's own waiters (expect,
        settled by apply, failed by check_lost): ok, or lost and submitted again."""
        replica = self.replicas[node.node_id]
        ctl = replica.controller
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
                    block = replica.pids.claim(req.offset)
                    check(block is not None, f"no block at {req.offset} on node {node.node_id}")
                    self.blocks.append(block)  # type: ignore[arg-type]
            else:  # lost with its leader: submit again
                self.lost.append(req.waiting)
                req.waiting = req.forwarded_at = req.future = req.future_node = None


def fingerprint(replica: Replica) -> str:
    ctl = replica.controller
    topics = {
        name: (m.topic_id, m.replication_factor, m.partition_revisions, m.assignments)
        for name, m in sorted(ctl.topics.topics.items())
    }
    members = [(m.node_id, m.uuid, m.kafka_port) for m in ctl.members.all()]
    return repr((topics, members, ctl.members.cluster_uuid, replica.pids.reserved_end))
