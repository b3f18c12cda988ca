"""RaftCore: consensus for one group as a deterministic state machine with no I/O.

In etcd's "Ready" style: the driver feeds it messages (`step`), time (`tick`, from an
injected clock), local appends (`on_local_append`) and completed fdatasyncs
(`on_flushed`); after each call it takes a `Ready` (core.raft.types) saying what to
truncate, persist, append, flush and send, and what became committed and visible.
Randomness (election timeouts) comes from an injected seeded RNG, so a simulation
replays exactly. The driver must make `Ready.persist` durable before it sends that
Ready's messages (term and vote are persisted before any reply).

Parts: state.py (shared state, role changes), election.py (prevote, vote, transfer),
replication.py (AppendEntries on both sides), commit.py (commit and visibility),
meta_log.py (the zero-width meta entries: term starts and voter sets), config.py
(membership changes by joint consensus).
"""

from __future__ import annotations

import random

from core.raft.commit import Commit
from core.raft.config import Reconfig
from core.raft.election import Election
from core.raft.log_start import LogStart
from core.raft.meta_log import MetaLog
from core.raft.replication import Replication
from core.raft.state import RaftConfig, Reader
from core.raft.types import (
    AppendReply,
    AppendRequest,
    HardState,
    Message,
    Ready,
    Role,
    TermStart,
    TimeoutNow,
    VoteReply,
    VoteRequest,
)


class RaftCore(Election, Replication, Commit, LogStart, Reconfig):
    @classmethod
    def create(
        cls,
        node_id: int,
        voters: tuple[int, ...],
        hard: HardState,
        *,
        start_offset: int,
        next_offset: int,
        flushed_offset: int,
        now_ms: int,
        rng: random.Random,
        reader: Reader,
        config: RaftConfig | None = None,
    ) -> RaftCore:
        """Recover from durable state: meta entries past the durable data are dropped
        (they were never reported durable, see MetaLog)."""
        runs = [r for r in hard.runs if r.offset <= next_offset]
        configs = [c for c in hard.configs if c.offset <= next_offset]
        log = MetaLog(runs, start_offset, next_offset, configs)
        term = max([hard.term] + [r.term for r in runs])
        hard = HardState(term, hard.voted_for, tuple(runs), tuple(configs), hard.forced)
        return cls(
            node_id, voters, hard, log, flushed_offset, now_ms, rng, reader, config or RaftConfig()
        )

    # ---- inputs -----------------------------------------------------------------------------------
    def tick(self, now_ms: int) -> None:
        assert now_ms >= self.now_ms, "time does not run backwards"
        self.now_ms = now_ms
        self.tick_election()

    def expire_election_timer(self) -> None:
        """Campaign at the next tick (the preferred first voter of a fresh group)."""
        self.election_due_ms = self.now_ms

    def set_timeouts(self, election_timeout_ms: int, heartbeat_interval_ms: int) -> None:
        """New timer periods (the cluster's raft_* properties): timers armed later use them,
        and a timer armed further out than a new period allows is brought in."""
        config = self.config
        config.election_timeout_ms = election_timeout_ms
        config.heartbeat_interval_ms = heartbeat_interval_ms
        now = self.now_ms
        self.heartbeat_due_ms = min(self.heartbeat_due_ms, now + heartbeat_interval_ms)
        self.quorum_check_due_ms = min(self.quorum_check_due_ms, now + election_timeout_ms)
        self.election_due_ms = min(self.election_due_ms, now + 2 * election_timeout_ms)

    def set_now(self, now_ms: int) -> None:
        """Move the clock without running timers (before a light heartbeat or its answer)."""
        if now_ms > self.now_ms:
            self.now_ms = now_ms

    def step(self, m: Message) -> None:
        if m.term > self.term and not self._handled_by_vote(m):
            self.become_follower(m.term, m.src if isinstance(m, AppendRequest) else None)
        if m.term < self.term:
            if isinstance(m, AppendRequest):  # tell a stale leader about the new term
                self._reply(m, False, self.log.last)
            elif isinstance(m, VoteRequest):
                self.on_vote_request(m)
            return
        if isinstance(m, AppendRequest):
            self.on_append_request(m)
        elif isinstance(m, AppendReply):
            self.on_append_reply(m)
        elif isinstance(m, VoteRequest):
            self.on_vote_request(m)
        elif isinstance(m, VoteReply):
            self.on_vote_reply(m)
        elif isinstance(m, TimeoutNow):
            self.on_timeout_now(m)

    def _handled_by_vote(self, m: Message) -> bool:
        """Vote traffic decides itself whether a higher term is adopted (prevote, lease)."""
        if isinstance(m, VoteRequest):
            return True
        return isinstance(m, VoteReply) and m.prevote

    # ---- outputs ----------------------------------------------------------------------------------
    @property
    def has_ready(self) -> bool:
        return self._ready is not None

    def take_ready(self) -> Ready | None:
        ready, self._ready = self._ready, None
        return ready

    # ---- queries ----------------------------------------------------------------------------------
    @property
    def is_leader(self) -> bool:
        return self.role == Role.leader

    @property
    def can_propose(self) -> bool:
        return self.role == Role.leader and self.transfer_target is None

    @property
    def serving(self) -> bool:
        """Leader whose term start has committed: its high watermark may be shown; and
        which applied the largest log start its voters held (core.raft.log_start)."""
        return (
            self.role == Role.leader
            and self.commit >= self.term_start
            and self.log.start_offset >= self.serve_start
        )

    @property
    def next_timer_ms(self) -> int:
        """When `tick` next has something to do (a driver may sleep until then)."""
        if self.role != Role.leader:
            return self.election_due_ms
        due = min(self.heartbeat_due_ms, self.quorum_check_due_ms)
        return min(due, self.transfer_due_ms) if self.transfer_target is not None else due

    @property
    def runs(self) -> list[TermStart]:
        return self.log.runs

    def hard_state(self) -> HardState:
        log = self.log
        return HardState(
            self.term, self.voted_for, tuple(log.runs), tuple(log.configs), self.forced
        )

    def local_truncate(self, offset: int) -> None:
        """Cut the local log at data offset `offset` (a leader's own uncommitted tail)."""
        self.truncate_log(self.log.position_at(offset))
