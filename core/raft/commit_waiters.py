"""CommitWatch: who hears of a replica's commit offset moving (Consensus, leader and
followers alike): listeners called with each new commit offset, and futures waiting until
a given offset commits.

A waiter for `offset` resolves once commit_offset > offset. It fails with
RaftError(term_changed) when this replica's log is cut at or below `offset` (the entry it
held there is gone: whatever commits there later may be another one), unless it was added
with `keep_on_truncate` (a follower waiting for an offset the leader already committed:
its own divergent tail may be cut first, then the committed entry arrives), and with
RaftError(shutting_down) when the replica closes. A waiter cancelled by its caller (e.g. a
timeout) is dropped from the heap at the latest when the heap grows past twice the live
ones.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Callable

from core.raft.errors import RaftErrc, RaftError

log = logging.getLogger("ailurus.raft")

_PRUNE_MIN = 64  # heap size below which cancelled waiters are left to resolve


class CommitWatch:
    def __init__(self, group_id: int) -> None:
        self.group_id = group_id
        self.commit_offset = 0
        self._listeners: list[Callable[[int], None]] = []
        # (offset, seq, future, keep_on_truncate): the smallest offset first
        self._heap: list[tuple[int, int, asyncio.Future[None], bool]] = []
        self._seq = itertools.count()
        self._closed = False

    def add_listener(self, fn: Callable[[int], None]) -> None:
        self._listeners.append(fn)

    def wait(self, offset: int, *, keep_on_truncate: bool = False) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._closed:
            fut.set_exception(RaftError(RaftErrc.shutting_down))
        elif offset < self.commit_offset:
            fut.set_result(None)
        else:
            heap = self._heap
            if len(heap) >= _PRUNE_MIN and len(heap) >= 2 * self._live():
                self._heap = heap = [w for w in heap if not w[2].done()]
                heapq.heapify(heap)
            heapq.heappush(heap, (offset, next(self._seq), fut, keep_on_truncate))
        return fut

    def __len__(self) -> int:
        return len(self._heap)

    def _live(self) -> int:
        return sum(1 for w in self._heap if not w[2].done())

    def committed(self, commit_offset: int) -> None:
        """The commit offset moved to `commit_offset`: resolve waiters, call listeners."""
        if commit_offset <= self.commit_offset:
            return
        self.commit_offset = commit_offset
        heap = self._heap
        while heap and heap[0][0] < commit_offset:
            fut = heapq.heappop(heap)[2]
            if not fut.done():
                fut.set_result(None)
        for fn in self._listeners:
            try:
                fn(commit_offset)
            except Exception:  # noqa: BLE001 - a listener must not break the replica
                log.exception("raft group %d: commit listener failed", self.group_id)

    def truncated(self, offset: int) -> None:
        """The log was cut at `offset`: waiters for offsets at or past it fail."""
        kept = []
        for w in self._heap:
            if w[0] < offset or w[3] or w[2].done():
                kept.append(w)
            else:
                w[2].set_exception(RaftError(RaftErrc.term_changed))
        if len(kept) != len(self._heap):
            heapq.heapify(kept)
            self._heap = kept

    def close(self) -> None:
        self._closed = True
        heap, self._heap = self._heap, []
        for w in heap:
            if not w[2].done():
                w[2].set_exception(RaftError(RaftErrc.shutting_down))
