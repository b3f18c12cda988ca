"""The coordinator core: every consumer-group operation, with no I/O of its own.

It takes a Clock, a GroupConfig and a Journal (where records of
`__consumer_offsets` go). Operations answer at once or with a Completion that
resolves when the rebalance or the write finishes. `tick()` fires every deadline
that the clock has passed; the owner calls it when `next_deadline_ms()` is due.
Completion callbacks must not call back into the manager synchronously.
The offset operations (commit, fetch, delete) are its base OffsetOps (core.groups.offset_ops).
"""

from __future__ import annotations

import enum
import logging
import random
from collections.abc import Iterable
from typing import Protocol

from kio.schema.errors import ErrorCode

from core.common.clock import Clock
from core.groups.completion import Completion
from core.groups.config import GroupConfig
from core.groups.group import Group, GroupState
from core.groups.group_value import group_value
from core.groups.loader import PartitionLoad
from core.groups.log_format import (
    GroupKey,
    encode_group_key,
    encode_group_value,
)
from core.groups.membership import JoinParams, Membership, SyncParams
from core.groups.offset_ops import OffsetOps
from core.groups.offsets import KV, OffsetBook, offset_tombstone
from core.groups.rebalance import Rebalancer
from core.groups.results import (
    GroupListing,
    GroupSummary,
    JoinResult,
    LeaveRequestMember,
    LeaveResult,
    SyncResult,
)
from core.groups.router import partition_for
from core.groups.timers import TimerQueue
from core.groups.txn_offsets import TxnOffsets

log = logging.getLogger(__name__)
S = GroupState
_TIMERS_PER_TICK_MAX = 100_000


class Journal(Protocol):
    def append(
        self, partition: int, records: list[KV], producer: tuple[int, int] | None = None
    ) -> Completion[ErrorCode]:
        """Store records in `__consumer_offsets/partition`; resolve with NONE once durable.
        `producer`: a transaction's records (one transactional batch of that producer)."""


class PartitionStatus(enum.Enum):
    LOADING = "loading"
    LOADED = "loaded"


class GroupManager(OffsetOps):
    def __init__(
        self,
        *,
        clock: Clock,
        config: GroupConfig,
        journal: Journal,
        partitions: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.clock = clock
        self.config = config
        self.journal = journal
        self.partitions = partitions or config.group_topic_partitions
        self.groups: dict[str, Group] = {}
        self.status: dict[int, PartitionStatus] = {}
        self.timers = TimerQueue()
        self.rebalancer = Rebalancer(clock, config, self.timers, self._store_group)
        self.membership = Membership(self.rebalancer, rng)
        self.book = OffsetBook(clock, config, journal.append)
        self.txn_offsets = TxnOffsets(clock, journal.append)
        self._next_expiry_ms = clock.monotonic_ms() + config.group_offset_retention_check_ms

    def reconfigure(self, config: GroupConfig) -> None:
        """New timeouts and limits apply to what happens next; the partition count stays."""
        self.config = self.rebalancer.config = self.book.config = config

    # ------------------------------------------------------------ ownership

    def partition_of(self, group_id: str) -> int:
        return partition_for(group_id, self.partitions)

    def begin_load(self, partition: int) -> PartitionLoad:
        assert 0 <= partition < self.partitions, partition
        self.unload(partition)
        self.status[partition] = PartitionStatus.LOADING
        return PartitionLoad(partition)

    def finish_load(self, load: PartitionLoad) -> None:
        assert self.status.get(load.partition) is PartitionStatus.LOADING, load.partition
        for group in load.groups_loaded(self.clock.now_ms()):
            self.groups[group.group_id] = group
            for member in group.members.values():
                self.rebalancer.schedule_heartbeat(group, member)
        self.status[load.partition] = PartitionStatus.LOADED
        level = logging.INFO if load.records else logging.DEBUG
        log.log(
            level,
            "__consumer_offsets/%d loaded: %d records, %d skipped",
            load.partition,
            load.records,
            load.skipped,
        )

    def unload(self, partition: int) -> None:
        """Leadership of the partition is gone: drop its groups, answer their waiters."""
        self.status.pop(partition, None)
        for group in [g for g in self.groups.values() if g.partition == partition]:
            self._drop(group, ErrorCode.not_coordinator)

    def _drop(self, group: Group, error: ErrorCode) -> None:
        del self.groups[group.group_id]
        group.state = S.DEAD
        for member in group.members.values():
            self.timers.cancel(("hb", group.group_id, member.member_id))
            waiter, member.join_waiter = member.join_waiter, None
            if waiter is not None:
                waiter.resolve(JoinResult(error, member.member_id))
            swaiter, member.sync_waiter = member.sync_waiter, None
            if swaiter is not None:
                swaiter.resolve(SyncResult(error))
        for key in ("join", "sync"):
            self.timers.cancel((key, group.group_id))

    def coordinator_error(self, group_id: str) -> ErrorCode:
        status = self.status.get(self.partition_of(group_id))
        if status is None:
            return ErrorCode.not_coordinator
        if status is PartitionStatus.LOADING:
            return ErrorCode.coordinator_load_in_progress
        return ErrorCode.none

    def _check(self, group_id: str | None, allow_empty_id: bool = False) -> ErrorCode:
        if group_id is None or (not group_id and not allow_empty_id):
            return ErrorCode.invalid_group_id
        return self.coordinator_error(group_id)

    def _get_or_create(self, group_id: str) -> Group | None:
        group = self.groups.get(group_id)
        if group is None and len(self.groups) < self.config.groups_max:
            group = Group(group_id, self.partition_of(group_id), self.clock.now_ms())
            self.groups[group_id] = group
        return group

    # ------------------------------------------------------------ membership

    def join(self, p: JoinParams) -> Completion[JoinResult]:
        error = self._check(p.group_id)
        if error is ErrorCode.none and not (
            self.config.group_min_session_timeout_ms
            <= p.session_timeout_ms
            <= self.config.group_max_session_timeout_ms
        ):
            error = ErrorCode.invalid_session_timeout
        if error is ErrorCode.none and p.member_id and p.group_id not in self.groups:
            error = ErrorCode.unknown_member_id
        group = self._get_or_create(p.group_id) if error is ErrorCode.none else None
        if group is None:
            if error is ErrorCode.none:
                error = ErrorCode.coordinator_not_available  # the group table is full
            return Completion.resolved(JoinResult(error, p.member_id))
        return self.membership.join(group, p)

    def sync(self, p: SyncParams) -> Completion[SyncResult]:
        error = self._check(p.group_id)
        if error is ErrorCode.coordinator_load_in_progress:
            # Kafka: the rebalance state is lost, so rejoin; clients do not expect LOAD_IN_PROGRESS here
            error = ErrorCode.rebalance_in_progress
        group = self.groups.get(p.group_id)
        if error is ErrorCode.none and group is None:
            error = ErrorCode.unknown_member_id
        if error is not ErrorCode.none or group is None:
            return Completion.resolved(SyncResult(error))
        return self.membership.sync(group, p)

    def heartbeat(
        self, group_id: str, generation_id: int, member_id: str, instance_id: str | None = None
    ) -> ErrorCode:
        error = self._check(group_id)
        if error is ErrorCode.coordinator_load_in_progress:
            return (
                ErrorCode.none
            )  # Kafka answers blindly while loading: clients treat 14 here as fatal
        if error is not ErrorCode.none:
            return error
        group = self.groups.get(group_id)
        if group is None:
            return ErrorCode.unknown_member_id
        return self.membership.heartbeat(group, member_id, instance_id, generation_id)

    def leave(self, group_id: str, members: list[LeaveRequestMember]) -> LeaveResult:
        assert len(members) <= self.config.group_max_size, "leave request bounded by the handler"
        error = self._check(group_id)
        if error is not ErrorCode.none:
            return LeaveResult(error)
        group = self.groups.get(group_id)
        if group is None:
            return LeaveResult(
                ErrorCode.none, tuple((m, ErrorCode.unknown_member_id) for m in members)
            )
        return self.membership.leave(group, members)

    # ------------------------------------------------------------ admin

    def list_groups(self, states: Iterable[str] = ()) -> tuple[ErrorCode, list[GroupListing]]:
        if any(s is PartitionStatus.LOADING for s in self.status.values()):
            return ErrorCode.coordinator_load_in_progress, []
        wanted = {s.lower() for s in states}
        out = [
            GroupListing(g.group_id, g.protocol_type or "", g.state.value)
            for g in self.groups.values()
            if not g.is_(S.DEAD) and (not wanted or g.state.value.lower() in wanted)
        ]
        return ErrorCode.none, sorted(out, key=lambda listing: listing.group_id)

    def describe(self, group_id: str) -> GroupSummary:
        error = self._check(group_id, allow_empty_id=True)
        if error is not ErrorCode.none:
            return GroupSummary(group_id, error)
        group = self.groups.get(group_id)
        if group is None:
            return GroupSummary(group_id, ErrorCode.none)
        protocol = group.protocol_name or "" if group.is_(S.STABLE) else ""
        return GroupSummary(
            group_id,
            ErrorCode.none,
            group.state.value,
            group.protocol_type or "",
            protocol,
            group.member_summaries(),
        )

    def delete_group(self, group_id: str) -> Completion[ErrorCode]:
        error = self._check(group_id, allow_empty_id=True)
        group = self.groups.get(group_id)
        if error is ErrorCode.none:
            if group is None or group.is_(S.DEAD):
                error = ErrorCode.group_id_not_found
            elif not group.is_(S.EMPTY) or group.pending_members:
                error = ErrorCode.non_empty_group
        if error is not ErrorCode.none or group is None:
            return Completion.resolved(error)
        records = [offset_tombstone(group_id, *tp) for tp in sorted(group.offsets)]
        records.append((encode_group_key(GroupKey(group_id)), None))
        self._drop(group, ErrorCode.group_id_not_found)
        return self.journal.append(group.partition, records)

    # ------------------------------------------------------------ time

    def next_deadline_ms(self) -> int:
        deadline = self.timers.next_deadline_ms()
        return self._next_expiry_ms if deadline is None else min(deadline, self._next_expiry_ms)

    def tick(self) -> int:
        """Fire every due timer; returns how many fired. An action that raises does
        not keep the others from running: the first error is raised afterwards."""
        fired = 0
        failure: Exception | None = None
        now_ms = self.clock.monotonic_ms()
        for _ in range(_TIMERS_PER_TICK_MAX):
            due = self.timers.pop_due(now_ms)
            if not due:
                break
            for action in due:
                try:
                    action()
                except Exception as exc:  # noqa: BLE001 - reported below, after the rest ran
                    failure = failure or exc
            fired += len(due)
        if failure is not None:
            raise failure
        if now_ms >= self._next_expiry_ms:
            self._next_expiry_ms = now_ms + self.config.group_offset_retention_check_ms
            self.expire_offsets()
        return fired

    def expire_offsets(self) -> int:
        """Drop offsets past retention, then groups left empty with none."""
        now_ms = self.clock.now_ms()
        removed = 0
        for group in list(self.groups.values()):
            expired = self.book.expired(group, now_ms)
            records = [offset_tombstone(group.group_id, *tp) for tp in expired]
            for tp in expired:
                del group.offsets[tp]
            removed += len(expired)
            if (
                group.is_(S.EMPTY)
                and not group.offsets
                and not group.pending_members
                and not group.pending_commits
                and not group.txn_pending
            ):
                records.append((encode_group_key(GroupKey(group.group_id)), None))
                self._drop(group, ErrorCode.group_id_not_found)
            if records:
                self.journal.append(group.partition, records)
        return removed

    # ------------------------------------------------------------ persistence

    def _store_group(
        self, group: Group, assignments: dict[str, bytes] | None
    ) -> Completion[ErrorCode]:
        value = group_value(group, assignments, self.clock.now_ms())
        return self.journal.append(
            group.partition,
            [(encode_group_key(GroupKey(group.group_id)), encode_group_value(value))],
        )

    def check_invariants(self) -> None:
        for group_id, group in self.groups.items():
            assert group.group_id == group_id and not group.is_(S.DEAD), group
            assert self.status.get(group.partition) is not None, group
            group.check_invariants()
