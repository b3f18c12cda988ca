"""The log start offset as replicated state (DeleteRecords, retention), and snapshots.

Kafka's DeleteRecords moves a partition's log start offset; Kafka answers it with the low
watermark once the replicas have it, and a new leader must never show a start below one a
client was told. Here the start offset travels beside the log, not in it (a meta entry
would share its `(offset, term)` position with the data entry before it):

* The leader keeps a goal, `start_goal` (DeleteRecords, or its retention), and sends it in
  every AppendRequest (`start`). A follower applies `min(start, its commit)`: it never
  drops what it has not committed, and what it commits every later leader holds. It
  applies durably (Ready.start_to precedes the reply) and reports its start in every
  AppendReply.
* The leader applies a goal to its own log only once a majority (itself counted) holds
  it, as it commits entries: until then reads below it still succeed, and once it is
  applied (what clients see: ListOffsets earliest, Fetch log_start_offset) a majority has it.
* A new leader adopts the largest start its followers report in successful replies. It
  serves (its term start commits) only after a majority replied in its term, and that
  majority meets every majority that held an applied start: so the start clients see
  never goes backwards across a failover, nor across restarts (applied starts are durable).
* Snapshots: a follower whose log ends below the leader's start cannot be sent the
  entries it lacks (they are gone). The leader sends it a snapshot instead: an
  AppendRequest whose `prev` is the position at the leader's start and whose `snapshot`
  lists the leader's term starts below it; a follower lacking `prev` drops its whole log
  (nothing in it is committed past `prev`) and restarts it empty at the leader's start.
* The start may fall inside a batch (DeleteRecords takes any offset). A snapshot is then
  taken at the base of the leader's batch holding its start (`snapshot_offset`), so the
  follower's log restarts at a batch boundary and the leader sends that batch next; the
  follower moves its start on to the leader's once it committed it, as any follower.
* A group may limit the start a replica applies by itself (`RaftConfig.start_limit`: the
  controller, whose replicas may move their start only up to their own latest durable
  snapshot + 1, or a restart could not replay the gap). A replica held back applies the
  rest when a later request (or reply, on a leader) finds the limit moved; a leader held back
  serves at its limit (its own start is all it can apply). Installing a snapshot is not
  limited: the payload brings the state.
* A snapshot also carries the state machine's payload at the leader's start
  (`RaftConfig.snapshot_state`, opaque here: a partition's producer state,
  core.cluster.producer_snapshot). The follower's driver hands it to the state machine
  (Ready.snapshot_state) before it moves the log start, in the same step: a replica never has
  the new start without the state that goes with it.
"""

from __future__ import annotations

from core.raft.meta_log import NO_POSITION
from core.raft.state import Progress, RaftState
from core.raft.types import AppendRequest, Position
from core.raft.types import Role as R


class LogStart(RaftState):
    # (log start, the base of the batch holding it): snapshot_offset's cache
    _snapshot_base: tuple[int, int] = (-1, 0)

    # ---- leader -----------------------------------------------------------------------------------
    def propose_start(self, offset: int) -> None:
        """Make `offset` (at most the log end) the group's log start: applied here once a
        majority holds it (at once for a single voter)."""
        assert self.role == R.leader
        offset = min(offset, self.log.next_offset)
        if offset > self.start_goal:
            self.start_goal = offset
        self.maybe_apply_start()
        for peer, p in self.progress.items():
            if p.start < self.start_goal and not p.probing:
                self.send_append(peer, heartbeat=True)

    def adopt_start(self, p: Progress, start: int) -> None:
        """A follower of this term reports its start (a successful reply)."""
        if start > p.start:
            p.start = start
        if start > self.start_goal:
            self.start_goal = min(start, self.log.next_offset)
        self.maybe_apply_start()

    def maybe_apply_start(self) -> None:
        if self.role != R.leader:
            return
        limit = self.config.start_limit
        if limit is not None:  # serve once at the largest start we may apply (the controller)
            self.serve_start = min(self.serve_start, max(self.log.start_offset, limit()))
        if self.start_goal <= self.log.start_offset:
            return
        values = {n: p.start for n, p in self.progress.items()}
        values[self.node_id] = self.start_goal
        quorum = self.quorum(values)
        if quorum is None:
            return
        held = min(quorum, self.start_goal, self.log.next_offset)
        if held > self.log.start_offset:
            self.apply_start(held)

    def apply_start(self, offset: int) -> None:
        limit = self.config.start_limit
        if limit is not None:
            offset = min(offset, limit())
            if offset <= self.log.start_offset:
                return  # applied by a later call, once the limit moved (a later request)
        self.log.start_offset = offset
        self.log.trim_configs(offset)
        self.out().start_to = offset

    def needs_snapshot(self, p: Progress) -> bool:
        """The follower's next entries are below our log start (gone), or it shares no
        term start with us while our log no longer starts at 0."""
        start = self.log.start_offset
        behind = p.next[0] < start and p.next[0] < self.snapshot_offset()
        return behind or (p.next[1] < 0 < start)

    def snapshot_offset(self) -> int:
        """Where a snapshot puts a follower's log: the base of our batch holding the log start
        (the start itself at a batch boundary or the log end)."""
        start = self.log.start_offset
        cached, base = self._snapshot_base
        if cached != start:
            base = start
            if start < self.log.next_offset:
                entries = self.reader(start, 1)
                if entries and entries[0].base <= start:
                    base = entries[0].base
            self._snapshot_base = (start, base)
        return base

    def snapshot_request(self, peer: int, p: Progress) -> AppendRequest:
        start = self.snapshot_offset()
        prev: Position = (start, self.log.term_of_offset(start - 1))
        runs = tuple(r for r in self.log.runs if r.offset < start)
        config = self.log.config_at_or_before(prev)
        source = self.config.snapshot_state
        state = source(start) if source is not None else b""
        p.next = prev
        p.probing = True
        return AppendRequest(
            self.node_id,
            peer,
            self.term,
            prev,
            (),
            self.commit,
            self.visible,
            p.seq,
            self.start_goal,
            runs,
            (config,) if config is not None else (),
            state,
        )

    # ---- follower ---------------------------------------------------------------------------------
    def follow_start(self) -> None:
        """Apply the leader's start up to our commit (never what we have not committed)."""
        target = min(self.leader_start, self.commit)
        if target > self.log.start_offset:
            self.apply_start(target)

    def install_snapshot(self, m: AppendRequest) -> bool:
        """The leader's log starts at `m.prev`, which we lack: drop our log and start it
        empty there. Refused (False) if we committed past it or our log starts after it."""
        offset = m.prev[0]
        if self.commit > offset or self.log.start_offset > offset:
            return False
        old_start, had_data = self.log.start_offset, self.log.next_offset > self.log.start_offset
        self.log.reset(list(m.snapshot), offset, list(m.snapshot_configs))
        self.refresh_config()
        self.persist()
        out = self.out()
        if had_data:
            out.truncate_to = (
                old_start if out.truncate_to is None else min(out.truncate_to, old_start)
            )
        out.start_to = offset
        out.snapshot_state = m.snapshot_state
        self.flushed = offset
        self.majority_dirty = self.quorum_write_end = offset
        self.leader_match = NO_POSITION
        if offset > self.commit:
            self.commit = offset
            out.committed = offset
        if offset > self.visible:
            self.visible = offset
            out.visible = offset
        return True
