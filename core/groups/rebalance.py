"""The rebalance protocol of one coordinator: joins completing, generations, expiry.

Everything here runs synchronously under the caller; deadlines live in a
TimerQueue that the coordinator drives from its Clock. A rebalance is:

1. prepare: the group enters PreparingRebalance; a join timer runs for the
   largest rebalance timeout of its members (or the initial delay for a new group);
2. complete join: when every member has rejoined, or at the deadline, dynamic
   members that did not rejoin are dropped, the generation increments, a protocol
   is chosen and every waiting JoinGroup is answered (the leader gets the members);
3. sync: the leader's SyncGroup carries the assignment; once it is persisted, all
   waiting SyncGroups get their share and the group is Stable. Members that never
   sync within the rebalance timeout are removed and a new rebalance starts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kio.schema.errors import ErrorCode

from core.common.clock import Clock
from core.groups.completion import Completion
from core.groups.config import GroupConfig
from core.groups.group import Group, GroupState
from core.groups.member import Member
from core.groups.results import JoinedMember, JoinResult, SyncResult
from core.groups.timers import TimerQueue

log = logging.getLogger(__name__)

S = GroupState
StoreGroup = Callable[[Group, "dict[str, bytes] | None"], Completion[ErrorCode]]


class Rebalancer:
    def __init__(
        self, clock: Clock, config: GroupConfig, timers: TimerQueue, store_group: StoreGroup
    ) -> None:
        self.clock = clock
        self.config = config
        self.timers = timers
        self.store_group = store_group

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def mono_ms(self) -> int:
        return self.clock.monotonic_ms()

    # ------------------------------------------------------------ members

    def add_member(self, group: Group, member: Member, waiter: Completion[JoinResult]) -> None:
        assert group.size() < self.config.group_max_size, "size checked by the caller"
        if group.is_(S.PREPARING_REBALANCE) and group.generation == 0:
            group.new_member_added = True
        member.is_new = True
        group.add(member)
        self._set_join_waiter(member, waiter)
        self.schedule_heartbeat(group, member, self.config.group_new_member_join_timeout_ms)
        self.maybe_prepare_rebalance(group, f"new member {member.member_id} joined")

    def update_member(
        self,
        group: Group,
        member: Member,
        protocols: list[tuple[str, bytes]],
        session_timeout_ms: int,
        rebalance_timeout_ms: int,
        waiter: Completion[JoinResult],
    ) -> None:
        member.protocols = protocols
        member.session_timeout_ms = session_timeout_ms
        member.rebalance_timeout_ms = rebalance_timeout_ms
        self._set_join_waiter(member, waiter)
        self.schedule_heartbeat(group, member)
        self.maybe_prepare_rebalance(group, f"member {member.member_id} rejoined")

    @staticmethod
    def _set_join_waiter(member: Member, waiter: Completion[JoinResult]) -> None:
        old, member.join_waiter = member.join_waiter, waiter
        if old is not None:  # a retried JoinGroup replaces the one still waiting
            old.resolve(JoinResult(ErrorCode.rebalance_in_progress, member.member_id))

    def remove_member(self, group: Group, member_id: str, reason: str) -> None:
        member = group.remove(member_id)
        log.info("group %s: removing member %s: %s", group.group_id, member_id, reason)
        self.timers.cancel(("hb", group.group_id, member_id))
        self._fail_waiters(member, ErrorCode.unknown_member_id)
        if group.is_(S.STABLE, S.COMPLETING_REBALANCE):
            self.prepare_rebalance(group, reason)
        elif group.is_(S.PREPARING_REBALANCE):
            self.try_complete_join(group)

    @staticmethod
    def _fail_waiters(member: Member, error: ErrorCode) -> None:
        join, member.join_waiter = member.join_waiter, None
        sync, member.sync_waiter = member.sync_waiter, None
        if join is not None:
            join.resolve(JoinResult(error, member.member_id))
        if sync is not None:
            sync.resolve(SyncResult(error))

    def fence_static(self, member: Member) -> None:
        """Answer the requests of a static member's previous incarnation."""
        self._fail_waiters(member, ErrorCode.fenced_instance_id)

    def add_pending_member(self, group: Group, member_id: str, session_timeout_ms: int) -> None:
        group.pending_members.add(member_id)
        deadline = self.mono_ms() + session_timeout_ms
        self.timers.schedule(
            ("pending", group.group_id, member_id),
            deadline,
            lambda: self.remove_pending_member(group, member_id),
        )

    def remove_pending_member(self, group: Group, member_id: str) -> None:
        if member_id not in group.pending_members:
            return
        group.pending_members.discard(member_id)
        self.timers.cancel(("pending", group.group_id, member_id))
        if group.is_(S.PREPARING_REBALANCE):
            self.try_complete_join(group)

    # ------------------------------------------------------------ heartbeats

    def schedule_heartbeat(
        self, group: Group, member: Member, timeout_ms: int | None = None
    ) -> None:
        if timeout_ms is None:
            timeout_ms = member.session_timeout_ms
        member_id = member.member_id
        self.timers.schedule(
            ("hb", group.group_id, member_id),
            self.mono_ms() + timeout_ms,
            lambda: self._heartbeat_expired(group, member_id),
        )

    def _heartbeat_expired(self, group: Group, member_id: str) -> None:
        member = group.members.get(member_id)
        if member is None or group.is_(S.DEAD):
            return
        if not member.is_new and (member.awaiting_join or member.awaiting_sync):
            self.schedule_heartbeat(group, member)  # the rebalance timers bound these waits
            return
        self.remove_member(group, member_id, "session timeout expired")

    # ------------------------------------------------------------ rebalance

    def maybe_prepare_rebalance(self, group: Group, reason: str) -> None:
        if group.can_rebalance():
            self.prepare_rebalance(group, reason)

    def prepare_rebalance(self, group: Group, reason: str) -> None:
        assert group.can_rebalance(), group
        log.info(
            "group %s: preparing rebalance (generation %d): %s",
            group.group_id,
            group.generation,
            reason,
        )
        syncs = self._take_sync_waiters(group) if group.is_(S.COMPLETING_REBALANCE) else []
        for member in group.members.values():
            member.assignment = b""
        self.timers.cancel(("sync", group.group_id))
        group.pending_sync.clear()
        initial = group.is_(S.EMPTY)
        group.transition(S.PREPARING_REBALANCE, self.now_ms())
        if initial and self.config.group_initial_rebalance_delay_ms > 0:
            delay_ms = self.config.group_initial_rebalance_delay_ms
            group.initial_delay_remaining_ms = max(group.rebalance_timeout_ms() - delay_ms, 0)
            group.new_member_added = False
            self._schedule_join(group, delay_ms)
        else:
            group.initial_delay_remaining_ms = None
            self._schedule_join(group, group.rebalance_timeout_ms())
        for waiter in syncs:
            waiter.resolve(SyncResult(ErrorCode.rebalance_in_progress))
        self.try_complete_join(group)

    def _schedule_join(self, group: Group, delay_ms: int) -> None:
        self.timers.schedule(
            ("join", group.group_id), self.mono_ms() + delay_ms, lambda: self._join_deadline(group)
        )

    def _join_deadline(self, group: Group) -> None:
        if not group.is_(S.PREPARING_REBALANCE):
            return
        remaining = group.initial_delay_remaining_ms
        if remaining is not None and group.new_member_added and remaining > 0:
            delay_ms = min(self.config.group_initial_rebalance_delay_ms, remaining)
            group.initial_delay_remaining_ms = remaining - delay_ms
            group.new_member_added = False
            self._schedule_join(group, delay_ms)
            return
        self.complete_join(group)

    def try_complete_join(self, group: Group) -> None:
        if (
            group.is_(S.PREPARING_REBALANCE)
            and group.initial_delay_remaining_ms is None
            and group.all_joined()
        ):
            self.complete_join(group)

    def complete_join(self, group: Group) -> None:
        assert group.is_(S.PREPARING_REBALANCE), group
        self.timers.cancel(("join", group.group_id))
        group.initial_delay_remaining_ms = None
        for member in [
            m for m in group.members.values() if not m.awaiting_join and not m.is_static
        ]:
            group.remove(member.member_id)
            self.timers.cancel(("hb", group.group_id, member.member_id))
            log.info("group %s: member %s did not rejoin in time", group.group_id, member.member_id)
        joined = [m for m in group.members.values() if m.awaiting_join]
        if group.members and not joined:
            # only absent static members remain: wait for them to return or expire
            self._schedule_join(group, group.rebalance_timeout_ms())
            return
        if group.leader_id is not None and not group.members[group.leader_id].awaiting_join:
            group.leader_id = joined[0].member_id
        self._next_generation(group)
        for member in joined:
            waiter, member.join_waiter = member.join_waiter, None
            member.is_new = False
            self.schedule_heartbeat(group, member)
            assert waiter is not None
            waiter.resolve(self.join_result(group, member.member_id))

    def _next_generation(self, group: Group) -> None:
        group.generation += 1
        now_ms = self.now_ms()
        if not group.members:
            group.protocol_name = None
            group.subscribed = None
            group.transition(S.EMPTY, now_ms)
            self.store_group(group, None)  # an empty generation is recorded; failure is harmless
            return
        group.protocol_name = group.select_protocol()
        group.subscribed = group.compute_subscribed_topics()
        group.transition(S.COMPLETING_REBALANCE, now_ms)
        group.pending_sync = set(group.members)
        generation = group.generation
        self.timers.schedule(
            ("sync", group.group_id),
            self.mono_ms() + group.rebalance_timeout_ms(),
            lambda: self._sync_deadline(group, generation),
        )
        log.info(
            "group %s: generation %d, protocol %s, leader %s, %d members",
            group.group_id,
            generation,
            group.protocol_name,
            group.leader_id,
            len(group.members),
        )

    def join_result(self, group: Group, member_id: str, leader_id: str | None = None) -> JoinResult:
        assert group.protocol_name is not None
        leader = leader_id if leader_id is not None else group.leader_id or ""
        members: tuple[JoinedMember, ...] = ()
        if member_id == leader:
            members = tuple(
                JoinedMember(m.member_id, m.group_instance_id, m.metadata_for(group.protocol_name))
                for m in group.members.values()
            )
        return JoinResult(
            ErrorCode.none,
            member_id,
            group.generation,
            group.protocol_type,
            group.protocol_name,
            leader,
            members,
        )

    # ------------------------------------------------------------ sync

    def _sync_deadline(self, group: Group, generation: int) -> None:
        if generation != group.generation or not group.is_(S.COMPLETING_REBALANCE, S.STABLE):
            return
        if not group.pending_sync:
            return
        for member_id in sorted(group.pending_sync):
            self.timers.cancel(("hb", group.group_id, member_id))
            self._fail_waiters(group.remove(member_id), ErrorCode.unknown_member_id)
        self.prepare_rebalance(group, "members did not sync within the rebalance timeout")

    def fail_assignment(self, group: Group, error: ErrorCode) -> None:
        """The leader's assignment could not be stored: answer every sync, rebalance."""
        assert group.is_(S.COMPLETING_REBALANCE), group
        syncs = self._take_sync_waiters(group)
        self.prepare_rebalance(group, f"storing the assignment failed: {error.name}")
        for waiter in syncs:
            waiter.resolve(SyncResult(error))

    def complete_assignment(self, group: Group, assignments: dict[str, bytes]) -> None:
        """The leader's assignment is stored: the group is Stable, members get their share."""
        assert group.is_(S.COMPLETING_REBALANCE), group
        for member in group.members.values():
            member.assignment = assignments.get(member.member_id, b"")
        group.transition(S.STABLE, self.now_ms())
        answered = [(m, m.sync_waiter) for m in group.members.values() if m.sync_waiter is not None]
        for member, _ in answered:
            member.sync_waiter = None
            self.schedule_heartbeat(group, member)
        for member, waiter in answered:
            assert waiter is not None
            waiter.resolve(
                SyncResult(
                    ErrorCode.none, member.assignment, group.protocol_type, group.protocol_name
                )
            )

    @staticmethod
    def _take_sync_waiters(group: Group) -> list[Completion[SyncResult]]:
        waiters = []
        for member in group.members.values():
            if member.sync_waiter is not None:
                waiters.append(member.sync_waiter)
                member.sync_waiter = None
        return waiters
