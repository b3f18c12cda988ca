"""One transactional id's state, as Kafka's TransactionMetadata keeps it.

Empty ──AddPartitions──▶ Ongoing ──EndTxn──▶ PrepareCommit ──markers──▶ CompleteCommit
  ▲                        │  └───EndTxn(abort), timeout, re-init──▶ PrepareAbort ──▶ CompleteAbort
  └── InitProducerId (epoch bump) from Empty / Complete*; Complete* ──AddPartitions──▶ Ongoing
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, replace

TopicPartition = tuple[str, int]
MAX_EPOCH = 32767  # Short.MAX_VALUE: an epoch this high takes a new producer id


class TxnState(enum.IntEnum):
    """Kafka's TransactionState ids (the byte stored in __transaction_state)."""

    EMPTY = 0
    ONGOING = 1
    PREPARE_COMMIT = 2
    PREPARE_ABORT = 3
    COMPLETE_COMMIT = 4
    COMPLETE_ABORT = 5
    DEAD = 6
    PREPARE_EPOCH_FENCE = 7

    @property
    def label(self) -> str:
        """The name DescribeTransactions and ListTransactions use."""
        return _LABELS[self]

    @property
    def preparing(self) -> bool:
        return self in (TxnState.PREPARE_COMMIT, TxnState.PREPARE_ABORT)

    @property
    def complete(self) -> bool:
        return self in (TxnState.COMPLETE_COMMIT, TxnState.COMPLETE_ABORT)


_LABELS = {
    TxnState.EMPTY: "Empty",
    TxnState.ONGOING: "Ongoing",
    TxnState.PREPARE_COMMIT: "PrepareCommit",
    TxnState.PREPARE_ABORT: "PrepareAbort",
    TxnState.COMPLETE_COMMIT: "CompleteCommit",
    TxnState.COMPLETE_ABORT: "CompleteAbort",
    TxnState.DEAD: "Dead",
    TxnState.PREPARE_EPOCH_FENCE: "PrepareEpochFence",
}
STATE_BY_LABEL = {label.lower(): state for state, label in _LABELS.items()}


@dataclass(frozen=True, slots=True)
class TxnMetadata:
    """An immutable value: every change is a new value written, then installed."""

    transactional_id: str
    producer_id: int
    producer_epoch: int
    timeout_ms: int
    state: TxnState = TxnState.EMPTY
    partitions: frozenset[TopicPartition] = field(default_factory=frozenset)
    start_ms: int = -1  # when the ongoing transaction began (-1: none)
    update_ms: int = -1
    last_epoch: int = -1  # the epoch before the last bump (memory only: KIP-360 retries)

    def but(self, **changes) -> TxnMetadata:
        return replace(self, **changes)

    def expired(self, now_ms: int) -> bool:
        return self.state is TxnState.ONGOING and 0 <= self.start_ms <= now_ms - self.timeout_ms


class TxnTable(dict[str, TxnMetadata]):
    """The ids coordinated here, with those whose transaction is ongoing at hand (the timeout
    check visits only them), each id's `__transaction_state` partition, computed once (a Java
    string hash: ~10 us) and indexed (loading or unloading a partition visits its own ids
    only), and the id of each producer id. Written through `table[tid] = meta` and
    `del table[tid]` only."""

    __slots__ = ("ongoing", "_partition_of", "_partition", "_ids", "_by_producer")

    def __init__(self, partition_of: Callable[[str], int]) -> None:
        super().__init__()
        self.ongoing: set[str] = set()
        self._partition_of = partition_of
        self._partition: dict[str, int] = {}
        self._ids: dict[int, set[str]] = {}
        self._by_producer: dict[int, str] = {}

    def __setitem__(self, tid: str, meta: TxnMetadata) -> None:
        if tid not in self._partition:
            partition = self._partition[tid] = self._partition_of(tid)
            self._ids.setdefault(partition, set()).add(tid)
        old = self.get(tid)
        if old is not None and old.producer_id != meta.producer_id:
            self._forget_producer(old)
        self._by_producer[meta.producer_id] = tid
        super().__setitem__(tid, meta)
        if meta.state is TxnState.ONGOING:
            self.ongoing.add(tid)
        else:
            self.ongoing.discard(tid)

    def __delitem__(self, tid: str) -> None:
        self._forget_producer(self[tid])
        super().__delitem__(tid)
        self.ongoing.discard(tid)
        partition = self._partition.pop(tid)
        ids = self._ids[partition]
        ids.discard(tid)
        if not ids:
            del self._ids[partition]

    def put_in(self, partition: int, tid: str, meta: TxnMetadata) -> None:
        """`table[tid] = meta` for an id read from `partition` (loading it): no hash."""
        if tid not in self._partition:
            self._partition[tid] = partition
            self._ids.setdefault(partition, set()).add(tid)
        self[tid] = meta

    def _forget_producer(self, meta: TxnMetadata) -> None:
        if self._by_producer.get(meta.producer_id) == meta.transactional_id:
            del self._by_producer[meta.producer_id]

    def of_producer(self, producer_id: int) -> TxnMetadata | None:
        """The id's state whose producer id this is, if any."""
        tid = self._by_producer.get(producer_id)
        return None if tid is None else self.get(tid)

    def partition(self, tid: str) -> int | None:
        """The id's partition, None unless the id is in the table."""
        return self._partition.get(tid)

    def in_partition(self, partition: int) -> list[str]:
        """The ids of one partition (a copy: the table may change while it is walked)."""
        return list(self._ids.get(partition, ()))
