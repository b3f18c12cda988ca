"""ConsensusView: what the layer above reads of a Consensus (offsets, terms, roles), the
flush policy it sets and the listeners it adds; Consensus (core.raft.consensus) is the
driver that owns the state."""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Callable
from typing import Any

from core.raft.commit_waiters import CommitWatch
from core.raft.raft import RaftCore
from core.raft.types import Role
from core.storage.flush import FlushTarget


class ConsensusView:
    core: RaftCore | None
    log: Any
    flush_target: FlushTarget
    _voters: tuple[int, ...]
    _closed: bool
    _visible_listeners: list[Callable[[], None]]
    _leader_listeners: list[Callable[[int, int | None], None]]
    _truncate_listeners: list[Callable[[int], None]]
    _start_listeners: list[Callable[[int], None]]
    _commit_watch: CommitWatch

    # ---- flush policy (storage's; kept here for the layer above) -------------------------------
    @property
    def write_caching(self) -> bool:
        return self.flush_target.policy.write_caching

    @write_caching.setter
    def write_caching(self, value: bool) -> None:
        self.flush_target.policy.write_caching = value

    @property
    def flush_delay_ms(self) -> int:
        return self.flush_target.policy.flush_ms

    @flush_delay_ms.setter
    def flush_delay_ms(self, value: int) -> None:
        self.flush_target.policy.flush_ms = value

    @property
    def flush_bytes_max(self) -> int:
        return self.flush_target.policy.flush_bytes

    @flush_bytes_max.setter
    def flush_bytes_max(self, value: int) -> None:
        self.flush_target.policy.flush_bytes = value

    @property
    def pending_flush_bytes(self) -> int:
        return self.flush_target.pending_bytes

    # ---- queries ---------------------------------------------------------------------------------
    @property
    def multi_voter(self) -> bool:
        """More than one member (voters and learners; before start: the voters given)."""
        if self.core is not None:
            return len(self.core.membership.members) > 1
        return len(self._voters) > 1

    @property
    def campaigning(self) -> bool:
        """A prevote or vote of ours is under way."""
        return self.core is not None and self.core.role in (Role.pre_candidate, Role.candidate)

    @property
    def next_timer_ms(self) -> int:
        """When `tick` next has something to do (monotonic ms)."""
        return self.core.next_timer_ms if self.core is not None else 0

    # ---- offsets -------------------------------------------------------------------------------
    @property
    def is_leader(self) -> bool:
        return self.core is not None and self.core.is_leader and not self._closed

    @property
    def serving(self) -> bool:
        """Leader whose term start committed: until then a new leader's high watermark may lag
        what its predecessor showed, so the layer above answers with retriable errors."""
        return self.core is not None and self.core.serving and not self._closed

    @property
    def term(self) -> int:
        return self.core.term if self.core is not None else -1

    @property
    def voted_for(self) -> int | None:
        return self.core.voted_for if self.core is not None else None

    @property
    def leader_id(self) -> int | None:
        return self.core.leader_id if self.core is not None else None

    @property
    def voters(self) -> list[int]:
        """The nodes whose votes count: the configuration's voters (both sets while joint,
        core.raft.config); before start, the voters given."""
        if self.core is not None:
            return list(self.core.membership.voting)
        return list(self._voters)

    @property
    def term_history(self) -> list[tuple[int, int]]:
        """(term, first offset) of each term still in the log, ascending."""
        return [(r.term, r.offset) for r in self.core.runs] if self.core is not None else []

    @property
    def commit_offset(self) -> int:
        """One past the last committed offset."""
        return self.core.commit if self.core is not None else 0

    @property
    def dirty_offset(self) -> int:
        return self.log.next_offset

    @property
    def visible_offset(self) -> int:
        """One past the last offset readers may see (the high watermark).

        Relaxed (acks=1 / write-caching) writes are visible once a majority appended them
        (one voter: at append); an acks=all write is never visible before it commits, and
        neither is anything after it. What was once visible stays visible: the bound only
        grows (Redpanda's visibility upper bound), whatever the mix of acks.
        """
        return self.core.visible if self.core is not None else 0

    def term_at(self, offset: int) -> int:
        history = self.term_history
        i = bisect.bisect_right([o for _, o in history], offset) - 1
        return history[i][0] if i >= 0 else -1

    def end_offset_for_term(self, term: int) -> tuple[int, int]:
        """(largest term <= `term`, its end offset), as OffsetForLeaderEpoch answers."""
        history = self.term_history
        best = -1
        for i, (t, _) in enumerate(history):
            if t > term:
                return (best, history[i][1]) if best >= 0 else (-1, -1)
            best = t
        return (best, self.log.next_offset) if best >= 0 else (-1, -1)

    # ---- listeners -------------------------------------------------------------------------------
    def add_visible_listener(self, fn: Callable[[], None]) -> None:
        """Called whenever the high watermark moves (fetch long polls)."""
        self._visible_listeners.append(fn)

    def add_leader_listener(self, fn: Callable[[int, int | None], None]) -> None:
        """Called with (term, leader id or None) whenever either changes (after the step
        that changed it was applied: persisted, messages sent, waiters released or failed)."""
        self._leader_listeners.append(fn)

    def add_commit_listener(self, fn: Callable[[int], None]) -> None:
        """Called with the new commit offset (one past the last committed offset) whenever it
        moves, on the leader and on followers, after the step that moved it was applied."""
        self._commit_watch.add_listener(fn)

    def wait_committed(
        self, offset: int, *, keep_on_truncate: bool = False
    ) -> asyncio.Future[None]:
        """A future resolving once commit_offset > `offset` (at once if it already is).

        It fails with RaftError: term_changed when this replica's log is cut at or below
        `offset` (unless `keep_on_truncate`: a follower waiting for an offset its leader
        reported committed), shutting_down when the replica closes. Bound the wait with
        asyncio.wait_for; a cancelled future is forgotten (core.raft.commit_waiters)."""
        return self._commit_watch.wait(offset, keep_on_truncate=keep_on_truncate)

    def add_start_listener(self, fn: Callable[[int], None]) -> None:
        """Called with the new log start offset after it was applied (durably) here."""
        self._start_listeners.append(fn)

    def add_truncate_listener(self, fn: Callable[[int], None]) -> None:
        """Called with the cut offset after a divergent suffix was truncated: the layer
        above rebuilds producer state from a snapshot at or below the commit offset."""
        self._truncate_listeners.append(fn)
