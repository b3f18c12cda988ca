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

from core.raft.meta_log import NO_POSITION
from core.raft.state import Progress, RaftState
from core.raft.types import Position, TimeoutNow, VoteReply, VoteRequest
from core.raft.types import Role as R


class Election(RaftState):
    # ---- timers ---------------------------------------------------------------------------------
    def tick_election(self) -> None:
        if self.role == R.leader:
            self._tick_leader()
        elif self.now_ms >= self.election_due_ms:
            if self.may_campaign and self.electable():
                self.campaign()
            else:
                self.reset_election_timer()  # a learner, a removed node, maintenance

    def _tick_leader(self) -> None:
        if self.transfer_target is not None and self.now_ms >= self.transfer_due_ms:
            self.transfer_target = None  # the target did not catch up in time: keep leading
        if self.now_ms >= self.quorum_check_due_ms:
            self.quorum_check_due_ms = self.now_ms + self.config.election_timeout_ms
            if not self._quorum_active():
                self.become_follower(self.term, None)  # cut off from a majority: step down
                return
        if self.now_ms >= self.heartbeat_due_ms:
            config = self.config
            period = config.heartbeat_interval_ms
            if self.heartbeat_round() and config.idle_heartbeat_factor > 1:
                # every follower idle: light heartbeats, less often (still 4 per timeout)
                idle = min(config.idle_heartbeat_factor * period, config.election_timeout_ms // 4)
                period = max(period, idle)
            self.heartbeat_due_ms = self.now_ms + period

    def _quorum_active(self) -> bool:
        since = self.now_ms - self.config.election_timeout_ms
        alive = {n for n, p in self.progress.items() if p.last_ack_ms >= since}
        alive.add(self.node_id)
        return self.has_quorum(alive)

    # ---- campaigning ----------------------------------------------------------------------------
    def campaign(self, *, transfer: bool = False) -> None:
        """Prevote (or, after timeout_now, vote at once) for term + 1."""
        if not self.electable():
            return  # a learner or a node known removed never campaigns
        if transfer:
            self._start_election(transfer=True)
            return
        self.role = R.pre_candidate
        self.leader_id = None
        self.votes = {self.node_id: True}
        self.reset_election_timer()
        if self._tally():
            return
        for peer in self._electors():
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
        for peer in self._electors():
            self.send(VoteRequest(self.node_id, peer, self.term, self.log.last, transfer=transfer))

    def _electors(self) -> list[int]:
        return [v for v in self.voters if v != self.node_id]

    def _tally(self) -> bool:
        """Act on the votes counted so far (a majority of each voter set wins); True once
        decided."""
        granted = {n for n, v in self.votes.items() if v}
        if self.has_quorum(granted):
            if self.role == R.pre_candidate:
                self._start_election()
            else:
                self.become_leader()
            return True
        refused = {n for n, v in self.votes.items() if not v}
        for voters in self.membership.quorum_sets:
            if sum(1 for v in voters if v in refused) > len(voters) - (len(voters) // 2 + 1):
                self.become_follower(self.term, None)  # this set's majority is out of reach
                return True
        return False

    def become_leader(self) -> None:
        self.role = R.leader
        self.leader_id = self.node_id
        self.votes = {}
        self.out().leader_changed = True
        before = self.log.last
        self.leader_term_start = self.log.start_term(self.term, self.membership.voters).offset
        self.persist()
        self.quorum_write_end = self.log.next_offset
        self.start_goal = max(self.start_goal, self.log.start_offset)
        self.serve_start = self.start_goal  # serving once applied (core.raft.log_start)
        self.config_committed = NO_POSITION
        self.config_done = None
        self.config_goal = None
        self.progress = {p: Progress(next=before) for p in self.peers}
        self.heartbeat_due_ms = self.now_ms + self.config.heartbeat_interval_ms
        self.quorum_check_due_ms = self.now_ms + self.config.election_timeout_ms
        if self.flushed < self.log.next_offset:
            self.out().flush = True
        if self.forced is not None:  # force_voters: written as our first configuration entry
            self.append_config(self.forced)
        self.broadcast_append()
        self.maybe_commit()

    # ---- voting -----------------------------------------------------------------------------------
    def _log_ok(self, last: Position) -> bool:
        mine = self.log.last
        return (last[1], last[0], *last[2:]) >= (mine[1], mine[0], *mine[2:])

    def on_vote_request(self, m: VoteRequest) -> None:
        if self.stranger_vote(m.src, m.last):  # core.raft.config: a removed node
            self.send(VoteReply(self.node_id, m.src, self.term, False, m.prevote))
            return
        if m.prevote:
            lease = self.in_leader_lease()
            grant = m.term > self.term and self._log_ok(m.last) and not lease
            if m.term > self.term and not lease and not grant and self.role == R.follower:
                self._campaign_soon()  # no leader, and our log is ahead: we should lead
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
        if target not in self.membership.voters:  # not in C(new) (a joint config's new set)
            return False
        self.transfer_target = target
        self.transfer_due_ms = self.now_ms + self.config.election_timeout_ms
        self.maybe_send_timeout_now()
        if self.transfer_target is not None:
            self.send_append(target)
        return True

    def maybe_send_timeout_now(self) -> None:
        target = self.transfer_target
        if target is None:
            return
        p = self.progress.get(target)
        if p is None or target not in self.membership.voters:  # removed meanwhile
            self.transfer_target = None
            return
        if p.match != self.log.last:
            return
        self.send(TimeoutNow(self.node_id, target, self.term))

    def leader_unreachable(self, node: int) -> None:
        """The transport cannot reach node `node` (its connection failed): if it leads us, its
        lease is over (we grant prevotes) and we campaign soon rather than after a whole
        election timeout (a crashed leader is replaced sooner). The other voters go in their
        configuration order, two heartbeat intervals apart, so they do not split the vote."""
        if self.role == R.follower and self.leader_id == node:
            self.leader_contact_ms = -(10**12)
            others = [v for v in self.voters if v != node]
            rank = others.index(self.node_id) if self.node_id in others else len(others)
            self._campaign_soon(rank * 2 * self.config.heartbeat_interval_ms)

    def _campaign_soon(self, after_ms: int = 0) -> None:
        """A follower: move the election timer to within half a heartbeat interval after
        `after_ms` (never a candidate's: restarting a round early could keep it from ending)."""
        if self.role == R.follower:
            jitter = int(self.rng.random() * self.config.heartbeat_interval_ms / 2)
            self.election_due_ms = min(self.election_due_ms, self.now_ms + after_ms + jitter)

    def on_timeout_now(self, m: TimeoutNow) -> None:
        # only a voter of C(new): a node a joint configuration removes ignores a late one
        if (
            m.term == self.term
            and self.role == R.follower
            and self.node_id in self.membership.voters
        ):
            if self.may_campaign:
                self.campaign(transfer=True)
