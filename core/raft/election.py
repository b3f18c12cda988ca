"""Elections: prevote, vote, becoming leader, leadership transfer (timeout_now).

* A follower whose randomized election timer (election_timeout_ms plus up to as much
  again, from the injected RNG) expires runs a prevote first: it asks for votes for
  term + 1 without changing its term or vote, and voters refuse while they hear from a
  live leader. Only a prevote majority starts a real election, so a node cut off and
  healed does not force its peers into a new term (Redpanda always runs prevote).
* The real vote bumps the term and records the self-vote; voters persist the term and
  their vote before replying (Ready.persist precedes Ready.messages).
* A new leader appends its term-start meta entry (zero width, no Kafka offset) and
  commits it like any entry; committing it commits its predecessors' entries.
* Leadership transfer: writes stop, the target is brought up to the leader's log end,
  then timeout_now makes it campaign at once, skipping prevote and the lease check.
"""

from __future__ import annotations

from core.raft.state import Progress, RaftState
from core.raft.types import Role as R
from core.raft.types import TimeoutNow, VoteReply, VoteRequest


class Election(RaftState):
    # ---- timers ---------------------------------------------------------------------------------
    def tick_election(self) -> None:
        if self.role == R.leader:
            self._tick_leader()
        elif self.now_ms >= self.election_due_ms and self.node_id in self.voters:
            self.campaign()

    def _tick_leader(self) -> None:
        if self.transfer_target is not None and self.now_ms >= self.transfer_due_ms:
            self.transfer_target = None  # the target did not catch up in time: keep leading
        if self.now_ms >= self.quorum_check_due_ms:
            self.quorum_check_due_ms = self.now_ms + self.config.election_timeout_ms
            if not self._quorum_active():
                self.become_follower(self.term, None)  # cut off from a majority: step down
                return
        if self.now_ms >= self.heartbeat_due_ms:
            self.heartbeat_due_ms = self.now_ms + self.config.heartbeat_interval_ms
            self.heartbeat_round()

    def _quorum_active(self) -> bool:
        since = self.now_ms - self.config.election_timeout_ms
        alive = 1 + sum(1 for p in self.progress.values() if p.last_ack_ms >= since)
        return alive >= self.majority

    # ---- campaigning ----------------------------------------------------------------------------
    def campaign(self, *, transfer: bool = False) -> None:
        """Prevote (or, after timeout_now, vote at once) for term + 1."""
        if transfer:
            self._start_election(transfer=True)
            return
        self.role = R.pre_candidate
        self.leader_id = None
        self.votes = {self.node_id: True}
        self.reset_election_timer()
        if self._tally():
            return
        for peer in self.peers:
            self.send(VoteRequest(self.node_id, peer, self.term + 1, self.log.last, prevote=True))

    def _start_election(self, *, transfer: bool = False) -> None:
        self.term += 1
        self.voted_for = self.node_id
        self.role = R.candidate
        self.leader_id = None
        self.votes = {self.node_id: True}
        self.persist()
        self.reset_election_timer()
        if self._tally():
            return
        for peer in self.peers:
            self.send(VoteRequest(self.node_id, peer, self.term, self.log.last, transfer=transfer))

    def _tally(self) -> bool:
        """Act on the votes counted so far; True once decided."""
        granted = sum(1 for v in self.votes.values() if v)
        if granted >= self.majority:
            if self.role == R.pre_candidate:
                self._start_election()
            else:
                self.become_leader()
            return True
        if len(self.votes) - granted >= self.majority:
            self.become_follower(self.term, None)
            return True
        return False

    def become_leader(self) -> None:
        self.role = R.leader
        self.leader_id = self.node_id
        self.votes = {}
        self.out().leader_changed = True
        before = self.log.last
        self.leader_term_start = self.log.start_term(self.term, self.voters).offset
        self.persist()
        self.quorum_write_end = self.log.next_offset
        self.start_goal = max(self.start_goal, self.log.start_offset)
        self.serve_start = self.start_goal  # serving once applied (core.raft.log_start)
        self.progress = {p: Progress(next=before) for p in self.peers}
        self.heartbeat_due_ms = self.now_ms + self.config.heartbeat_interval_ms
        self.quorum_check_due_ms = self.now_ms + self.config.election_timeout_ms
        if self.flushed < self.log.next_offset:
            self.out().flush = True
        self.broadcast_append()
        self.maybe_commit()

    # ---- voting -----------------------------------------------------------------------------------
    def _log_ok(self, last: tuple[int, int]) -> bool:
        mine = self.log.last
        return (last[1], last[0]) >= (mine[1], mine[0])

    def on_vote_request(self, m: VoteRequest) -> None:
        if m.prevote:
            grant = m.term > self.term and self._log_ok(m.last) and not self.in_leader_lease()
            self.send(VoteReply(self.node_id, m.src, m.term if grant else self.term, grant, True))
            return
        if m.term > self.term and self.in_leader_lease() and not m.transfer:
            self.send(VoteReply(self.node_id, m.src, self.term, False))
            return
        if m.term > self.term:
            self.become_follower(m.term, None)
        grant = (
            m.term == self.term
            and self.voted_for in (None, m.src)
            and self.role != R.leader
            and self._log_ok(m.last)
        )
        if grant:
            if self.role != R.follower:
                self.become_follower(self.term, None)
            self.voted_for = m.src
            self.persist()
            self.reset_election_timer()
        self.send(VoteReply(self.node_id, m.src, self.term, grant, start=self.log.start_offset))

    def on_vote_reply(self, m: VoteReply) -> None:
        if m.prevote:
            if self.role == R.pre_candidate and m.term == self.term + 1 and m.granted:
                self.votes[m.src] = True
                self._tally()
            elif m.term > self.term and not m.granted:
                self.become_follower(m.term, None)
            elif self.role == R.pre_candidate and not m.granted:
                self.votes.setdefault(m.src, False)
                self._tally()
            return
        if m.term > self.term:
            self.become_follower(m.term, None)
            return
        if self.role == R.candidate and m.term == self.term:
            if m.granted and m.start > self.start_goal:  # core.raft.log_start
                self.start_goal = min(m.start, self.log.next_offset)
            self.votes.setdefault(m.src, m.granted)
            self._tally()

    # ---- leadership transfer --------------------------------------------------------------------
    def transfer_leadership(self, target: int) -> bool:
        """Start handing leadership to `target`; proposals are refused meanwhile."""
        if self.role != R.leader or target not in self.progress:
            return False
        self.transfer_target = target
        self.transfer_due_ms = self.now_ms + self.config.election_timeout_ms
        self.maybe_send_timeout_now()
        if self.transfer_target is not None:
            self.send_append(target)
        return True

    def maybe_send_timeout_now(self) -> None:
        target = self.transfer_target
        if target is None or self.progress[target].match != self.log.last:
            return
        self.send(TimeoutNow(self.node_id, target, self.term))

    def on_timeout_now(self, m: TimeoutNow) -> None:
        if m.term == self.term and self.role == R.follower and self.node_id in self.voters:
            self.campaign(transfer=True)
