"""Consumer group helpers: the consumer protocol's subscription and assignment encodings, and a
ManualClock harness around the pure group coordinator core (the real GroupManager and journal)."""

from __future__ import annotations

import random
import struct
from dataclasses import replace

from kio.schema.errors import ErrorCode

from core.common.clock import ManualClock
from core.groups.completion import Completion
from core.groups.config import GroupConfig
from core.groups.manager import GroupManager
from core.groups.membership import JoinParams, SyncParams
from core.groups.memory_journal import MemoryJournal
from core.groups.results import JoinResult, SyncResult

PARTITIONS = 4
TEST_CONFIG = GroupConfig(
    group_min_session_timeout_ms=1_000,
    group_max_session_timeout_ms=60_000,
    group_initial_rebalance_delay_ms=0,
    group_new_member_join_timeout_ms=30_000,
    group_topic_partitions=PARTITIONS,
    group_offset_retention_sec=3_600,
    group_offset_retention_check_ms=60_000,
    group_max_size=50,
)


def subscription(*topics: str) -> bytes:
    """A ConsumerProtocolSubscription v0 for `topics`."""
    out = struct.pack(">hi", 0, len(topics))
    for topic in topics:
        out += struct.pack(">h", len(topic)) + topic.encode()
    return out + struct.pack(">i", -1)


def assignment(pairs: list[tuple[str, int]]) -> bytes:
    """A ConsumerProtocolAssignment v0 of (topic, partition) pairs."""
    by_topic: dict[str, list[int]] = {}
    for topic, partition in pairs:
        by_topic.setdefault(topic, []).append(partition)
    out = struct.pack(">hi", 0, len(by_topic))
    for topic, parts in sorted(by_topic.items()):
        out += struct.pack(">h", len(topic)) + topic.encode() + struct.pack(">i", len(parts))
        out += b"".join(struct.pack(">i", p) for p in parts)
    return out + struct.pack(">i", -1)


class Harness:
    def __init__(
        self, seed: int = 0, journal: MemoryJournal | None = None, **overrides: int
    ) -> None:
        self.seed = seed
        self.clock = ManualClock()
        self.config = replace(TEST_CONFIG, **overrides)
        self.journal = journal or MemoryJournal()
        self.mgr = self._new_manager()

    def _new_manager(self) -> GroupManager:
        return self.journal.load_into(
            GroupManager(
                clock=self.clock,
                config=self.config,
                journal=self.journal,
                rng=random.Random(self.seed),
            )
        )

    def restart(self) -> None:
        """A new coordinator replaying what the old one stored."""
        self.mgr = self._new_manager()

    def advance(self, ms: int) -> None:
        self.clock.advance(ms)
        self.mgr.tick()
        self.mgr.check_invariants()

    def join(
        self,
        member_id: str = "",
        *,
        group: str = "g",
        instance: str | None = None,
        protocols: list[tuple[str, bytes]] | None = None,
        session_ms: int = 10_000,
        rebalance_ms: int = 20_000,
        require_known: bool = True,
        client_id: str = "client",
        protocol_type: str = "consumer",
    ) -> Completion[JoinResult]:
        params = JoinParams(
            group,
            member_id,
            protocol_type,
            protocols or [("range", subscription("t"))],
            session_ms,
            rebalance_ms,
            instance,
            client_id,
            "/127.0.0.1",
            require_known,
        )
        result = self.mgr.join(params)
        self.mgr.check_invariants()
        return result

    def join_new(self, **kwargs) -> Completion[JoinResult]:
        """JoinGroup with the MEMBER_ID_REQUIRED handshake done."""
        first = self.join(**kwargs)
        assert first.done and first.value.error is ErrorCode.member_id_required, first.value
        return self.join(first.value.member_id, **kwargs)

    def sync(
        self,
        member_id: str,
        generation: int,
        assignments: dict[str, bytes] | None = None,
        *,
        group: str = "g",
        instance: str | None = None,
    ) -> Completion[SyncResult]:
        result = self.mgr.sync(
            SyncParams(group, generation, member_id, assignments or {}, instance)
        )
        self.mgr.check_invariants()
        return result

    def heartbeat(
        self, member_id: str, generation: int, *, group: str = "g", instance: str | None = None
    ) -> ErrorCode:
        return self.mgr.heartbeat(group, generation, member_id, instance)

    def state(self, group: str = "g") -> str:
        return self.mgr.describe(group).state

    def stable_group(self, count: int, **kwargs) -> list[JoinResult]:
        """`count` members joined and synced; returns their join results."""
        waiters = [self.join_new(client_id=f"c{i}", **kwargs) for i in range(count)]
        if not all(w.done for w in waiters):  # earlier members completed older generations
            waiters = [self.join(w.value.member_id, **kwargs) if w.done else w for w in waiters]
        assert all(w.done and w.value.error is ErrorCode.none for w in waiters), "everyone rejoined"
        results = [w.value for w in waiters]
        assert len({r.generation_id for r in results}) == 1, results
        leader = next(r for r in results if r.member_id == r.leader_id)
        plan = {r.member_id: assignment([("t", i)]) for i, r in enumerate(results)}
        syncs = [
            self.sync(r.member_id, r.generation_id, plan if r is leader else None) for r in results
        ]
        assert all(s.done and s.value.error is ErrorCode.none for s in syncs)
        assert self.state() == "Stable"
        return results


# A broker whose groups form quickly: the first rebalance waits 300 ms for more members, not 3 s.
GROUP_BROKER_ARGS = ("--set", "group_initial_rebalance_delay=300")
