"""TransactionCoordinator: the transaction service the broker runs (issue 15).

The architecture of the group coordinator (core.groups.coordinator), for `__transaction_state`:
the topic is created on first use (core.transactions.topic: a transactional id looked up or
initialised; replication factor min(internal_topic_replication_factor, members), odd;
`transaction_coordinator_partitions` partitions, compacted). A transactional id belongs to partition hash(id) % n (Kafka's hash, as
groups use); its coordinator is that partition's leader. The partition manager tells us when a
replica hosted here changes leader or term (a 1 s check backs it up): for each term this node
leads a partition, once the term serves (its start committed), the partition is replayed and
its ids answered (COORDINATOR_LOAD_IN_PROGRESS meanwhile); a Prepare* state found there is
completed (markers re-sent, then Complete* stored). Leadership gone: NOT_COORDINATOR.
The coordinator epoch of a partition is its Raft term. Every `tx_timeout_delay_ms` ongoing
transactions past their timeout are aborted with an epoch bump; every half
`transactional_id_expiration_ms` (at most a minute) ids idle that long (Empty or Complete*,
never one with a transaction running) are removed with a tombstone, replicated like every
record of the topic, so a successor coordinator does not load them either.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable

from kio.schema.errors import ErrorCode

from core.cluster.partition_manager import PartitionManager
from core.cluster.topics import TopicsFrontend
from core.common.clock import Clock
from core.config.cluster_properties import ClusterConfigStore
from core.groups.completion import Completion
from core.groups.coordinator import GroupCoordinator
from core.groups.journal import PartitionJournal
from core.groups.offsets import CommitOutcome, CommitParams
from core.groups.router import OFFSETS_TOPIC, partition_for
from core.model.records import iter_batches
from core.rpc.client import PeerClients
from core.transactions.housekeeping import TxnHousekeeping
from core.transactions.log_format import (
    FormatError,
    decode_key,
    decode_value,
    encode_key,
    encode_value,
)
from core.transactions.markers import MarkerWriter
from core.transactions.queries import TxnQueries
from core.transactions.state import TxnMetadata, TxnTable
from core.transactions.topic import POLL_S, TXN_TOPIC, TxnTopic

log = logging.getLogger("ailurus.txn")

_READ_CHUNK_BYTES = 1024 * 1024
_LEADERSHIP_CHECK_MS = 1_000
_TOPIC_WAIT_S = 30.0
DEFERRED_WRITE_MS = 100
EXPIRY_CHECK_MAX_MS = 60_000  # idle transactional ids are looked for at least this often


class TransactionCoordinator(TxnHousekeeping, TxnQueries, TxnTopic):
    def __init__(
        self,
        *,
        node_id: int,
        clock: Clock,
        partitions: PartitionManager,
        topics: TopicsFrontend,
        config: ClusterConfigStore,
        allocate_pid: Callable,
        peers: PeerClients | None = None,
        groups: GroupCoordinator | None = None,
        member_count: Callable[[], int] = lambda: 1,
    ) -> None:
        self.node_id = node_id
        self.clock = clock
        self._partitions = partitions
        self._topics = topics
        self._config = config
        self.allocate_pid = allocate_pid
        self._member_count = member_count
        self.groups = groups
        group_marker = groups.complete_txn if groups is not None else None
        self.markers = MarkerWriter(node_id, partitions, peers, group_marker)
        self.journal = PartitionJournal(partitions, clock, TXN_TOPIC)
        self.txns = TxnTable(self._hashed_partition)
        self.partition_count = int(config.get("transaction_coordinator_partitions"))
        self.loaded: set[int] = set()
        self._loading: dict[int, asyncio.Task] = {}
        self._load_term: dict[int, int] = {}
        self._creating: asyncio.Task | None = None
        self._deferred: dict[str, asyncio.TimerHandle] = {}  # Complete* written behind
        self._tasks: list[asyncio.Task] = []
        self._init_ops()
        partitions.add_leadership_listener(self._on_leadership)

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        meta = self._topics.table.get(TXN_TOPIC)
        if meta is not None:
            self.partition_count = meta.partitions
        self._tasks.append(asyncio.create_task(self._run_timers(), name="txn-timers"))
        self._follow_leadership()

    async def stop(self) -> None:
        tasks = [*self._tasks, *self._loading.values(), *self._completing.values()]
        if self._creating is not None:
            tasks.append(self._creating)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        for meta in [m for m in self.txns.values() if m.transactional_id in self._deferred]:
            self._cancel_deferred(meta.transactional_id)
            self._write_deferred(meta)  # queued before the journal closes: written if it can
        await self.journal.close()

    def max_timeout_ms(self) -> int:
        return int(self._config.get("transaction_max_timeout_ms"))

    # ------------------------------------------------------------ ownership

    def partition_of(self, transactional_id: str) -> int:
        known = self.txns.partition(transactional_id)
        return known if known is not None else self._hashed_partition(transactional_id)

    def _hashed_partition(self, transactional_id: str) -> int:
        meta = self._topics.table.get(TXN_TOPIC)  # its count wins over the property's
        if meta is not None and meta.partitions != self.partition_count:
            self.partition_count = meta.partitions
        return partition_for(transactional_id, self.partition_count)

    def coordinator_error(self, transactional_id: str) -> ErrorCode:
        if self._topics.table.get(TXN_TOPIC) is None:
            self.ensure_topic()
            return ErrorCode.coordinator_not_available
        partition = self.partition_of(transactional_id)
        if partition in self.loaded:
            return ErrorCode.none
        if partition in self._loading:
            return ErrorCode.coordinator_load_in_progress
        return ErrorCode.not_coordinator

    def coordinator_for(self, transactional_id: str) -> tuple[ErrorCode, int]:
        """(NONE, node id) of the leader of the id's partition (FindCoordinator key type 1)."""
        if self._topics.table.get(TXN_TOPIC) is None:
            self.ensure_topic()
            if self._member_count() <= 1:  # alone, the coordinator is this node whatever comes
                return ErrorCode.none, self.node_id
            return ErrorCode.coordinator_not_available, -1
        partition = self.partition_of(transactional_id)
        if partition in self.loaded or partition in self._loading:
            return ErrorCode.none, self.node_id
        view = self._partitions.describe(TXN_TOPIC, partition)
        if view is None or view.leader_id is None:
            return ErrorCode.coordinator_not_available, -1
        return ErrorCode.none, view.leader_id

    def _coordinator_epoch(self, transactional_id: str) -> int | None:
        partition = self.partition_of(transactional_id)
        return self._load_term.get(partition) if partition in self.loaded else None

    async def _store(self, meta: TxnMetadata) -> ErrorCode:
        """Write one id's new state; install it once stored, if still coordinating it."""
        tid = meta.transactional_id
        partition = self.partition_of(tid)
        term = self._coordinator_epoch(tid)
        if term is None:
            return ErrorCode.not_coordinator
        self._cancel_deferred(tid)  # this write replaces a Complete* not written yet
        error = await self.journal.append(partition, [(encode_key(tid), encode_value(meta))])
        if error is not ErrorCode.none:
            return error
        if self._coordinator_epoch(tid) != term:
            return ErrorCode.not_coordinator
        self.txns[tid] = meta
        return ErrorCode.none

    async def _remove(self, tid: str) -> ErrorCode:
        """Write the id's tombstone; forget it once stored (it expired)."""
        term = self._coordinator_epoch(tid)
        if term is None:
            return ErrorCode.not_coordinator
        self._cancel_deferred(tid)
        error = await self.journal.append(self.partition_of(tid), [(encode_key(tid), None)])
        if error is ErrorCode.none and self._coordinator_epoch(tid) == term and tid in self.txns:
            del self.txns[tid]
            log.info("transactional id %r expired", tid)
        return error

    def _store_background(self, meta: TxnMetadata) -> None:
        """Install a state now and write it behind (the Complete* after the markers), after
        DEFERRED_WRITE_MS unless the id's next change (the next transaction's Ongoing, most
        often) is written first and replaces it: one replicated write less per transaction."""
        tid = meta.transactional_id
        if self._coordinator_epoch(tid) is None:
            return
        self.txns[tid] = meta
        self._cancel_deferred(tid)
        self._deferred[tid] = asyncio.get_running_loop().call_later(
            DEFERRED_WRITE_MS / 1000, self._write_deferred, meta
        )

    def _cancel_deferred(self, tid: str) -> None:
        handle = self._deferred.pop(tid, None)
        if handle is not None:
            handle.cancel()

    def _write_deferred(self, meta: TxnMetadata) -> None:
        tid = meta.transactional_id
        self._deferred.pop(tid, None)
        if self.txns.get(tid) is not meta or self._coordinator_epoch(tid) is None:
            return
        written = self.journal.append(
            self.partition_of(tid), [(encode_key(tid), encode_value(meta))]
        )

        def stored(error: ErrorCode) -> None:
            if error is not ErrorCode.none:
                log.info("transaction %r: %s not stored (%s)", tid, meta.state.label, error.name)

        written.on_done(stored)

    # ------------------------------------------------------------ leadership

    def _on_leadership(self, partition) -> None:
        if partition.topic == TXN_TOPIC:
            asyncio.get_running_loop().call_soon(self._follow, partition.index)

    def _follow_leadership(self) -> None:
        if self._topics.table.get(TXN_TOPIC) is None:
            return
        for partition in range(self.partition_count):
            self._follow(partition)

    def _leader_term(self, partition: int) -> int | None:
        target = self._partitions.get(TXN_TOPIC, partition)
        return target.leader_epoch if target is not None and target.is_leader else None

    def _follow(self, partition: int) -> None:
        term = self._leader_term(partition)
        if term is None:
            if partition in self.loaded or partition in self._loading:
                log.info("%s/%d: no longer leader, unloading", TXN_TOPIC, partition)
                self._unload(partition)
        elif self._load_term.get(partition) != term:
            self._unload(partition)
            self._load_term[partition] = term
            task = asyncio.create_task(self._load(partition), name=f"txn-load-{partition}")
            self._loading[partition] = task
            task.add_done_callback(functools.partial(self._loaded, partition, task))

    def _loaded(self, partition: int, task: asyncio.Task, _done: asyncio.Task) -> None:
        if self._loading.get(partition) is task:
            del self._loading[partition]
        if not task.cancelled() and task.exception() is not None:
            log.error("%s/%d: load failed: %r", TXN_TOPIC, partition, task.exception())
            self._load_term.pop(partition, None)  # the next check loads it again

    def _unload(self, partition: int) -> None:
        task = self._loading.pop(partition, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        self._load_term.pop(partition, None)
        self.loaded.discard(partition)
        for tid in self.txns.in_partition(partition):
            del self.txns[tid]

    async def _load(self, partition: int) -> None:
        """Once the term serves, replay the partition up to its high watermark, then answer for
        its ids and complete what was left prepared."""
        target = self._partitions.get(TXN_TOPIC, partition)
        if target is None:
            return
        for _ in range(int(_TOPIC_WAIT_S / POLL_S)):
            if self._partitions.is_serving_leader(TXN_TOPIC, partition) or not target.is_leader:
                break
            await asyncio.sleep(POLL_S)
        if not self._partitions.is_serving_leader(TXN_TOPIC, partition):
            self._unload(partition)
            return
        found: dict[str, TxnMetadata | None] = {}
        offset, end = target.start_offset, target.high_watermark
        while offset < end:
            data = target.read_bytes(offset, _READ_CHUNK_BYTES)
            if not data:
                break
            for header, records in iter_batches(data):
                if not header.is_control:
                    for record in records:
                        _apply(found, record.key, record.value, partition)
                offset = header.last_offset + 1
            await asyncio.sleep(0)
        for tid, meta in found.items():
            if meta is not None:
                self.txns.put_in(partition, tid, meta)
        self.loaded.add(partition)
        log.info("%s/%d loaded: %d transactional ids", TXN_TOPIC, partition, len(found))
        for meta in found.values():
            if meta is not None and meta.state.preparing:
                self.start_completion(meta)

    async def _run_timers(self) -> None:
        next_check_ms = next_expiry_ms = 0
        checked_expiration_ms = None
        while True:
            delay_ms = max(int(self._config.get("tx_timeout_delay_ms")), 10)
            await asyncio.sleep(min(delay_ms, _LEADERSHIP_CHECK_MS) / 1000)
            expiration_ms = int(self._config.get("transactional_id_expiration_ms"))
            now_ms = self.clock.monotonic_ms()
            try:
                await self.abort_expired()
                # as Redpanda: every half expiration (an idle id lives at most 1.5 times it),
                # at least every EXPIRY_CHECK_MAX_MS; at once when the property changed
                if now_ms >= next_expiry_ms or expiration_ms != checked_expiration_ms:
                    checked_expiration_ms = expiration_ms
                    next_expiry_ms = now_ms + min(expiration_ms // 2, EXPIRY_CHECK_MAX_MS)
                    await self.expire_ids(expiration_ms)
            except Exception:
                log.exception("transaction timeout check failed")
            if now_ms >= next_check_ms:
                next_check_ms = now_ms + _LEADERSHIP_CHECK_MS
                self._follow_leadership()

    # ------------------------------------------------------------ group offsets

    async def add_offsets(
        self, tid: str, pid: int, epoch: int, group_id: str, fenced: ErrorCode
    ) -> ErrorCode:
        """AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction."""
        if self.groups is None:
            return ErrorCode.coordinator_not_available
        partition = self.groups.manager.partition_of(group_id)
        return await self.add_partitions(tid, pid, epoch, [(OFFSETS_TOPIC, partition)], fenced)

    def txn_offset_commit(
        self, params: CommitParams, producer_id: int, producer_epoch: int
    ) -> Completion[CommitOutcome]:
        """TxnOffsetCommit, answered by the group's coordinator (this node, if it leads the
        group's partition: NOT_COORDINATOR otherwise)."""
        if self.groups is None:
            error = ErrorCode.coordinator_not_available
            return Completion.resolved([(item, error) for item in params.items])
        return self.groups.txn_commit_offsets(params, producer_id, producer_epoch)


def _apply(found: dict[str, TxnMetadata | None], key, value, partition: int) -> None:
    if key is None:
        return
    try:
        tid = decode_key(key)
        found[tid] = decode_value(tid, value) if value is not None else None
    except (FormatError, UnicodeDecodeError) as exc:
        log.warning("%s/%d: skipping unreadable record: %s", TXN_TOPIC, partition, exc)
