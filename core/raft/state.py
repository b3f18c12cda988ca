"""The state every part of the Raft core shares, and the transitions between roles."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from core.raft.meta_log import NO_POSITION, MetaLog
from core.raft.recovery_throttle import RecoveryThrottle
from core.raft.types import (
    AppendRequest,
    Config,
    Entry,
    HardState,
    Message,
    Position,
    Ready,
    Role,
)

# reader(from_offset, max_bytes) -> the data entries of the local log from that offset
Reader = Callable[[int, int], list[Entry]]


@dataclass(slots=True)
class RaftConfig:
    election_timeout_ms: int = 1500  # Redpanda's raft_election_timeout_ms
    heartbeat_interval_ms: int = 150  # Redpanda's raft_heartbeat_interval_ms
    max_append_bytes: int = 1024 * 1024  # data bytes in one AppendEntries
    max_inflight: int = 4  # unanswered AppendEntries per follower while replicating
    # idle followers get light heartbeats (no log position, no message object) instead of
    # empty AppendRequests; the driver's transport must carry them
    light_heartbeats: bool = False  # RaftState.light_out
    # a leader whose followers are all idle (light heartbeats) heartbeats every this many
    # heartbeat intervals, at most every election_timeout_ms / 4 (RaftGroups: 3; 1: never)
    idle_heartbeat_factor: int = 1
    # bytes/s learners may take from this node (core.raft.recovery_throttle; None: unlimited),
    # one object shared by every group of a node
    learner_throttle: RecoveryThrottle | None = None
    # the state machine's payload for a snapshot at this log start (the leader calls it when it
    # sends one; core.raft.log_start), None: snapshots carry none
    snapshot_state: Callable[[int], bytes] | None = None
    # the largest log start this replica may apply by itself (not by installing a snapshot):
    # the controller's latest durable snapshot + 1, so a restart can replay what follows it
    # (core.raft.log_start); None: no limit (partitions)
    start_limit: Callable[[], int] | None = None


@dataclass(slots=True)
class Progress:
    """The leader's view of one follower."""

    next: Position  # send entries after this position
    match: Position = NO_POSITION  # the follower's log agrees with ours up to here
    flushed: int = 0  # the follower's fdatasync'ed offset (as reported)
    dirty: int = 0
    probing: bool = True  # next is a guess: one request at a time until it is confirmed
    inflight: int = 0
    seq: int = 0  # of the last request sent
    reject_floor: int = 0  # rejections of requests up to this seq are stale
    last_ack_ms: int = -(10**12)
    acked_seq: int = 0  # of the last request answered with success
    sent_commit: int = -1  # the commit index the last request carried
    sent_visible: int = -1  # the high watermark the last request carried
    start: int = 0  # the follower's log start offset (as reported)


class RaftState:
    def __init__(
        self,
        node_id: int,
        voters: tuple[int, ...],
        hard: HardState,
        log: MetaLog,
        flushed_offset: int,
        now_ms: int,
        rng: random.Random,
        reader: Reader,
        config: RaftConfig,
    ) -> None:
        self.node_id = node_id
        self.bootstrap = Config(tuple(voters))  # the configuration of a log that has none
        self.forced: Config | None = hard.forced  # force_voters, until written in the log
        self.membership = self.bootstrap  # the configuration in force (core.raft.config)
        self.voters: tuple[int, ...] = self.bootstrap.voting
        self._sets: tuple[tuple[int, ...], ...] = ((),)
        self.config_committed: Position = NO_POSITION  # leader: config entries committed to here
        # leader: the latest configuration seen committed in this leadership (kept after a
        # removed leader steps down: its change_voters succeeded)
        self.config_done: Config | None = None
        self.config_goal: tuple[int, ...] | None = None  # leader: voters to move to next
        self.removal_known = False  # we led the commit of a configuration without us
        self.durable_meta: Position = NO_POSITION  # leader: our meta log is durable up to here
        self.term = hard.term
        self.voted_for = hard.voted_for
        self.log = log
        self.flushed = min(flushed_offset, log.next_offset)
        self.now_ms = now_ms
        self.rng = rng
        self.reader = reader
        self.config = config
        self.role = Role.follower
        self.leader_id: int | None = None
        self.commit = 0  # one past the last committed offset (data offsets)
        self.visible = 0  # the high watermark: never decreases, except by truncation
        self.majority_dirty = 0
        self.quorum_write_end = 0  # one past the last acks=all write of this term
        self.votes: dict[int, bool] = {}
        self.progress: dict[int, Progress] = {}
        self.election_due_ms = 0
        self.heartbeat_due_ms = 0
        self.timer_earlier = False  # a timer moved earlier than the driver may have scheduled
        self.quorum_check_due_ms = 0
        self.leader_contact_ms = -(10**12)
        self.leader_match: Position = NO_POSITION  # follower: end of the last accepted append
        self.leader_seq = 0
        self.leader_commit = 0
        self.transfer_target: int | None = None
        self.may_campaign = True  # False: never campaigns, refuses timeout_now (maintenance)
        self.transfer_due_ms = 0
        self._ready: Ready | None = None  # created by the first output of a step
        # peers owed a light heartbeat (RaftConfig.light_heartbeats), outside Ready so that an
        # idle leader's round creates nothing: the driver sends them, at `term`, and clears it
        self.light_out: list[int] = []
        self.leader_term_start = 0  # where this leader's term starts (cached: hot path)
        self.start_goal = log.start_offset  # leader: the log start to replicate (log_start)
        self.leader_start = 0  # follower: the start its leader last sent
        self.serve_start = 0  # leader: the start it must apply before it serves
        self.refresh_config()
        self.reset_election_timer()

    # ---- helpers shared by the parts -------------------------------------------------------------
    def refresh_config(self) -> None:
        """The configuration in force: forced, else the log's latest, else the bootstrap one."""
        config = self.forced or self.log.config() or self.bootstrap
        self.membership = config
        self.voters = config.voting
        self._sets = config.quorum_sets

    @property
    def majority(self) -> int:
        """A majority of the (new) voters (one set; quorum() handles joint configurations)."""
        return len(self.membership.voters) // 2 + 1

    @property
    def peers(self) -> list[int]:
        """The nodes this one replicates to as leader (voters, old voters, learners)."""
        return [v for v in self.membership.members if v != self.node_id]

    def quorum(self, value: dict[int, int]) -> int | None:
        """The largest value that a majority of every voter set (both while joint) holds at
        least; `value` maps nodes to what they hold (absent: nothing)."""
        best: int | None = None
        for voters in self._sets:
            held = sorted((value[v] for v in voters if v in value), reverse=True)
            need = len(voters) // 2 + 1
            if len(held) < need:
                return None
            q = held[need - 1]
            best = q if best is None else min(best, q)
        return best

    def has_quorum(self, nodes: set[int] | dict[int, bool]) -> bool:
        """`nodes` hold a majority of every voter set."""
        for voters in self._sets:
            if sum(1 for v in voters if v in nodes) < len(voters) // 2 + 1:
                return False
        return True

    @property
    def term_start(self) -> int:
        if self.role == Role.leader:
            return self.leader_term_start
        start = self.log.run_start(self.term)
        return start if start is not None else self.log.next_offset

    def out(self) -> Ready:
        ready = self._ready
        if ready is None:
            ready = self._ready = Ready()
        return ready

    def send(self, msg: Message) -> None:
        self.out().messages.append(msg)

    def persist(self) -> None:
        log = self.log
        self.out().persist = HardState(
            self.term, self.voted_for, tuple(log.runs), tuple(log.configs), self.forced
        )

    def reset_election_timer(self) -> None:
        # Redpanda's timeout_jitter: the base plus up to half of it (random() is cheaper than
        # randrange: hot path). A full base of jitter put failover at ~2.9 s median.
        base = self.config.election_timeout_ms
        self.election_due_ms = self.now_ms + base + int(self.rng.random() * base * 0.5)

    def in_leader_lease(self) -> bool:
        """Heard from a live leader within the minimum election timeout."""
        if self.role == Role.leader:
            return True
        recent = self.now_ms - self.leader_contact_ms < self.config.election_timeout_ms
        return self.leader_id is not None and recent

    def become_follower(self, term: int, leader_id: int | None) -> None:
        was_leader = self.role == Role.leader
        if term > self.term:
            self.term = term
            self.voted_for = None
            self.persist()
        if self.role != Role.follower or self.leader_id != leader_id:
            self.out().leader_changed = True
        self.role = Role.follower
        self.leader_id = leader_id
        self.progress = {}
        self.votes = {}
        self.transfer_target = None
        if leader_id is None or was_leader:
            self.leader_match = NO_POSITION
        self.reset_election_timer()

    # ---- implemented by the parts ----------------------------------------------------------------
    def broadcast_append(self) -> None:
        raise NotImplementedError

    def send_append(self, peer: int, *, heartbeat: bool = False) -> None:
        raise NotImplementedError

    def heartbeat_round(self) -> bool:
        raise NotImplementedError

    def maybe_commit(self) -> None:
        raise NotImplementedError

    def maybe_send_timeout_now(self) -> None:
        raise NotImplementedError

    def maybe_commit_config(self) -> None:
        raise NotImplementedError

    def sync_progress(self) -> None:
        raise NotImplementedError

    def append_config(self, config: Config) -> None:
        raise NotImplementedError

    def stranger_vote(self, src: int, last: Position) -> bool:
        raise NotImplementedError

    def electable(self) -> bool:
        raise NotImplementedError

    def adopt_start(self, p: Progress, start: int) -> None:
        raise NotImplementedError

    def follow_start(self) -> None:
        raise NotImplementedError

    def needs_snapshot(self, p: Progress) -> bool:
        raise NotImplementedError

    def snapshot_request(self, peer: int, p: Progress) -> Message:
        raise NotImplementedError

    def install_snapshot(self, m: AppendRequest) -> bool:
        raise NotImplementedError
