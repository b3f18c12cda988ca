"""The messages and outputs of the Raft core (core.raft.raft.RaftCore).

Positions. The log holds two kinds of entries: data batches, which take Kafka offsets
(`base`..`last`), and zero-width meta entries (a term start, later a voter set), which
take none. A position is `(offset, term)`: the end of a log prefix, i.e. one past the
last offset it holds and the term of its last entry. A data entry ends at
`(last + 1, term)`, the meta entry that starts term T at offset s ends at `(s, T)`.
Terms never decrease along a log, so positions compare as tuples, and one leader
writes every entry of its term, so `(offset, term)` names one prefix in every log
that holds it (Raft's log matching property, with offsets in place of indexes).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

# (offset, term) or, at a configuration entry, (offset, term, seq): the end of a log prefix.
# Canonical form: seq 0 is left out, so every position without configuration entries is the
# pair it always was, and tuples compare in log order: (c, T) < (c, T, 1) < (c, T, 2) <
# (c + 1, T) < ... (core.raft.config).
Position = tuple[int, ...]


class Role(enum.Enum):
    follower = 0
    pre_candidate = 1
    candidate = 2
    leader = 3


@dataclass(slots=True, frozen=True)
class Config:
    """A group's configuration (core.raft.config). States:

    * stable: `voters` only;
    * learners: `voters` vote, `learners` (not voting, not counted) catch up, and `target`
      is the voter set the group moves to once they have;
    * joint: C(`old`, `voters`): commit and election need a majority of both.
    """

    voters: tuple[int, ...]
    old: tuple[int, ...] = ()
    learners: tuple[int, ...] = ()
    target: tuple[int, ...] = ()

    @property
    def state(self) -> str:
        if self.old:
            return "joint"
        return "learners" if self.target else "stable"

    @property
    def voting(self) -> tuple[int, ...]:
        """Every node whose vote counts (both sets while joint)."""
        if not self.old:
            return self.voters
        return self.voters + tuple(n for n in self.old if n not in self.voters)

    @property
    def members(self) -> tuple[int, ...]:
        """Every node the leader replicates to (voters, old voters and learners)."""
        voting = self.voting
        return voting + tuple(n for n in self.learners if n not in voting)

    @property
    def quorum_sets(self) -> tuple[tuple[int, ...], ...]:
        return (self.voters, self.old) if self.old else (self.voters,)


@dataclass(slots=True, frozen=True)
class ConfigAt:
    """A zero-width configuration entry: `config` in force from offset `offset` of term
    `term`; `seq` ranks it among the configuration entries at that offset in that term."""

    term: int
    offset: int
    seq: int
    config: Config

    @property
    def position(self) -> Position:
        return (self.offset, self.term, self.seq)


@dataclass(slots=True, frozen=True)
class Entry:
    """A data batch (`last >= base`) or a zero-width meta entry (`last == base - 1`)."""

    term: int
    base: int
    last: int
    # data: the batch bytes as the leader wrote them; meta: a term start's voters, or the
    # ConfigAt of a configuration entry
    payload: Any = None

    @property
    def is_meta(self) -> bool:
        return self.last < self.base

    @property
    def end(self) -> Position:
        payload = self.payload
        if self.last < self.base and isinstance(payload, ConfigAt):
            return (self.base, self.term, payload.seq)
        return (self.last + 1, self.term)


@dataclass(slots=True, frozen=True)
class TermStart:
    """A zero-width meta entry: term `term` starts at offset `offset` with `voters`."""

    term: int
    offset: int
    voters: tuple[int, ...]


# ---- messages ---------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class VoteRequest:
    src: int
    dst: int
    term: int  # a prevote carries the term the candidate would take, unchanged on both sides
    last: Position
    prevote: bool = False
    transfer: bool = False  # sent after timeout_now: voters skip the leader-lease check


@dataclass(slots=True, frozen=True)
class VoteReply:
    src: int
    dst: int
    term: int
    granted: bool
    prevote: bool = False
    start: int = 0  # the voter's log start offset (a new leader serves from at least it)


@dataclass(slots=True, frozen=True)
class AppendRequest:
    src: int
    dst: int
    term: int
    prev: Position
    entries: tuple[Entry, ...]
    commit: int  # the leader's commit offset (one past the last committed offset)
    visible: int  # the leader's high watermark
    seq: int  # per-follower sequence: replies to older requests are recognised
    start: int = 0  # the leader's log start offset goal (DeleteRecords, retention)
    # non-empty: a snapshot (core.raft.log_start): `prev` is the leader's log start and
    # these its term starts below it
    snapshot: tuple[TermStart, ...] = ()
    # a snapshot's configuration: the leader's latest configuration entry at or before `prev`
    snapshot_configs: tuple[ConfigAt, ...] = ()
    # a snapshot's state-machine payload (RaftConfig.snapshot_state; opaque here)
    snapshot_state: bytes = b""


@dataclass(slots=True, frozen=True)
class AppendReply:
    src: int
    dst: int
    term: int
    success: bool
    match: Position  # success: the end of the request; failure: the follower's hint
    flushed: int  # one past the follower's last fdatasync'ed offset
    dirty: int  # the follower's log end offset
    seq: int
    start: int = 0  # the follower's log start offset (durable: applied before the reply)


@dataclass(slots=True, frozen=True)
class TimeoutNow:
    src: int
    dst: int
    term: int


Message = VoteRequest | VoteReply | AppendRequest | AppendReply | TimeoutNow


# ---- outputs ----------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class HardState:
    """What must be durable before the messages of the same Ready are sent."""

    term: int
    voted_for: int | None
    runs: tuple[TermStart, ...]  # the meta log: every term start still in the log
    configs: tuple[ConfigAt, ...] = ()  # and every configuration entry (core.raft.config)
    forced: Config | None = None  # a forced configuration not yet in the log (force_voters)


@dataclass(slots=True)
class Ready:
    """One step's work for the driver, in this order:

    1. `truncate_to`: cut the data log at this offset (a divergent suffix; never below
       commit). Fail the waiters of entries at or past it (retriable); the layer above
       rebuilds producer state from a snapshot at or below `commit`.
    2. `persist`: write term, vote and meta log durably (before any message below).
    3. `append`: write these data entries (the leader's bytes, as they are).
    3b. `start_to`: prefix-truncate the data log to this offset, durably, before any message
       below (the log start offset is replicated state: core.raft.log_start).
    4. `flush`: start an fdatasync of the data log; report it with `on_flushed`.
    5. `messages`: send.
    6. `committed` / `visible` / `majority_dirty`: release waiters, wake readers.
    7. `commit_news` (a leader's commit moved): call `RaftCore.send_commit()` soon, so the
       followers learn the new commit without waiting for a heartbeat; a driver may defer
       it to the end of its loop iteration so that several moves cost one message per
       follower (etcd broadcasts an append whenever its leader's commit advances).
    """

    truncate_to: int | None = None
    start_to: int | None = None
    persist: HardState | None = None
    append: list[Entry] = field(default_factory=list)
    flush: bool = False
    messages: list[Message] = field(default_factory=list)
    committed: int | None = None
    visible: int | None = None
    majority_dirty: int | None = None
    leader_changed: bool = False
    commit_news: bool = False
    # 3b's snapshot payload (AppendRequest.snapshot_state): installed before the start moves
    snapshot_state: bytes | None = None
