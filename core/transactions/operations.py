"""The transaction coordinator's operations over the loaded state (Kafka's
TransactionCoordinator): InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, the
two-phase completion and the timeout abort.

Every change is written to `__transaction_state` first (replicated, acks=-1) and installed in
memory only once stored, under a lock per transactional id. EndTxn stores Prepare{Commit,Abort},
then the markers are written to every partition of the transaction and Complete{Commit,Abort}
is stored. As Kafka does, EndTxn is answered once Prepare* is stored (the outcome is durable and
completes in the background, after a failover too): the markers overlap the producer's next
steps, and the id's next AddPartitionsToTxn/AddOffsetsToTxn (or InitProducerId) waits for them
(up to `END_TXN_WAIT_S`) rather than answering CONCURRENT_TRANSACTIONS, so a transaction's
records and offsets never meet the previous transaction's markers.

What the coordinator does on its own (timeout aborts, id expiry, the Admin API's repairs) is in
core.transactions.housekeeping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kio.schema.errors import ErrorCode

from core.common.clock import Clock
from core.transactions.markers import MarkerWriter
from core.transactions.state import MAX_EPOCH, TopicPartition, TxnMetadata, TxnState, TxnTable

log = logging.getLogger("ailurus.txn")
S = TxnState
END_TXN_WAIT_S = 20.0
INIT_WAIT_S = 10.0
LOCKS_MAX = 100_000


@dataclass(frozen=True, slots=True)
class InitResult:
    error: ErrorCode
    producer_id: int = -1
    producer_epoch: int = -1


class Fenced(Exception):
    """Raised inside an operation to answer with an error code."""

    def __init__(self, error: ErrorCode) -> None:
        super().__init__(error.name)
        self.error = error


class TxnOperations:
    # provided by the coordinator service
    clock: Clock
    txns: TxnTable
    markers: MarkerWriter
    allocate_pid: Callable[[], Awaitable[int]]

    def _init_ops(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._completing: dict[str, asyncio.Task] = {}

    # ---- provided by the coordinator service
    def coordinator_error(self, transactional_id: str) -> ErrorCode:
        raise NotImplementedError

    async def _store(self, meta: TxnMetadata) -> ErrorCode:
        raise NotImplementedError

    def _store_background(self, meta: TxnMetadata) -> None:
        raise NotImplementedError

    def _coordinator_epoch(self, transactional_id: str) -> int | None:
        raise NotImplementedError

    def max_timeout_ms(self) -> int:
        raise NotImplementedError

    # ---- helpers
    def _lock(self, transactional_id: str) -> asyncio.Lock:
        lock = self._locks.get(transactional_id)
        if lock is None:
            if len(self._locks) >= LOCKS_MAX:
                for key in [k for k, v in self._locks.items() if not v.locked()]:
                    del self._locks[key]
            lock = self._locks[transactional_id] = asyncio.Lock()
        return lock

    async def _put(self, meta: TxnMetadata) -> None:
        error = await self._store(meta)
        if error is not ErrorCode.none:
            raise Fenced(error)

    @staticmethod
    def _check_producer(meta: TxnMetadata | None, pid: int, epoch: int, fenced: ErrorCode) -> None:
        if meta is None or meta.producer_id != pid:
            raise Fenced(ErrorCode.invalid_producer_id_mapping)
        if epoch != meta.producer_epoch:
            raise Fenced(fenced)

    async def _wait_completion(self, transactional_id: str, timeout_s: float) -> None:
        task = self._completing.get(transactional_id)
        if task is not None and not task.done():
            await asyncio.wait((task,), timeout=timeout_s)  # never cancels the completion

    # ---- InitProducerId
    async def init_producer_id(
        self, transactional_id: str, timeout_ms: int, pid: int, epoch: int, fenced: ErrorCode
    ) -> InitResult:
        if not 0 < timeout_ms <= self.max_timeout_ms():
            return InitResult(ErrorCode.invalid_transaction_timeout)
        for _ in range(3):  # an ongoing or preparing transaction is finished first
            error = self.coordinator_error(transactional_id)
            if error is not ErrorCode.none:
                return InitResult(error)
            try:
                async with self._lock(transactional_id):
                    result = await self._init_locked(
                        transactional_id, timeout_ms, pid, epoch, fenced
                    )
            except Fenced as exc:
                return InitResult(exc.error)
            if result is not None:
                return result
            await self._wait_completion(transactional_id, INIT_WAIT_S)
        return InitResult(ErrorCode.concurrent_transactions)

    async def _init_locked(
        self, tid: str, timeout_ms: int, pid: int, epoch: int, fenced: ErrorCode
    ) -> InitResult | None:
        meta = self.txns.get(tid)
        now_ms = self.clock.now_ms()
        if meta is None:
            new_pid = await self.allocate_pid()
            meta = TxnMetadata(tid, new_pid, 0, timeout_ms, S.EMPTY, update_ms=now_ms)
            await self._put(meta)
            return InitResult(ErrorCode.none, new_pid, 0)
        if pid >= 0:  # KIP-360: the producer names the id and epoch it had
            if pid != meta.producer_id:
                raise Fenced(fenced)
            if (
                epoch == meta.last_epoch
                and not meta.state.preparing
                and meta.state is not S.ONGOING
            ):
                return InitResult(ErrorCode.none, meta.producer_id, meta.producer_epoch)  # a retry
            if epoch != meta.producer_epoch:
                raise Fenced(fenced)
        if meta.state.preparing:
            return None
        if meta.state is S.ONGOING:
            await self._prepare(meta, commit=False, bump=True)
            return None
        new_pid, new_epoch = meta.producer_id, meta.producer_epoch + 1
        if new_epoch >= MAX_EPOCH - 1:
            new_pid, new_epoch = await self.allocate_pid(), 0
        new = meta.but(
            producer_id=new_pid,
            producer_epoch=new_epoch,
            last_epoch=meta.producer_epoch if new_pid == meta.producer_id else -1,
            timeout_ms=timeout_ms,
            state=S.EMPTY,
            partitions=frozenset(),
            start_ms=-1,
            update_ms=now_ms,
        )
        await self._put(new)
        return InitResult(ErrorCode.none, new_pid, new_epoch)

    # ---- AddPartitionsToTxn / AddOffsetsToTxn
    async def add_partitions(
        self,
        tid: str,
        pid: int,
        epoch: int,
        partitions: list[TopicPartition],
        fenced: ErrorCode,
        verify_only: bool = False,
    ) -> ErrorCode:
        error = self.coordinator_error(tid)
        if error is not ErrorCode.none:
            return error
        if not verify_only and tid in self._completing:
            # the previous transaction's markers first (EndTxn did not wait for them)
            await self._wait_completion(tid, END_TXN_WAIT_S)
            error = self.coordinator_error(tid)  # it may have moved meanwhile
            if error is not ErrorCode.none:
                return error
        try:
            async with self._lock(tid):
                meta = self.txns.get(tid)
                self._check_producer(meta, pid, epoch, fenced)
                assert meta is not None
                if verify_only:
                    ok = meta.state is S.ONGOING and set(partitions) <= meta.partitions
                    return ErrorCode.none if ok else ErrorCode.invalid_txn_state
                if meta.state.preparing:
                    return ErrorCode.concurrent_transactions
                if meta.state is S.ONGOING and set(partitions) <= meta.partitions:
                    return ErrorCode.none
                now_ms = self.clock.now_ms()
                ongoing = meta.state is S.ONGOING
                await self._put(
                    meta.but(
                        state=S.ONGOING,
                        partitions=(meta.partitions if ongoing else frozenset()) | set(partitions),
                        start_ms=meta.start_ms if ongoing else now_ms,
                        update_ms=now_ms,
                    )
                )
        except Fenced as exc:
            return exc.error
        return ErrorCode.none

    # ---- EndTxn
    async def end_txn(
        self, tid: str, pid: int, epoch: int, commit: bool, fenced: ErrorCode
    ) -> ErrorCode:
        error = self.coordinator_error(tid)
        if error is not ErrorCode.none:
            return error
        try:
            async with self._lock(tid):
                meta = self.txns.get(tid)
                if meta is None or meta.producer_id != pid:
                    return ErrorCode.invalid_producer_id_mapping
                retry_after_bump = (
                    not commit and epoch == meta.last_epoch >= 0 and meta.state is S.COMPLETE_ABORT
                )
                if epoch != meta.producer_epoch and not retry_after_bump:
                    return fenced
                error = await self._end_locked(meta, commit)
        except Fenced as exc:
            return exc.error
        return error  # as Kafka: answered once Prepare* is stored, markers written behind

    async def _end_locked(self, meta: TxnMetadata, commit: bool) -> ErrorCode:
        wanted = S.PREPARE_COMMIT if commit else S.PREPARE_ABORT
        done = S.COMPLETE_COMMIT if commit else S.COMPLETE_ABORT
        if meta.state is S.ONGOING:
            await self._prepare(meta, commit, bump=False)
            return ErrorCode.none
        if meta.state in (wanted, done):
            return ErrorCode.none  # a retry: answered once the completion ends
        return ErrorCode.invalid_txn_state

    # ---- two-phase completion
    async def _prepare(self, meta: TxnMetadata, commit: bool, bump: bool) -> None:
        """Store Prepare{Commit,Abort} (with an epoch bump when the coordinator aborts on its
        own: a re-init or a timeout fences the old producer), then complete in the background."""
        state = S.PREPARE_COMMIT if commit else S.PREPARE_ABORT
        changes: dict = {"state": state, "update_ms": self.clock.now_ms()}
        if bump and meta.producer_epoch < MAX_EPOCH - 1:
            changes.update(producer_epoch=meta.producer_epoch + 1, last_epoch=meta.producer_epoch)
        prepared = meta.but(**changes)
        await self._put(prepared)
        self.start_completion(prepared)

    def start_completion(self, prepared: TxnMetadata) -> None:
        tid = prepared.transactional_id
        running = self._completing.get(tid)
        if running is not None and not running.done():
            return
        task = asyncio.get_running_loop().create_task(
            self._complete(prepared), name=f"txn-complete-{tid}"
        )
        self._completing[tid] = task
        task.add_done_callback(lambda t: self._completed(tid, t))

    def _completed(self, tid: str, task: asyncio.Task) -> None:
        if self._completing.get(tid) is task:
            del self._completing[tid]
        if not task.cancelled() and task.exception() is not None:
            log.error("transaction %r: completion failed: %r", tid, task.exception())

    async def _complete(self, prepared: TxnMetadata) -> None:
        tid = prepared.transactional_id
        commit = prepared.state is S.PREPARE_COMMIT
        coordinator_epoch = self._coordinator_epoch(tid)
        if coordinator_epoch is None:
            return

        def still_valid() -> bool:
            return self._coordinator_epoch(tid) == coordinator_epoch

        def wanted(partition: TopicPartition) -> bool:  # not dropped by delete_partition
            meta = self.txns.get(tid)
            return meta is None or partition in meta.partitions

        if not await self.markers.write_all(
            prepared, commit, coordinator_epoch, still_valid, wanted
        ):
            return  # no longer the coordinator: the next one completes it after loading
        async with self._lock(tid):
            meta = self.txns.get(tid)
            if not _same_but_partitions(meta, prepared) or not still_valid():
                return
            assert meta is not None
            done = S.COMPLETE_COMMIT if commit else S.COMPLETE_ABORT
            # Written behind, or replaced by the id's next change: every marker is written, so
            # a log still saying Prepare* only makes a next coordinator write the markers
            # again (idempotent); a later state (the next Ongoing) implies this one.
            self._store_background(
                meta.but(state=done, partitions=frozenset(), update_ms=self.clock.now_ms())
            )


def _same_but_partitions(meta: TxnMetadata | None, prepared: TxnMetadata) -> bool:
    """The prepared transaction, maybe with partitions dropped since (delete_partition)."""
    return (
        meta is not None
        and meta.partitions <= prepared.partitions
        and meta.but(partitions=prepared.partitions, update_ms=prepared.update_ms) == prepared
    )
