"""What the transaction coordinator does on its own, beside the clients' requests
(core.transactions.operations): abort transactions past their timeout, forget idle
transactional ids, and the Admin API's repairs (mark_transaction_expired, delete_partition).
Each goes through the same per-id lock and `__transaction_state` writes as the requests.
"""

from __future__ import annotations

import asyncio
import logging

from kio.schema.errors import ErrorCode

from core.transactions.operations import END_TXN_WAIT_S, Fenced, TxnOperations
from core.transactions.state import TopicPartition, TxnMetadata, TxnState

log = logging.getLogger("ailurus.txn")
S = TxnState
SCAN_SLICE = 2_000  # ids looked at between two yields to the loop (expiry)
EXPIRE_BATCH = 500  # ids expired at once


class TxnHousekeeping(TxnOperations):
    # ---- timeouts
    async def abort_expired(self) -> int:
        """Abort (with an epoch bump, fencing the producer) every ongoing transaction past its
        timeout; returns how many were started."""
        now_ms = self.clock.now_ms()
        started = 0
        ongoing = [self.txns[tid] for tid in self.txns.ongoing]
        for meta in [m for m in ongoing if m.expired(now_ms)]:
            tid = meta.transactional_id
            if self.coordinator_error(tid) is not ErrorCode.none:
                continue
            try:
                async with self._lock(tid):
                    current = self.txns.get(tid)
                    if current is not None and current.expired(self.clock.now_ms()):
                        log.info("transaction %r of producer %d timed out after %d ms: aborting",
                                 tid, current.producer_id, current.timeout_ms)  # fmt: skip
                        await self._prepare(current, commit=False, bump=True)
                        started += 1
            except Fenced as exc:
                log.info("transaction %r: timeout abort not stored (%s)", tid, exc.error.name)
        return started

    async def expire_ids(self, idle_ms: int) -> int:
        """Forget transactional ids idle (no transaction running) for `idle_ms`
        (transactional_id_expiration_ms): a tombstone each, EXPIRE_BATCH ids at once (the
        journal packs their tombstones in a batch per partition); returns how many."""
        cutoff_ms = self.clock.now_ms() - idle_ms
        idle = []
        for count, meta in enumerate(list(self.txns.values()), 1):
            if _idle_since(meta, cutoff_ms):
                idle.append(meta.transactional_id)
            if count % SCAN_SLICE == 0:
                await asyncio.sleep(0)  # ~1 us an id: 100,000 ids would hold the loop 0.1 s
        removed = 0
        for start in range(0, len(idle), EXPIRE_BATCH):
            batch = idle[start : start + EXPIRE_BATCH]
            removed += sum(await asyncio.gather(*(self._expire(t, cutoff_ms) for t in batch)))
        return removed

    async def _expire(self, tid: str, cutoff_ms: int) -> bool:
        if self.coordinator_error(tid) is not ErrorCode.none:
            return False
        async with self._lock(tid):
            current = self.txns.get(tid)
            if current is None or not _idle_since(current, cutoff_ms):
                return False  # changed meanwhile
            return await self._remove(tid) is ErrorCode.none

    async def _remove(self, tid: str) -> ErrorCode:
        raise NotImplementedError

    async def mark_expired(self, tid: str) -> ErrorCode:
        """Admin API: abort an ongoing transaction now (as if it had timed out)."""
        error = self.coordinator_error(tid)
        if error is not ErrorCode.none:
            return error
        try:
            async with self._lock(tid):
                meta = self.txns.get(tid)
                if meta is None:
                    return ErrorCode.transactional_id_not_found
                if meta.state is not S.ONGOING:
                    return ErrorCode.invalid_txn_state
                await self._prepare(meta, commit=False, bump=True)
        except Fenced as exc:
            return exc.error
        await self._wait_completion(tid, END_TXN_WAIT_S)
        return ErrorCode.none

    async def delete_partition(self, tid: str, partition: TopicPartition) -> ErrorCode:
        """Admin API repair (Redpanda's delete_partition): drop a partition from the id's
        transaction (its topic was deleted, say), so its commit or abort no longer waits for a
        marker there. Stored like any change; a running completion stops retrying it."""
        error = self.coordinator_error(tid)
        if error is not ErrorCode.none:
            return error
        try:
            async with self._lock(tid):
                meta = self.txns.get(tid)
                if meta is None:
                    return ErrorCode.transactional_id_not_found
                if partition not in meta.partitions:
                    return ErrorCode.unknown_topic_or_partition
                await self._put(
                    meta.but(
                        partitions=meta.partitions - {partition}, update_ms=self.clock.now_ms()
                    )
                )
        except Fenced as exc:
            return exc.error
        return ErrorCode.none


def _idle_since(meta: TxnMetadata, cutoff_ms: int) -> bool:
    idle = meta.state is S.EMPTY or meta.state.complete
    return idle and 0 <= meta.update_ms <= cutoff_ms
