"""OffsetOps: the offset operations of GroupManager (core.groups.manager).

OffsetCommit, TxnOffsetCommit and the markers that complete its transactions, OffsetFetch
(stable or not, KIP-447), OffsetDelete, and the tombstones that forget the offsets of deleted
topics. Each checks the coordinator state and the group, then hands the work to the manager's
OffsetBook or TxnOffsets; writes answer with a Completion that resolves once durable.
`OffsetOps` is a base of GroupManager, which sets the attributes declared below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from kio.schema.errors import ErrorCode

from core.groups.completion import Completion, gather
from core.groups.config import GroupConfig
from core.groups.group import Group
from core.groups.offsets import CommitOutcome, CommitParams, OffsetBook, offset_tombstone
from core.groups.rebalance import Rebalancer
from core.groups.results import FetchedOffset, OffsetFetchResult
from core.groups.txn_offsets import TxnOffsets

if TYPE_CHECKING:
    from core.groups.manager import Journal


class OffsetOps:
    config: GroupConfig
    journal: Journal
    groups: dict[str, Group]
    rebalancer: Rebalancer
    book: OffsetBook
    txn_offsets: TxnOffsets

    # provided by GroupManager (annotations only: a stub here would shadow them)
    _check: Callable[..., ErrorCode]  # (group_id, allow_empty_id=False)
    _get_or_create: Callable[[str], Group | None]

    def commit_offsets(self, p: CommitParams) -> Completion[CommitOutcome]:
        assert len(p.items) <= self.config.offset_commits_per_request_max
        error = self._check(p.group_id, allow_empty_id=True)
        group = self.groups.get(p.group_id)
        if error is ErrorCode.none and group is None:
            if p.generation_id >= 0:
                error = ErrorCode.illegal_generation
            else:  # a consumer that assigns partitions itself: the group is just a name
                group = self._get_or_create(p.group_id)
                error = ErrorCode.none if group is not None else ErrorCode.coordinator_not_available
        if error is ErrorCode.none and group is not None:
            error = self.book.validate(group, p)
        if error is not ErrorCode.none or group is None:
            return Completion.resolved([(item, error) for item in p.items])
        member = group.members.get(p.member_id)
        if member is not None:
            self.rebalancer.schedule_heartbeat(group, member)
        return self.book.commit(group, p)

    def txn_commit_offsets(
        self, p: CommitParams, producer_id: int, producer_epoch: int
    ) -> Completion[CommitOutcome]:
        """TxnOffsetCommit: offsets written now, visible once the transaction commits."""
        error = self._check(p.group_id)
        group = self.groups.get(p.group_id)
        if error is ErrorCode.none and group is None:
            group = self._get_or_create(p.group_id)
            error = ErrorCode.none if group is not None else ErrorCode.coordinator_not_available
        if error is ErrorCode.none and group is not None and p.member_id:
            error = self.book.validate(group, p)
        if error is not ErrorCode.none or group is None:
            return Completion.resolved([(item, error) for item in p.items])
        return self.txn_offsets.commit(group, p, producer_id, producer_epoch)

    def complete_txn(self, partition: int, producer_id: int, commit: bool) -> None:
        """A commit or abort marker of `producer_id` was written to `partition`."""
        for group in [g for g in self.groups.values() if g.partition == partition]:
            TxnOffsets.complete(group, producer_id, commit)

    def fetch_offsets(
        self,
        group_id: str,
        partitions: list[tuple[str, int]] | None,
        require_stable: bool = False,
    ) -> OffsetFetchResult:
        """`require_stable` (OffsetFetch v7, KIP-447): a partition with offsets of an open
        transaction answers UNSTABLE_OFFSET_COMMIT (the client retries) instead of the last
        committed offset."""
        error = self._check(group_id, allow_empty_id=True)
        if error is not ErrorCode.none:
            return OffsetFetchResult(error)
        group = self.groups.get(group_id)
        fetched = self.book.fetch(group, partitions)
        if require_stable and group is not None and group.txn_pending:
            unstable = ErrorCode.unstable_offset_commit
            fetched = tuple(
                FetchedOffset(f.topic, f.partition, error=unstable)
                if TxnOffsets.pending_for(group, f.topic, f.partition)
                else f
                for f in fetched
            )
        return OffsetFetchResult(ErrorCode.none, fetched)

    def delete_offsets(
        self, group_id: str, partitions: list[tuple[str, int]]
    ) -> Completion[tuple[ErrorCode, list[ErrorCode]]]:
        error = self._check(group_id)
        group = self.groups.get(group_id)
        if error is ErrorCode.none and group is None:
            error = ErrorCode.group_id_not_found
        if error is not ErrorCode.none or group is None:
            return Completion.resolved((error, []))
        return self.book.delete(group, partitions)

    def on_topics_deleted(self, names: Iterable[str]) -> Completion[list[ErrorCode]]:
        """Forget committed offsets of deleted topics, with tombstones so they stay gone."""
        doomed = set(names)
        writes = []
        for group in list(self.groups.values()):
            gone = [tp for tp in group.offsets if tp[0] in doomed]
            for tp in gone:
                del group.offsets[tp]
            if gone:
                writes.append(
                    self.journal.append(
                        group.partition, [offset_tombstone(group.group_id, *tp) for tp in gone]
                    )
                )
        return gather(writes)
