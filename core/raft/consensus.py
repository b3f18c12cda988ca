"""Consensus for one Raft group, over a Log.

This release runs single-voter groups, but the shape is Raft's (raft-notes section 7):

* every batch carries its term (stored in the batch's partitionLeaderEpoch field, and
  segments hold a single term each), and a persisted term history maps terms to
  their first offset (Kafka's leader-epoch cache), which serves OffsetForLeaderEpoch;
* Raft's own non-data entries (the configuration/term-start entry every new leader
  writes) live in the group's kvstore beside the log, not among the Kafka batches, so
  Kafka offsets equal log offsets and segment bytes can be sent to consumers as-is;
* offsets are kept apart: dirty (appended), flushed (fdatasync'ed), committed (for a
  single voter, the flushed offset of entries of the current term's log), and visible
  (the high watermark);
* the produce path waits on the commit index, never on an fsync call: fsyncs are
  requested from the node's GroupCommit flusher, which batches them across groups.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from dataclasses import dataclass

from core.raft.errors import RaftErrc, RaftError
from core.raft.log import Log

log = logging.getLogger("ailurus.raft")

QUORUM_ACK = -1  # Kafka acks=all
LEADER_ACK = 1
NO_ACK = 0

_META_KEY = "raft"


@dataclass(slots=True)
class Appended:
    base_offset: int
    last_offset: int
    done: asyncio.Future | None  # resolves when the acks level is met; None when already met


class Consensus:
    def __init__(
        self, group_id: int, node_id: int, log_: Log, flusher, *, write_caching: bool = False
    ) -> None:
        self.group_id = group_id
        self.node_id = node_id
        self.log = log_
        self._flusher = flusher
        self.write_caching = write_caching
        self.term = -1
        self.voted_for: int | None = None
        self.leader_id: int | None = None
        self.voters: list[int] = [node_id]
        self.term_history: list[tuple[int, int]] = []  # (term, first offset), ascending
        self.commit_offset = 0  # one past the last committed offset
        self._quorum_write_end = 0  # one past the last acks=all write
        self._visible = 0  # the high watermark; never decreases (except by truncation)
        self._waiters: list[
            tuple[int, asyncio.Future]
        ] = []  # (end offset, future), appended in order
        self._visible_listeners: list = []
        self._closed = False
        # Background flush policy for relaxed writes (topic flush.ms / flush.bytes).
        self.flush_delay_ms = 100
        self.flush_bytes_max = 256 * 1024
        self.pending_flush_bytes = 0  # appended since the log was last fully flushed

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Recover persisted state and become leader of a new term (single voter: immediate election)."""
        meta = self.log.kvstore.get(_META_KEY) or {}
        history = [tuple(x) for x in meta.get("term_history", [])]
        seg_terms = self.log.segment_terms()
        known_terms = [meta.get("term", -1)] + [t for t, _ in history] + [t for t, _ in seg_terms]
        self.term_history = self._merge_history(history, seg_terms)
        # The recovered tail was fsynced during storage recovery; entries of earlier terms
        # become committed once this term's start entry is durable (written below).
        self.term = max(known_terms) + 1
        self.voted_for = self.node_id
        self.term_history.append((self.term, self.log.next_offset))
        self._persist_meta()
        self.leader_id = self.node_id
        self.log.flush()
        self.commit_offset = self.log.flushed_offset
        self._quorum_write_end = self.commit_offset
        self._visible = self.commit_offset
        log.debug(
            "group %d: leader for term %d at offset %d",
            self.group_id,
            self.term,
            self.log.next_offset,
        )

    def _merge_history(self, history: list, seg_terms: list) -> list[tuple[int, int]]:
        merged = {t: o for t, o in history if o <= self.log.next_offset}
        for t, o in seg_terms:
            merged[t] = min(merged.get(t, o), o)
        return sorted(merged.items())

    def _persist_meta(self) -> None:
        self.log.kvstore.put(
            _META_KEY,
            {
                "term": self.term,
                "voted_for": self.voted_for,
                "voters": self.voters,
                "term_history": [list(x) for x in self.term_history],
            },
        )

    def close(self) -> None:
        self._closed = True
        for _, fut in self._waiters:
            if not fut.done():
                fut.set_exception(RaftError(RaftErrc.shutting_down))
        self._waiters.clear()

    # ---- offsets -------------------------------------------------------------------------------
    @property
    def is_leader(self) -> bool:
        return self.leader_id == self.node_id and not self._closed

    @property
    def dirty_offset(self) -> int:
        return self.log.next_offset

    @property
    def visible_offset(self) -> int:
        """One past the last offset readers may see (the high watermark).

        Relaxed (acks=1 / write-caching) writes are visible once appended (one voter:
        "majority replicated"); an acks=all write is never visible before it commits,
        and neither is anything after it. What was once visible stays visible: the
        bound only grows (Redpanda's visibility upper bound), whatever the mix of acks.
        """
        return self._visible

    def _advance_visible(self) -> bool:
        """Raise the high watermark to what the current writes allow; True if it moved."""
        if self.commit_offset >= self._quorum_write_end:
            bound = self.log.next_offset
        else:
            bound = self.commit_offset
        if bound <= self._visible:
            return False
        self._visible = bound
        return True

    def term_at(self, offset: int) -> int:
        i = bisect.bisect_right([o for _, o in self.term_history], offset) - 1
        return self.term_history[i][0] if i >= 0 else -1

    def end_offset_for_term(self, term: int) -> tuple[int, int]:
        """(largest term <= `term`, its end offset), as OffsetForLeaderEpoch answers."""
        best = -1
        for i, (t, _) in enumerate(self.term_history):
            if t > term:
                return (best, self.term_history[i][1]) if best >= 0 else (-1, -1)
            best = t
        return (best, self.log.next_offset) if best >= 0 else (-1, -1)

    # ---- replication ---------------------------------------------------------------------------
    def replicate(self, batch: bytearray, acks: int) -> Appended:
        """Append one batch in this term. The order is fixed on return; await `done` for acks."""
        if not self.is_leader:
            raise RaftError(RaftErrc.not_leader)
        base, last = self.log.append(batch, self.term)
        self.pending_flush_bytes += len(batch)
        end = last + 1
        if acks == QUORUM_ACK and not self.write_caching:
            self._quorum_write_end = end
            fut = asyncio.get_running_loop().create_future()
            self._waiters.append((end, fut))
            self._flusher.request(self, urgent=True)
            return Appended(base, last, fut)
        self._flusher.request(self, urgent=False)
        if self._advance_visible():
            self._notify_visible()
        return Appended(base, last, None)

    def on_flushed(self) -> None:
        """Called by the flusher after flush_end: advance the commit index, release waiters."""
        flushed = self.log.flushed_offset
        if flushed >= self.log.next_offset:
            self.pending_flush_bytes = 0
        if flushed <= self.commit_offset:
            return
        # One voter: the quorum of flushed offsets is our own; entries of this term make
        # all earlier entries committed too.
        self.commit_offset = flushed
        released = 0
        for end, fut in self._waiters:
            if end > flushed:
                break
            if not fut.done():
                fut.set_result(None)
            released += 1
        if released:
            del self._waiters[:released]
        self._advance_visible()
        self._notify_visible()

    def truncate_to(self, offset: int) -> None:
        assert offset >= self.commit_offset, "never truncate committed entries"
        self.log.truncate(offset)
        self._visible = min(self._visible, offset)
        self.term_history = [(t, o) for t, o in self.term_history if o <= offset]
        self._persist_meta()

    # ---- visibility listeners (fetch long polls) -------------------------------------------------
    def add_visible_listener(self, fn) -> None:
        self._visible_listeners.append(fn)

    def _notify_visible(self) -> None:
        for fn in self._visible_listeners:
            fn()
