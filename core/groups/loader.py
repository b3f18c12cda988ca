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
        for group_id, pending in self.groups.items():
            if pending.metadata is None and not pending.offsets:
                continue
            group = Group(group_id, self.partition, now_ms)
            group.offsets = dict(pending.offsets)
            if pending.metadata is not None:
                _restore(group, pending.metadata, now_ms)
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
