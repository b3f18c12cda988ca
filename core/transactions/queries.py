"""What the transaction coordinator answers about its state (a mixin of
core.transactions.coordinator.TransactionCoordinator): DescribeTransactions, ListTransactions
and the Admin API's views. Reads only: nothing here writes `__transaction_state`."""

from __future__ import annotations

import asyncio

from kio.schema.errors import ErrorCode

from core.cluster.partition_manager import PartitionManager
from core.transactions.state import TxnMetadata, TxnTable


class TxnQueries:
    # the coordinator's own state
    txns: TxnTable
    loaded: set[int]
    _loading: dict[int, asyncio.Task]
    _load_term: dict[int, int]
    _partitions: PartitionManager

    def coordinator_error(self, transactional_id: str) -> ErrorCode:
        raise NotImplementedError  # pragma: no cover - the coordinator's

    def partition_of(self, transactional_id: str) -> int:
        raise NotImplementedError  # pragma: no cover - the coordinator's

    @property
    def partition_manager(self) -> PartitionManager:
        return self._partitions

    def describe(self, tid: str) -> tuple[ErrorCode, TxnMetadata | None]:
        error = self.coordinator_error(tid)
        if error is not ErrorCode.none:
            return error, None
        meta = self.txns.get(tid)
        if meta is None:
            return ErrorCode.transactional_id_not_found, None
        return ErrorCode.none, meta

    def partition_transactions(self, partition: int) -> list[TxnMetadata] | None:
        """The ids of one `__transaction_state` partition, None unless loaded here."""
        if partition not in self.loaded:
            return None
        return [self.txns[tid] for tid in sorted(self.txns.in_partition(partition))]

    def coordinator_epoch_of(self, partition: int) -> int:
        return self._load_term.get(partition, -1)

    def find_producer(self, producer_id: int, epoch: int) -> TxnMetadata | None:
        """The transaction of (producer id, epoch) coordinated here, if any."""
        meta = self.txns.of_producer(producer_id)
        return meta if meta is not None and meta.producer_epoch == epoch else None

    def list(self) -> tuple[ErrorCode, list[TxnMetadata]]:
        if self._loading:
            return ErrorCode.coordinator_load_in_progress, []
        return ErrorCode.none, sorted(self.txns.values(), key=lambda m: m.transactional_id)
