"""A partition's housekeeping (core.cluster.housekeeping drives it), a base of
core.cluster.partition.Partition: retention and compaction.

With one replica, retention removes closed segments itself; in a replicated group only the
leader decides, by proposing a new log start (core.raft.log_start) that every replica applies
once it committed it. Compaction rewrites committed batches only, below the last stable
offset, keeping transactional data and markers consistent with the aborted index."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from core.cluster.partition_txn import PartitionTxns
from core.storage.compaction import CompactionPlan, CompactionResult, CompactionStats
from core.storage.compaction import install as install_compaction
from core.storage.compaction import prepare as prepare_compaction
from core.storage.retention import collectible_prefix


class PartitionHousekeeping(PartitionTxns):
    """Over PartitionTxns: retention and compaction stop at the last stable offset."""

    snapshot_producers: Callable[[], None]  # Partition's

    def apply_retention(self, now_ms: int) -> int:
        """Remove the closed segments past retention.ms/retention.bytes (never unread data).

        One replica removes them itself. In a replicated group only the leader decides: it
        proposes the new start (core.raft.log_start) and every replica removes what lies
        below it once it committed it; the bytes removed here are counted when that lands."""
        if not self.consensus.multi_voter:
            self.snapshot_producers()  # first: a restart then never replays from below the start
            return self.log.gc(now_ms, max_collectible_offset=self.last_stable_offset)
        if not self.consensus.is_leader:
            return 0
        doomed = collectible_prefix(
            self.log._segments, self.log.config, self.log.size_bytes, now_ms,
            self.last_stable_offset,
        )  # fmt: skip
        if doomed and doomed[-1].next_offset > self.consensus.start_goal:
            unwatched(self.consensus.propose_start(doomed[-1].next_offset))
        return 0

    def compaction_plan(
        self, now_ms: int, delete_retention_ms: int, min_cleanable_dirty_ratio: float | None
    ) -> CompactionPlan | None:
        """What a compaction pass would rewrite (taken on the loop), or None when nothing:
        committed batches only (a follower's high watermark may cover acks=1 batches its
        leader has not committed, which a new leader may cut)."""
        return prepare_compaction(
            self.log,
            now_ms=now_ms,
            max_collectible_offset=min(self.last_stable_offset, self.consensus.commit_offset),
            delete_retention_ms=delete_retention_ms,
            min_cleanable_dirty_ratio=min_cleanable_dirty_ratio,
            aborted=tuple((pid, first, last) for pid, first, last, _ in self.aborted.entries()),
        )

    def install_compaction(self, result: CompactionResult) -> CompactionStats:
        """Swap in what the worker rewrote; segments that changed meanwhile are skipped."""
        return install_compaction(self.log, result)


def unwatched(landed: asyncio.Future | None) -> None:
    """A start proposal's future nobody awaits (callers watch `start_offset`): a lost
    leadership is no error to log."""
    if landed is not None:
        landed.add_done_callback(lambda f: f.cancelled() or f.exception())
