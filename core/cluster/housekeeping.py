"""Log housekeeping: retention for `delete` topics, compaction for `compact` ones, producer
snapshots, every `log_compaction_interval_ms` for each partition this node holds.

Retention of a replicated partition is its leader's: it proposes the new log start, which
every replica applies once it committed it (core.raft.log_start), so all replicas start at
the same offset and the start a client sees never goes back across a failover; followers
remove nothing on their own. Compaction runs on every replica over committed batches only.

Compaction rewrites segments in one worker thread, never on the event loop (one pass at a time):
`prepare` snapshots on the loop, `rewrite` runs in the worker, `install` swaps on the loop. The
log may change meanwhile (appends, retention, DeleteRecords, truncation, close): install checks
each segment and skips what changed.

Cluster properties read at each pass: `log_compaction_interval_ms`, `min_cleanable_dirty_ratio`
(a compacted log waits until that share of its closed bytes is new since the last pass), and,
through the topic's effective `delete.retention.ms`, `tombstone_retention_ms`.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from core.cluster.partition import Partition
from core.cluster.partition_manager import PartitionManager
from core.cluster.topic_table import TopicTable
from core.common.clock import Clock
from core.storage.compaction import rewrite

log = logging.getLogger("ailurus")

DEFAULT_INTERVAL_MS = 10_000
DEFAULT_DELETE_RETENTION_MS = 86_400_000


class ConfigSource(Protocol):
    def get(self, name: str) -> Any: ...


class Housekeeping:
    def __init__(
        self,
        partitions: PartitionManager,
        topics: TopicTable,
        cluster_config: ConfigSource,
        clock: Clock,
    ) -> None:
        self._partitions = partitions
        self._topics = topics
        self._config = cluster_config
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="compaction")
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="housekeeping")

    async def stop(self) -> None:
        """Cancel the loop; a cancelled rewrite stops at its next batch. Wait for it, so the
        logs may close after this returns."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await asyncio.get_running_loop().run_in_executor(None, self._pool.shutdown)

    async def _run(self) -> None:
        while True:
            interval_ms = int(self._config.get("log_compaction_interval_ms") or DEFAULT_INTERVAL_MS)
            await asyncio.sleep(interval_ms / 1000)
            await self.run_once()

    async def run_once(self) -> None:
        """One pass over every partition."""
        now_ms = self._clock.now_ms()
        for partition in self._partitions.all():
            try:
                await self._housekeep(partition, now_ms)
            except Exception:
                log.exception("housekeeping of %s/%d failed", partition.topic, partition.index)
            await asyncio.sleep(0)  # let requests in between partitions

    async def _housekeep(self, partition: Partition, now_ms: int) -> None:
        meta = self._topics.get(partition.topic)
        if meta is None:
            return
        policy = self._partitions.effective(meta, "cleanup.policy") or "delete"
        if "delete" in policy:
            partition.apply_retention(now_ms)
        if "compact" in policy:
            retention = self._partitions.effective(meta, "delete.retention.ms")
            await self._compact(partition, now_ms, int(retention or DEFAULT_DELETE_RETENTION_MS))
        partition.snapshot_producers()

    async def _compact(self, partition: Partition, now_ms: int, delete_retention_ms: int) -> None:
        ratio = self._config.get("min_cleanable_dirty_ratio")
        plan = partition.compaction_plan(
            now_ms, delete_retention_ms, None if ratio is None else float(ratio)
        )
        if plan is None:
            return
        try:
            result = await asyncio.get_running_loop().run_in_executor(self._pool, rewrite, plan)
        except asyncio.CancelledError:
            plan.cancel()  # the worker stops at its next batch and removes its files
            raise
        stats = partition.install_compaction(result)
        if stats.segments_rewritten or stats.segments_stale:
            log.info(
                "compacted %s: %d segments, %d -> %d bytes, %d records removed, %d stale",
                partition.directory,
                stats.segments_rewritten,
                stats.bytes_before,
                stats.bytes_after,
                stats.records_removed,
                stats.segments_stale,
            )
