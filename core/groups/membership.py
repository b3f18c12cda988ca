"""JoinGroup, SyncGroup, Heartbeat and LeaveGroup against one loaded group.

The checks follow Kafka's group coordinator, in Kafka's order, so clients see the
error codes they were written against. The coordinator facade has already checked
ownership of the group's partition and the group id.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from kio.schema.errors import ErrorCode

from core.groups.completion import Completion
from core.groups.group import Group, GroupState
from core.groups.member import Member
from core.groups.rebalance import Rebalancer
from core.groups.results import JoinResult, LeaveRequestMember, LeaveResult, SyncResult

S = GroupState


@dataclass(frozen=True, slots=True)
class JoinParams:
    group_id: str
    member_id: str
    protocol_type: str
    protocols: list[tuple[str, bytes]]
    session_timeout_ms: int
    rebalance_timeout_ms: int
    group_instance_id: str | None = None
    client_id: str = ""
    client_host: str = ""
    require_known_member_id: bool = True  # JoinGroup v4+: MEMBER_ID_REQUIRED handshake


@dataclass(frozen=True, slots=True)
class SyncParams:
    group_id: str
    generation_id: int
    member_id: str
    assignments: dict[str, bytes]
    group_instance_id: str | None = None
    protocol_type: str | None = None
    protocol_name: str | None = None


def _failed(error: ErrorCode, member_id: str = "") -> Completion[JoinResult]:
    return Completion.resolved(JoinResult(error, member_id))


class Membership:
    def __init__(self, rebalancer: Rebalancer, rng: random.Random | None = None) -> None:
        self.rb = rebalancer
        self.rng = rng

    def new_member_id(self, prefix: str) -> str:
        suffix = uuid.UUID(int=self.rng.getrandbits(128), version=4) if self.rng else uuid.uuid4()
        return f"{prefix}-{suffix}"

    # ------------------------------------------------------------ join

    def join(self, group: Group, p: JoinParams) -> Completion[JoinResult]:
        if group.is_(S.DEAD):
            return _failed(ErrorCode.coordinator_not_available, p.member_id)
        if not group.supports(p.protocol_type, p.protocols, p.member_id or None):
            return _failed(ErrorCode.inconsistent_group_protocol, p.member_id)
        if not p.member_id:
            return self._join_unknown(group, p)
        return self._join_known(group, p)

    def _join_unknown(self, group: Group, p: JoinParams) -> Completion[JoinResult]:
        new_id = self.new_member_id(p.group_instance_id or p.client_id or "member")
        if p.group_instance_id is not None and p.group_instance_id in group.static_members:
            return self._rejoin_static(group, p, new_id)
        if group.size() >= self.rb.config.group_max_size:
            return _failed(ErrorCode.group_max_size_reached)
        if p.require_known_member_id and p.group_instance_id is None:
            self.rb.add_pending_member(group, new_id, p.session_timeout_ms)
            return _failed(ErrorCode.member_id_required, new_id)
        return self._add(group, p, new_id)

    def _add(self, group: Group, p: JoinParams, member_id: str) -> Completion[JoinResult]:
        member = Member(
            member_id,
            p.group_instance_id,
            p.client_id,
            p.client_host,
            p.session_timeout_ms,
            p.rebalance_timeout_ms,
            p.protocol_type,
            list(p.protocols),
        )
        waiter: Completion[JoinResult] = Completion()
        self.rb.add_member(group, member, waiter)
        self.rb.try_complete_join(group)
        return waiter

    def _join_known(self, group: Group, p: JoinParams) -> Completion[JoinResult]:
        if p.member_id in group.pending_members:
            group.pending_members.discard(p.member_id)
            self.rb.timers.cancel(("pending", group.group_id, p.member_id))
            return self._add(group, p, p.member_id)
        if group.static_member_fenced(p.group_instance_id, p.member_id):
            return _failed(ErrorCode.fenced_instance_id, p.member_id)
        member = group.members.get(p.member_id)
        unknown_instance = (
            p.group_instance_id is not None and p.group_instance_id not in group.static_members
        )
        if member is None or unknown_instance or group.is_(S.EMPTY):
            return _failed(ErrorCode.unknown_member_id, p.member_id)
        unchanged = member.same_protocols(p.protocols)
        if group.is_(S.COMPLETING_REBALANCE) and unchanged:
            self.rb.schedule_heartbeat(group, member)
            return Completion.resolved(self.rb.join_result(group, member.member_id))
        if group.is_(S.STABLE) and unchanged and member.member_id != group.leader_id:
            self.rb.schedule_heartbeat(group, member)
            return Completion.resolved(self.rb.join_result(group, member.member_id))
        return self._update(group, member, p)

    def _update(self, group: Group, member: Member, p: JoinParams) -> Completion[JoinResult]:
        waiter: Completion[JoinResult] = Completion()
        self.rb.update_member(
            group, member, list(p.protocols), p.session_timeout_ms, p.rebalance_timeout_ms, waiter
        )
        self.rb.try_complete_join(group)
        return waiter

    def _rejoin_static(self, group: Group, p: JoinParams, new_id: str) -> Completion[JoinResult]:
        """A static member restarted: it takes a new member id and, if nothing else
        changes, keeps its assignment without a rebalance (KIP-345)."""
        assert p.group_instance_id is not None
        old_id = group.static_members[p.group_instance_id]
        old_leader = group.leader_id
        self.rb.fence_static(group.members[old_id])
        self.rb.timers.cancel(("hb", group.group_id, old_id))
        member = group.replace_static(p.group_instance_id, new_id)
        if not group.is_(S.STABLE):
            return self._update(group, member, p)
        if not member.same_protocols(p.protocols):  # the leader must see the new metadata
            return self._update(group, member, p)
        member.session_timeout_ms = p.session_timeout_ms
        member.rebalance_timeout_ms = p.rebalance_timeout_ms
        self.rb.schedule_heartbeat(group, member)
        waiter: Completion[JoinResult] = Completion()
        stored = self.rb.store_group(group, None)
        stored.on_done(
            lambda error: waiter.resolve(self._static_rejoined(group, member, old_leader, error))
        )
        return waiter

    def _static_rejoined(
        self, group: Group, member: Member, old_leader: str | None, error: ErrorCode
    ) -> JoinResult:
        if error is not ErrorCode.none:
            return JoinResult(error, member.member_id)
        if group.members.get(member.member_id) is not member:
            return JoinResult(ErrorCode.fenced_instance_id, member.member_id)
        if not group.is_(S.STABLE, S.COMPLETING_REBALANCE):
            return JoinResult(ErrorCode.rebalance_in_progress, member.member_id)
        # The previous leader id is returned so that a restarted leader does not
        # compute a new assignment the Stable group would never distribute.
        return self.rb.join_result(group, member.member_id, leader_id=old_leader or "")

    # ------------------------------------------------------------ sync

    def _check_member(
        self, group: Group, member_id: str, instance_id: str | None, generation: int
    ) -> ErrorCode:
        if group.is_(S.DEAD):
            return ErrorCode.coordinator_not_available
        if group.static_member_fenced(instance_id, member_id):
            return ErrorCode.fenced_instance_id
        if not group.has(member_id):
            return ErrorCode.unknown_member_id
        if generation != group.generation:
            return ErrorCode.illegal_generation
        return ErrorCode.none

    def sync(self, group: Group, p: SyncParams) -> Completion[SyncResult]:
        error = self._check_member(group, p.member_id, p.group_instance_id, p.generation_id)
        if error is ErrorCode.none and not self._protocol_matches(group, p):
            error = ErrorCode.inconsistent_group_protocol
        if error is ErrorCode.none and group.is_(S.PREPARING_REBALANCE):
            error = ErrorCode.rebalance_in_progress
        if error is not ErrorCode.none:
            return Completion.resolved(SyncResult(error))
        member = group.members[p.member_id]
        group.pending_sync.discard(member.member_id)
        self.rb.schedule_heartbeat(group, member)
        if group.is_(S.STABLE):
            return Completion.resolved(
                SyncResult(
                    ErrorCode.none, member.assignment, group.protocol_type, group.protocol_name
                )
            )
        assert group.is_(S.COMPLETING_REBALANCE), group
        waiter: Completion[SyncResult] = Completion()
        old, member.sync_waiter = member.sync_waiter, waiter
        if old is not None:
            old.resolve(SyncResult(ErrorCode.rebalance_in_progress))
        if member.member_id == group.leader_id:
            self._store_assignment(group, {m: a for m, a in p.assignments.items() if group.has(m)})
        return waiter

    @staticmethod
    def _protocol_matches(group: Group, p: SyncParams) -> bool:
        if p.protocol_type is not None and p.protocol_type != group.protocol_type:
            return False
        return p.protocol_name is None or p.protocol_name == group.protocol_name

    def _store_assignment(self, group: Group, assignments: dict[str, bytes]) -> None:
        generation = group.generation

        def stored(error: ErrorCode) -> None:
            if not group.is_(S.COMPLETING_REBALANCE) or group.generation != generation:
                return
            if error is ErrorCode.none:
                self.rb.complete_assignment(group, assignments)
            else:
                self.rb.fail_assignment(group, error)

        self.rb.store_group(group, assignments).on_done(stored)

    # ------------------------------------------------------------ heartbeat, leave

    def heartbeat(
        self, group: Group, member_id: str, instance_id: str | None, generation: int
    ) -> ErrorCode:
        if group.is_(S.EMPTY):
            return ErrorCode.unknown_member_id
        error = self._check_member(group, member_id, instance_id, generation)
        if error is not ErrorCode.none:
            return error
        self.rb.schedule_heartbeat(group, group.members[member_id])
        if group.is_(S.PREPARING_REBALANCE):
            return ErrorCode.rebalance_in_progress
        return ErrorCode.none

    def leave(self, group: Group, leaving: list[LeaveRequestMember]) -> LeaveResult:
        if group.is_(S.DEAD):
            return LeaveResult(ErrorCode.coordinator_not_available)
        return LeaveResult(ErrorCode.none, tuple((m, self._leave_one(group, m)) for m in leaving))

    def _leave_one(self, group: Group, leaving: LeaveRequestMember) -> ErrorCode:
        member_id, instance = leaving.member_id, leaving.group_instance_id
        if not member_id and instance is not None:
            member_id = group.static_members.get(instance, "")
            if not member_id:
                return ErrorCode.unknown_member_id
        elif group.static_member_fenced(instance, member_id):
            return ErrorCode.fenced_instance_id
        if member_id in group.pending_members:
            self.rb.remove_pending_member(group, member_id)
            return ErrorCode.none
        if not group.has(member_id):
            return ErrorCode.unknown_member_id
        self.rb.remove_member(group, member_id, "left the group")
        return ErrorCode.none
