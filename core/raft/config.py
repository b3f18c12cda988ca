"""Membership changes by joint consensus (Raft thesis §4.3, as Redpanda does them).

A configuration (core.raft.types.Config) is stable (voters), learners (the voters, plus
non-voting learners catching up and the target voter set) or joint C(old, new). Every
configuration is a zero-width meta entry in the log (core.raft.meta_log: ConfigAt), written
by the leader inside its term at position (offset, term, seq), persisted with the hard state
before any reply, replicated in AppendEntries, truncated with the log and carried by
snapshots. Each replica uses the latest configuration in its log, committed or not.

The leader moves a group from C(old) to C(new):

1. nodes of C(new) not in C(old) join as learners (Config(old, learners, target=new)):
   replicated to, never counted for commit or elections, never campaigning;
2. once that entry committed and every learner holds the leader's commit index: the joint
   C(old, new): commit and election need a majority of both sets;
3. once the joint entry committed: C(new). A leader that is not in C(new) replicates it
   without counting itself, and once it commits hands leadership to the most caught-up
   voter (timeout_now) and steps down; it never campaigns again in this group.

Only one change runs at a time: the next entry is written only once the previous one
committed. A new leader continues whatever it finds in its log (learners or joint). A
configuration entry commits when a quorum of it (both sets while joint) holds it (the
leader's own copy counts once its hard state is durable: `on_persisted`) and the data
before it committed; an entry of an earlier term commits with the leader's term start.

Cancel (`cancel_config`) writes C(old) at once while the change is still learners or joint
(safe: every configuration involved needs a majority of C(old)). Force (`force_config`) is
the unsafe override for a group that lost its majority: the replica takes the given voters
locally, outside the log (persisted with its hard state), campaigns under them, and as leader
writes them as a configuration entry; it may lose committed entries and is for operators
only (Redpanda's force reconfiguration).

A removed node never disrupts the group: a vote request from a node outside a replica's
configuration whose log is not ahead of the replica's is refused without adopting its term,
so its prevotes fail once the members hold its log; it stops campaigning altogether once it
led the commit of its own removal (`electable`: until it knows that, it may be the one voter
of the old set holding the new configuration, whose vote the joint set needs).
"""

from __future__ import annotations

from core.raft.meta_log import NO_POSITION
from core.raft.state import Progress, RaftState
from core.raft.types import Config, ConfigAt, HardState, Position, TimeoutNow
from core.raft.types import Role as R

MAX_SEQ = 30_000  # configuration entries at one offset in one term (the wire's 15 bits)


class Reconfig(RaftState):
    # ---- leader: proposals ------------------------------------------------------------------------
    def propose_config(self, voters: tuple[int, ...]) -> bool:
        """Start moving to `voters` (deduplicated, order kept). False if another change is
        under way; True if this one is (or is already) under way or done."""
        assert self.role == R.leader
        goal = tuple(dict.fromkeys(voters))
        assert goal, "a configuration needs a voter"
        cfg = self.membership
        if cfg.state != "stable":
            return set(cfg.target or cfg.voters) == set(goal)
        self.config_goal = goal
        self.advance_config()
        return True

    def cancel_config(self) -> bool:
        """Back to C(old) while the change is learners or joint; False when stable."""
        assert self.role == R.leader
        self.config_goal = None
        cfg = self.membership
        if cfg.state == "learners":
            self.append_config(Config(cfg.voters))
        elif cfg.state == "joint":
            self.append_config(Config(cfg.old))
        else:
            return False
        return True

    def force_config(self, voters: tuple[int, ...]) -> None:
        """Unsafe: take `voters` as this replica's configuration now (see the module doc)."""
        self.forced = Config(tuple(dict.fromkeys(voters)))
        self.config_goal = None
        self.refresh_config()
        self.persist()
        if self.role == R.leader:
            self.become_follower(self.term, None)
        if self.node_id in self.voters:
            self.election_due_ms = self.now_ms  # campaign at the next tick

    # ---- leader: the steps ----------------------------------------------------------------------------
    def append_config(self, config: Config) -> None:
        """Write `config` as a configuration entry of our term (leader only)."""
        assert self.role == R.leader
        seq = self.log.next_config_seq(self.term)
        assert seq < MAX_SEQ, "too many configuration entries at one offset"
        self.log.add_config(ConfigAt(self.term, self.log.next_offset, seq, config))
        self.forced = None
        self.refresh_config()
        self.persist()
        self.sync_progress()
        for peer in self.progress:
            self.send_append(peer)
        self.maybe_commit()

    def sync_progress(self) -> None:
        """Replicate to the members of the latest configuration, and of the committed one
        while the latest is not (so removed nodes learn they were removed)."""
        wanted = set(self.membership.members)
        entry = self.log.config_entry()
        if entry is not None and entry.position > self.config_committed and self.config_done:
            wanted |= set(self.config_done.members)
        wanted.discard(self.node_id)
        for peer in list(self.progress):
            if peer not in wanted:
                del self.progress[peer]
        last = self.log.last
        for peer in sorted(wanted):
            if peer not in self.progress:
                self.progress[peer] = Progress(next=last)

    def maybe_commit_config(self) -> None:
        """Has the latest configuration entry committed? Then take the next step."""
        if self.role != R.leader:
            return
        entry = self.log.config_entry()
        if entry is not None and entry.position > self.config_committed:
            if not self._entry_committed(entry):
                return
            self.config_committed = entry.position
            self.config_done = entry.config
            self.sync_progress()
        elif entry is None or self.config_done is None:
            self.config_done = self.membership
        self.advance_config()

    def _entry_committed(self, entry: ConfigAt) -> bool:
        term_start: Position = (self.term_start, self.term)
        at = entry.position if entry.position > term_start else term_start
        if self.commit < at[0]:
            return False
        term, offset = self.term, at[0]
        # held durably: the entry (meta, persisted before the reply) and the data before it
        # (flushed: a crash keeps only meta entries at or below the recovered log end)
        held = {
            n
            for n, p in self.progress.items()
            if p.match[1] == term and p.match >= at and p.flushed >= offset
        }
        if self.durable_meta >= at and self.flushed >= offset:
            held.add(self.node_id)
        return self.has_quorum(held)

    def advance_config(self) -> None:
        """The latest configuration committed: write the next one, or step down."""
        if self.role != R.leader or self.forced is not None:
            return
        entry = self.log.config_entry()
        if entry is not None and entry.position > self.config_committed:
            return  # one change at a time
        cfg = self.membership
        if cfg.state == "learners":
            if self._learners_caught_up(cfg):
                learners = tuple(n for n in cfg.learners if n not in cfg.target)
                self.append_config(Config(cfg.target, old=cfg.voters, learners=learners))
        elif cfg.state == "joint":
            self.append_config(Config(cfg.voters, learners=cfg.learners))
        elif self.node_id not in cfg.voters:
            self._step_down_removed()
        elif self.config_goal is not None:
            goal, self.config_goal = self.config_goal, None
            if set(goal) == set(cfg.voters):
                return
            added = tuple(n for n in goal if n not in cfg.voters)
            if added:
                self.append_config(Config(cfg.voters, learners=added, target=goal))
            else:
                self.append_config(Config(goal, old=cfg.voters))

    def _learners_caught_up(self, cfg: Config) -> bool:
        term, commit = self.term, self.commit
        for node in cfg.learners:
            p = self.progress.get(node)
            if p is None or p.probing or p.match[1] != term or p.match[0] < commit:
                return False
        return True

    def _step_down_removed(self) -> None:
        """C(new) without us committed: hand over to the most caught-up voter, step down."""
        last = self.log.last
        best = [n for n, p in self.progress.items() if n in self.voters and p.match == last]
        term = self.term
        self.removal_known = True
        self.become_follower(term, None)
        if best:
            self.send(TimeoutNow(self.node_id, best[0], term))

    # ---- durability of our own meta log ---------------------------------------------------------------
    def on_persisted(self, hard: HardState) -> None:
        """`hard` (a state this core produced) is durable: our configuration entries in it
        count toward their own commit."""
        pos: Position = NO_POSITION
        if hard.runs:
            pos = (hard.runs[-1].offset, hard.runs[-1].term)
        if hard.configs and hard.configs[-1].position > pos:
            pos = hard.configs[-1].position
        self.durable_meta = pos
        if self.role == R.leader:
            self.maybe_commit_config()

    # ---- everyone ---------------------------------------------------------------------------------------
    def electable(self) -> bool:
        """May campaign: a voter of our latest configuration, or of the one before it while we
        do not know the latest (which leaves us out) committed. Such a node may hold that
        latest entry alone with a voter of the previous set, which then needs its vote (it
        refuses shorter logs); elected, it commits the entry and steps down, as a leader
        removed by it does (Raft thesis 4.2.2). Members refuse it once their logs hold
        what it holds (stranger_vote)."""
        if self.node_id in self.voters:
            return True
        configs = self.log.configs
        if self.removal_known or not configs or self.forced is not None:
            return False
        previous = configs[-2].config if len(configs) > 1 else self.bootstrap
        return self.node_id in previous.voting

    def stranger_vote(self, src: int, last: Position) -> bool:
        """A vote request from outside our configuration whose log is not ahead of ours (a
        removed node): refused without adopting its term."""
        if src in self.voters:
            return False
        mine = self.log.last
        return (last[1], last[0], *last[2:]) <= (mine[1], mine[0], *mine[2:])
