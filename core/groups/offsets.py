"""Committed offsets of one group: validation, records, expiry and deletion.

An offset is applied to memory only after its record is stored (replicated with
acks=-1), so what OffsetFetch returns has always survived a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kio.schema.errors import ErrorCode

from core.common.clock import Clock
from core.groups.completion import Completion
from core.groups.config import GroupConfig
from core.groups.group import Group, GroupState, OffsetEntry
from core.groups.log_format import OffsetKey, OffsetValue, encode_offset_key, encode_offset_value
from core.groups.results import FetchedOffset, OffsetCommitItem

S = GroupState
KV = tuple[bytes, bytes | None]
Append = Callable[[int, list[KV]], Completion[ErrorCode]]
CommitOutcome = list[tuple[OffsetCommitItem, ErrorCode]]


@dataclass(frozen=True, slots=True)
class CommitParams:
    group_id: str
    items: list[OffsetCommitItem]
    generation_id: int = -1
    member_id: str = ""
    group_instance_id: str | None = None
    retention_ms: int = -1  # OffsetCommit v2-v4; -1 means the broker's retention


def offset_tombstone(group_id: str, topic: str, partition: int) -> KV:
    return encode_offset_key(OffsetKey(group_id, topic, partition)), None


class OffsetBook:
    def __init__(self, clock: Clock, config: GroupConfig, append: Append) -> None:
        self.clock = clock
        self.config = config
        self.append = append

    @staticmethod
    def validate(group: Group, p: CommitParams) -> ErrorCode:
        if group.is_(S.DEAD):
            return ErrorCode.coordinator_not_available
        if p.generation_id >= 0 or p.member_id or p.group_instance_id is not None:
            if group.static_member_fenced(p.group_instance_id, p.member_id):
                return ErrorCode.fenced_instance_id
            if not group.has(p.member_id):
                return ErrorCode.unknown_member_id
            if p.generation_id != group.generation:
                return ErrorCode.illegal_generation
        elif not group.is_(S.EMPTY):
            return ErrorCode.unknown_member_id  # only members commit to an active group
        if group.is_(S.COMPLETING_REBALANCE):
            return ErrorCode.rebalance_in_progress
        return ErrorCode.none

    def commit(self, group: Group, p: CommitParams) -> Completion[CommitOutcome]:
        now_ms = self.clock.now_ms()
        expire_ms = now_ms + p.retention_ms if p.retention_ms >= 0 else None
        outcome: CommitOutcome = []
        records: list[KV] = []
        entries: list[tuple[tuple[str, int], OffsetEntry]] = []
        stored_items: list[OffsetCommitItem] = []
        for item in p.items:
            metadata = item.metadata or ""
            if len(metadata.encode("utf-8")) > self.config.offset_metadata_max_bytes:
                outcome.append((item, ErrorCode.offset_metadata_too_large))
                continue
            entry = OffsetEntry(item.offset, item.leader_epoch, metadata, now_ms, expire_ms)
            value = OffsetValue(item.offset, item.leader_epoch, metadata, now_ms, expire_ms)
            records.append(
                (
                    encode_offset_key(OffsetKey(group.group_id, item.topic, item.partition)),
                    encode_offset_value(value),
                )
            )
            entries.append(((item.topic, item.partition), entry))
            stored_items.append(item)
        if not records:
            return Completion.resolved(outcome)
        result: Completion[CommitOutcome] = Completion()
        pending = [tp for tp, _ in entries]
        group.pending_commits.update(pending)  # retention leaves these alone until the write lands

        def stored(error: ErrorCode) -> None:
            group.pending_commits.subtract(pending)
            for tp in pending:
                if group.pending_commits[tp] <= 0:
                    del group.pending_commits[tp]
            if error is ErrorCode.none:
                group.offsets.update(entries)
            result.resolve(outcome + [(i, error) for i in stored_items])

        self.append(group.partition, records).on_done(stored)
        return result

    @staticmethod
    def fetch(
        group: Group | None, partitions: list[tuple[str, int]] | None
    ) -> tuple[FetchedOffset, ...]:
        offsets = group.offsets if group is not None else {}
        if partitions is None:
            partitions = sorted(offsets)
        out = []
        for topic, partition in partitions:
            entry = offsets.get((topic, partition))
            if entry is None:
                out.append(FetchedOffset(topic, partition))
            else:
                out.append(
                    FetchedOffset(
                        topic, partition, entry.offset, entry.leader_epoch, entry.metadata
                    )
                )
        return tuple(out)

    def delete(
        self, group: Group, partitions: list[tuple[str, int]]
    ) -> Completion[tuple[ErrorCode, list[ErrorCode]]]:
        """OffsetDelete: refused for topics an active consumer group subscribes to."""
        if group.is_(S.DEAD):
            return Completion.resolved((ErrorCode.group_id_not_found, []))
        subscribed: set[str] | None = set()
        if not group.is_(S.EMPTY):
            if group.protocol_type != "consumer":
                return Completion.resolved((ErrorCode.non_empty_group, []))
            subscribed = group.subscribed_topics()  # None: unknown, so every topic counts (Kafka)
        errors = [
            ErrorCode.group_subscribed_to_topic
            if subscribed is None or t in subscribed
            else ErrorCode.none
            for t, _ in partitions
        ]
        doomed = [
            tp for tp, e in zip(partitions, errors) if e is ErrorCode.none and tp in group.offsets
        ]
        if not doomed:
            return Completion.resolved((ErrorCode.none, errors))
        result: Completion[tuple[ErrorCode, list[ErrorCode]]] = Completion()
        for tp in doomed:
            group.offsets.pop(tp, None)

        def stored(error: ErrorCode) -> None:
            result.resolve((ErrorCode.none, [error if e is ErrorCode.none else e for e in errors]))

        self.append(
            group.partition, [offset_tombstone(group.group_id, *tp) for tp in doomed]
        ).on_done(stored)
        return result

    def expired(self, group: Group, now_ms: int) -> list[tuple[str, int]]:
        """Offsets past retention, as Kafka decides (GroupMetadata.removeExpiredOffsets):
        an empty group's offsets, retention after it became empty (or after the commit,
        if later); an active consumer group's offsets of topics its generation does not
        subscribe to, retention after the commit; nothing of other active groups. An
        explicit expiry (OffsetCommit v2-v4) replaces retention for eligible offsets
        only, and an offset whose newer commit is still being written never expires."""
        retention_ms = self.config.group_offset_retention_ms
        subscribed: set[str] = set()
        if not group.is_(S.EMPTY):
            known = group.subscribed_topics() if group.protocol_type == "consumer" else None
            if known is None:
                return []
            subscribed = known
        out = []
        for tp, entry in group.offsets.items():
            if tp[0] in subscribed or tp in group.pending_commits:
                continue
            if entry.expire_timestamp_ms is not None:
                if now_ms >= entry.expire_timestamp_ms:
                    out.append(tp)
                continue
            base_ms = entry.commit_timestamp_ms
            if group.is_(S.EMPTY):
                base_ms = max(base_ms, group.state_timestamp_ms)
            if retention_ms is not None and now_ms - base_ms >= retention_ms:
                out.append(tp)
        return out
