"""Offsets committed inside a transaction (TxnOffsetCommit), as Kafka's group coordinator keeps
them: written at once to `__consumer_offsets` as one transactional batch of the producer, held
per producer id, and made visible (or dropped) when the transaction's marker is written to the
group's partition. The loader (core.groups.loader) replays the same from the log.
"""

from __future__ import annotations

from kio.schema.errors import ErrorCode

from core.common.clock import Clock
from core.groups.completion import Completion
from core.groups.group import Group, OffsetEntry
from core.groups.log_format import OffsetKey, OffsetValue, encode_offset_key, encode_offset_value
from core.groups.offsets import KV, CommitOutcome, CommitParams

PRODUCERS_PER_GROUP_MAX = 10_000


class TxnOffsets:
    def __init__(self, clock: Clock, append) -> None:
        self.clock = clock
        self.append = append

    def commit(
        self, group: Group, p: CommitParams, producer_id: int, producer_epoch: int
    ) -> Completion[CommitOutcome]:
        if (
            producer_id not in group.txn_pending
            and len(group.txn_pending) >= PRODUCERS_PER_GROUP_MAX
        ):
            return Completion.resolved([(i, ErrorCode.coordinator_not_available) for i in p.items])
        now_ms = self.clock.now_ms()
        records: list[KV] = []
        entries: dict[tuple[str, int], OffsetEntry] = {}
        for item in p.items:
            metadata = item.metadata or ""
            records.append(
                (
                    encode_offset_key(OffsetKey(group.group_id, item.topic, item.partition)),
                    encode_offset_value(
                        OffsetValue(item.offset, item.leader_epoch, metadata, now_ms)
                    ),
                )
            )
            entries[(item.topic, item.partition)] = OffsetEntry(
                item.offset, item.leader_epoch, metadata, now_ms
            )
        result: Completion[CommitOutcome] = Completion()
        if not records:
            result.resolve([])
            return result

        def stored(error: ErrorCode) -> None:
            if error is ErrorCode.none:
                group.txn_pending.setdefault(producer_id, {}).update(entries)
            result.resolve([(item, error) for item in p.items])

        self.append(group.partition, records, (producer_id, producer_epoch)).on_done(stored)
        return result

    @staticmethod
    def complete(group: Group, producer_id: int, commit: bool) -> None:
        pending = group.txn_pending.pop(producer_id, None)
        if pending and commit:
            group.offsets.update(pending)

    @staticmethod
    def pending_for(group: Group | None, topic: str, partition: int) -> bool:
        return group is not None and any(
            (topic, partition) in o for o in group.txn_pending.values()
        )


CONTROL_ABORT = 0
CONTROL_COMMIT = 1


def control_type(records) -> int | None:
    """The type of a control batch's record (key: int16 version, int16 type), or None."""
    for record in records:
        key = record.key
        if key is not None and len(key) >= 4:
            return int.from_bytes(key[2:4], "big", signed=True)
    return None
