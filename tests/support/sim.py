"""Simulated group members for the seeded coordinator simulation.

Each client follows the classic consumer protocol as a real client would: join
(with the member id handshake), sync (the leader assigns every partition over
the members it was given), heartbeat, commit, rejoin on REBALANCE_IN_PROGRESS.
Cooperative clients rejoin at once when an assignment revoked partitions they
owned, as KIP-429 clients do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from kio.schema.errors import ErrorCode as E

from core.groups.completion import Completion
from core.groups.manager import GroupManager
from core.groups.membership import JoinParams, SyncParams
from core.groups.offsets import CommitParams
from core.groups.results import JoinResult, LeaveRequestMember, OffsetCommitItem, SyncResult

GROUP = "sim"
TOPIC = "t"
PARTITIONS = 12


def encode_assignment(partitions: set[int]) -> bytes:
    return ",".join(str(p) for p in sorted(partitions)).encode()


def decode_assignment(data: bytes) -> set[int]:
    return {int(x) for x in data.decode().split(",") if x}


def plan(member_ids: list[str]) -> dict[str, bytes]:
    """Round-robin over the members, in the order the coordinator listed them."""
    owned: dict[str, set[int]] = {m: set() for m in member_ids}
    for p in range(PARTITIONS):
        owned[member_ids[p % len(member_ids)]].add(p)
    return {m: encode_assignment(ps) for m, ps in owned.items()}


@dataclass
class SimClient:
    name: str
    instance_id: str | None
    cooperative: bool
    session_ms: int
    rebalance_ms: int
    state: str = "idle"  # idle | joining | syncing | stable | crashed | fenced
    member_id: str = ""
    generation: int = -1
    owned: set[int] = field(default_factory=set)
    join_waiter: Completion[JoinResult] | None = None
    sync_waiter: Completion[SyncResult] | None = None
    next_heartbeat_ms: int = 0
    paused_until_ms: int = 0  # a stalled process (GC pause, stopped VM) does nothing

    @property
    def alive(self) -> bool:
        return self.state not in ("crashed", "fenced")

    def protocols(self) -> list[tuple[str, bytes]]:
        name = "cooperative-sticky" if self.cooperative else "range"
        return [(name, f"{self.name}:{encode_assignment(self.owned).decode()}".encode())]


class ClientDriver:
    """Moves one client along; records what the invariants need."""

    def __init__(self, mgr: GroupManager, rng: random.Random, now_ms) -> None:
        self.mgr = mgr
        self.rng = rng
        self.now_ms = now_ms
        self.joined: list[JoinResult] = []  # every successful JoinResult, in order
        self.waiters: list[Completion] = []  # every completion handed out

    def join(self, c: SimClient) -> None:
        params = JoinParams(
            GROUP,
            c.member_id,
            "consumer",
            c.protocols(),
            c.session_ms,
            c.rebalance_ms,
            c.instance_id,
            c.name,
            "/sim",
        )
        c.join_waiter = self.mgr.join(params)
        c.join_waiter.on_done(self._record_join)  # in the order the coordinator answers
        self.waiters.append(c.join_waiter)
        c.state = "joining"

    def _record_join(self, r: JoinResult) -> None:
        if r.error is E.none:
            self.joined.append(r)

    def step(self, c: SimClient) -> None:
        if self.now_ms() < c.paused_until_ms:
            return
        if c.state == "idle":
            self.join(c)
        elif c.state == "joining" and c.join_waiter is not None and c.join_waiter.done:
            self._joined(c, c.join_waiter.value)
        elif c.state == "syncing" and c.sync_waiter is not None and c.sync_waiter.done:
            self._synced(c, c.sync_waiter.value)
        elif c.state == "stable" and self.now_ms() >= c.next_heartbeat_ms:
            self._heartbeat(c)

    def _joined(self, c: SimClient, r: JoinResult) -> None:
        c.join_waiter = None
        if r.error is E.member_id_required:
            c.member_id = r.member_id
            self.join(c)
        elif r.error is E.none:
            c.member_id, c.generation = r.member_id, r.generation_id
            assignments = plan([m.member_id for m in r.members]) if r.members else {}
            c.sync_waiter = self.mgr.sync(
                SyncParams(GROUP, r.generation_id, r.member_id, assignments, c.instance_id)
            )
            self.waiters.append(c.sync_waiter)
            c.state = "syncing"
        else:
            self._error(c, r.error)

    def _synced(self, c: SimClient, r: SyncResult) -> None:
        c.sync_waiter = None
        if r.error is not E.none:
            self._error(c, r.error)
            return
        new = decode_assignment(r.assignment)
        revoked = c.owned - new
        c.owned = new
        c.state = "stable"
        c.next_heartbeat_ms = self.now_ms() + c.session_ms // 3
        if c.cooperative and revoked:
            self.join(c)  # KIP-429: revoke, then rejoin at once

    def _heartbeat(self, c: SimClient) -> None:
        error = self.mgr.heartbeat(GROUP, c.generation, c.member_id, c.instance_id)
        c.next_heartbeat_ms = self.now_ms() + c.session_ms // 3
        if error is not E.none:
            self._error(c, error)

    def _error(self, c: SimClient, error: E) -> None:
        if error is E.fenced_instance_id:
            c.state = "fenced"
            return
        if error is E.unknown_member_id:
            c.member_id = ""
        if not c.cooperative:
            c.owned = set()
        self.join(c)

    def commit(self, c: SimClient, offset: int) -> Completion | None:
        if c.state != "stable" or not c.owned:
            return None
        items = [OffsetCommitItem(TOPIC, p, offset) for p in sorted(c.owned)]
        done = self.mgr.commit_offsets(
            CommitParams(GROUP, items, c.generation, c.member_id, c.instance_id)
        )
        self.waiters.append(done)
        return done

    def leave(self, c: SimClient) -> None:
        self.mgr.leave(GROUP, [LeaveRequestMember(c.member_id, c.instance_id)])
        c.state, c.member_id, c.owned = "idle", "", set()
        c.join_waiter = c.sync_waiter = None
