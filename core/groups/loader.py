"""Rebuild groups from the records of one `__consumer_offsets` partition.

Records are applied in log order; the last record of a key wins and a tombstone
removes it, exactly what compaction keeps. A group whose metadata lists members
comes back Stable with its generation and assignments, and each member gets a
fresh session deadline: members that do not come back expire as usual.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core.groups.group import Group, GroupState, OffsetEntry
from core.groups.log_format import (
    FormatError,
    GroupKey,
    GroupValue,
    OffsetKey,
    decode_group_value,
    decode_key,
    decode_offset_value,
)
from core.groups.member import Member

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    metadata: GroupValue | None = None
    offsets: dict[tuple[str, int], OffsetEntry] = field(default_factory=dict)


class PartitionLoad:
    """The state of one partition's groups while its records are replayed."""

    def __init__(self, partition: int) -> None:
        self.partition = partition
        self.groups: dict[str, _Pending] = {}
        self.records = 0
        self.skipped = 0
        # offsets of open transactions: producer id -> group -> offsets
        self.txn: dict[int, dict[str, dict[tuple[str, int], OffsetEntry]]] = {}

    def apply_txn(self, producer_id: int, key: bytes | None, value: bytes | None) -> None:
        """A record of a transactional batch (TxnOffsetCommit): held until its marker."""
        self.records += 1
        try:
            decoded = decode_key(key) if key is not None else None
            if not isinstance(decoded, OffsetKey) or value is None:
                self.skipped += 1
                return
            v = decode_offset_value(value)
        except (FormatError, UnicodeDecodeError):
            self.skipped += 1
            return
        entry = OffsetEntry(v.offset, v.leader_epoch, v.metadata, v.commit_timestamp_ms)
        by_group = self.txn.setdefault(producer_id, {})
        by_group.setdefault(decoded.group, {})[(decoded.topic, decoded.partition)] = entry

    def apply_marker(self, producer_id: int, commit: bool) -> None:
        """A transaction marker: its offsets become committed, or are dropped."""
        by_group = self.txn.pop(producer_id, None)
        if by_group and commit:
            for group_id, offsets in by_group.items():
                self.groups.setdefault(group_id, _Pending()).offsets.update(offsets)

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        self.records += 1
        if key is None:
            self.skipped += 1
            return
        try:
            self._apply(decode_key(key), value)
        except (FormatError, UnicodeDecodeError) as error:
            self.skipped += 1
            log.warning(
                "__consumer_offsets/%d: skipping unreadable record: %s", self.partition, error
            )

    def _apply(self, key: OffsetKey | GroupKey, value: bytes | None) -> None:
        pending = self.groups.setdefault(key.group, _Pending())
        if isinstance(key, OffsetKey):
            tp = (key.topic, key.partition)
            if value is None:
                pending.offsets.pop(tp, None)
                return
            v = decode_offset_value(value)
            pending.offsets[tp] = OffsetEntry(
                v.offset, v.leader_epoch, v.metadata, v.commit_timestamp_ms, v.expire_timestamp_ms
            )
            return
        pending.metadata = decode_group_value(value) if value is not None else None

    def groups_loaded(self, now_ms: int) -> list[Group]:
        out = []
        open_txn: dict[str, dict[int, dict[tuple[str, int], OffsetEntry]]] = {}
        for producer_id, by_group in self.txn.items():
            for group_id, offsets in by_group.items():
                open_txn.setdefault(group_id, {})[producer_id] = offsets
        for group_id, pending in self.groups.items():
            if pending.metadata is None and not pending.offsets and group_id not in open_txn:
                continue
            group = Group(group_id, self.partition, now_ms)
            group.offsets = dict(pending.offsets)
            group.txn_pending = open_txn.pop(group_id, {})
            if pending.metadata is not None:
                _restore(group, pending.metadata, now_ms)
            out.append(group)
        for group_id, txn_pending in open_txn.items():
            group = Group(group_id, self.partition, now_ms)
            group.txn_pending = txn_pending
            out.append(group)
        return out


def _restore(group: Group, meta: GroupValue, now_ms: int) -> None:
    group.generation = meta.generation
    group.protocol_type = meta.protocol_type or None
    if meta.state_timestamp_ms > 0:
        group.state_timestamp_ms = meta.state_timestamp_ms
    if not meta.members or meta.protocol is None:
        return
    for m in meta.members:
        member = Member(
            m.member_id,
            m.group_instance_id,
            m.client_id,
            m.client_host,
            m.session_timeout_ms,
            m.rebalance_timeout_ms,
            meta.protocol_type,
            [(meta.protocol, m.subscription)],
            m.assignment,
        )
        group.add(member)
    group.protocol_name = meta.protocol
    group.subscribed = group.compute_subscribed_topics()
    if meta.leader in group.members:
        group.leader_id = meta.leader
    group.state = GroupState.STABLE
    group.state_timestamp_ms = now_ms
