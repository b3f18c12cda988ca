"""Commit and visibility on the leader.

* commit: the largest offset that a majority of voters hold *flushed* (fdatasync'ed)
  in agreement with the leader, counted only from replicas whose log reaches an entry
  of the current term (Raft's current-term rule; the term-start meta entry is such an
  entry, so a new leader commits its predecessors' entries without a client write),
  and never past the leader's own flushed offset (Redpanda's clamp: what a replica
  applies locally is on its own disk).
* majority_dirty: the same quorum over appended (not yet flushed) offsets: what
  write-caching acks=all and acks=1 writes wait for.
* visible (the high watermark): `majority_dirty` while no acks=all write is waiting,
  else `commit` (an acks=all record is never visible before it commits, nor anything
  after it); it only ever grows (Redpanda's visibility upper bound), whatever the mix
  of acks, and nothing is made visible before the leader's term start commits.
"""

from __future__ import annotations

from core.raft.state import RaftState
from core.raft.types import Role as R


class Commit(RaftState):
    def maybe_commit(self) -> None:
        if self.role != R.leader:
            return
        if not self.progress:
            self._commit_alone()
            self.maybe_commit_config()
            return
        flushed, dirty = self._quorums()
        start = self.term_start
        if flushed is not None:
            flushed = min(flushed, self.flushed)  # as Redpanda: never past our own fdatasync
        if flushed is not None and flushed >= start and flushed > self.commit:
            self.commit = flushed
            out = self.out()
            out.committed = flushed
            out.commit_news = True
        if dirty is not None and dirty >= start and dirty > self.majority_dirty:
            self.majority_dirty = dirty
            self.out().majority_dirty = dirty
        self.update_visible()
        self.maybe_commit_config()

    def _quorums(self) -> tuple[int | None, int | None]:
        """(flushed, dirty): what a majority of every voter set holds flushed / appended,
        counting only replicas whose log reaches an entry of our term."""
        term, me, progress = self.term, self.node_id, self.progress
        flushed_q: int | None = None
        dirty_q: int | None = None
        for voters in self._sets:
            flushed, dirty = [], []
            for v in voters:
                if v == me:
                    flushed.append(self.flushed)
                    dirty.append(self.log.next_offset)
                    continue
                p = progress.get(v)
                if p is not None and p.match[1] == term:
                    match = p.match[0]
                    flushed.append(match if match < p.flushed else p.flushed)
                    dirty.append(match)
            need = len(voters) // 2 + 1
            if len(flushed) < need:
                return None, None
            flushed.sort(reverse=True)
            dirty.sort(reverse=True)
            f, d = flushed[need - 1], dirty[need - 1]
            flushed_q = f if flushed_q is None or f < flushed_q else flushed_q
            dirty_q = d if dirty_q is None or d < dirty_q else dirty_q
        return flushed_q, dirty_q

    def _commit_alone(self) -> None:
        """A single voter: its own flushed offset is the quorum (the hot path of this release)."""
        flushed = self.flushed
        if flushed > self.commit and flushed >= self.leader_term_start:
            self.commit = flushed
            self.out().committed = flushed
        self.majority_dirty = self.log.next_offset
        self.update_visible()

    def update_visible(self) -> None:
        if self.commit < self.term_start:
            return  # not serving until this term's start entry commits
        bound = self.majority_dirty if self.commit >= self.quorum_write_end else self.commit
        if bound > self.visible:
            self.visible = bound
            self.out().visible = bound

    def on_local_append(self, end_offset: int, quorum_ack: bool) -> None:
        """The leader appended data up to `end_offset` (exclusive) in its term."""
        self.log.next_offset = end_offset
        if quorum_ack:
            self.quorum_write_end = end_offset
        if not self.progress and self.node_id in self.voters:  # a single voter
            self.majority_dirty = end_offset
            self.update_visible()
            return
        for peer in self.progress:
            self.send_append(peer)
        self.maybe_commit()

    def on_flushed(self, offset: int) -> None:
        """The local log is fdatasync'ed up to `offset` (exclusive)."""
        offset = min(offset, self.log.next_offset)
        if offset <= self.flushed:
            return
        self.flushed = offset
        if self.role == R.leader:
            self.maybe_commit()
        else:
            self.follower_flushed()

    def follower_flushed(self) -> None:
        raise NotImplementedError
