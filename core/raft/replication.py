"""Log replication: the leader's AppendEntries, the follower's matching and truncation.

The leader keeps one Progress per follower. A follower whose position is unknown is
probed (one request at a time, from a guess of where its log agrees with ours); once a
request succeeds it is replicated to with up to `max_inflight` pipelined requests. A
rejection carries the follower's hint (its largest position at or below the requested
`prev`), and the leader resumes from its own largest position at or below that hint,
so a divergent follower is found in a few round trips (etcd's findConflictByTerm).

A follower accepts a request only if it holds the prefix ending at `prev` (offset and
term). Entries it already holds are skipped, so a duplicated or delayed request never
truncates anything; at the first entry it lacks, it cuts its log back to the position
before it (a divergent suffix; never below the commit index) and appends the rest.
It answers at once with its dirty offset, and again after each fdatasync with its
flushed offset: the leader counts only flushed offsets toward commit.
"""

from __future__ import annotations

from core.raft.meta_log import NO_POSITION, merge_entries
from core.raft.state import Progress, RaftState
from core.raft.types import AppendReply, AppendRequest, ConfigAt, Entry, Position
from core.raft.types import Role as R


class Replication(RaftState):
    # ---- leader -----------------------------------------------------------------------------------
    def broadcast_append(self) -> None:
        for peer in self.progress:
            self.send_append(peer, heartbeat=True)

    def send_append(self, peer: int, *, heartbeat: bool = False) -> None:
        p = self.progress[peer]
        limit = 1 if p.probing else self.config.max_inflight
        if p.inflight >= limit and not heartbeat:
            return
        if self.needs_snapshot(p):
            p.seq += 1
            p.inflight += 1
            p.sent_commit, p.sent_visible = self.commit, self.visible
            self.send(self.snapshot_request(peer, p))
            return
        if not heartbeat:  # busy again: the next round at the usual period (retries)
            due = self.now_ms + self.config.heartbeat_interval_ms
            if due < self.heartbeat_due_ms:
                self.heartbeat_due_ms = due
                self.timer_earlier = True  # the driver reschedules us (GroupTicker.wake)
        entries = self._entries_after(p.next)
        if entries and not self._learner_may_take(peer, entries):
            if not heartbeat:
                return
            entries = ()  # a heartbeat still goes: the learner must not campaign or time out
        p.seq += 1
        p.inflight += 1
        prev = p.next
        if entries and not p.probing:
            p.next = entries[-1].end
        p.sent_commit, p.sent_visible = self.commit, self.visible
        self.send(
            AppendRequest(
                self.node_id,
                peer,
                self.term,
                prev,
                entries,
                self.commit,
                self.visible,
                p.seq,
                self.start_goal,
            )
        )

    def _entries_after(self, position: Position) -> tuple[Entry, ...]:
        offset = position[0]
        data = (
            # past a snapshot at a batch holding the start (core.raft.log_start), read the batch
            self.reader(max(offset, self.log.start_offset), self.config.max_append_bytes)
            if offset < self.log.next_offset
            else []
        )
        upto = data[-1].last + 1 if data else offset
        return tuple(merge_entries(self.log.metas_after(position, upto), data))

    def _learner_may_take(self, peer: int, entries: tuple[Entry, ...]) -> bool:
        """A learner's entries are within raft_learner_recovery_rate (voters: always)."""
        throttle = self.config.learner_throttle
        cfg = self.membership
        if throttle is None or peer not in cfg.learners or peer in cfg.voting:
            return True
        size = sum(len(e.payload) for e in entries if not e.is_meta)
        return size == 0 or throttle.take(self.now_ms, size)

    def on_append_reply(self, m: AppendReply) -> None:
        p = self.progress.get(m.src)
        if self.role != R.leader or p is None:
            return
        p.last_ack_ms = self.now_ms
        if not m.success:
            if m.seq <= p.reject_floor:
                return  # answers a request sent before the last rewind
            p.reject_floor = p.seq
            p.next = self.log.hint(m.match)
            p.probing = True
            p.inflight = 0
            self.send_append(m.src)
            return
        self.adopt_start(p, m.start)
        p.match = max(p.match, m.match)
        p.flushed = max(p.flushed, m.flushed)
        p.dirty = max(p.dirty, m.dirty)
        p.next = max(p.next, m.match)
        if p.probing and p.sent_commit < self.commit:
            self.out().commit_news = True  # found where it agrees: it lacks our commit
        p.probing = False
        if m.seq > 0:  # not a flush report
            p.inflight = max(0, p.inflight - 1)
            p.acked_seq = max(p.acked_seq, m.seq)
        self.maybe_commit()
        self.maybe_send_timeout_now()
        if p.next < self.log.last and self.progress.get(m.src) is p:  # still a member
            self.send_append(m.src)

    def send_commit(self) -> None:
        """Tell each follower that lacks it our commit index (after Ready.commit_news): an
        append within its in-flight window, or an empty one past it when nothing waits to be
        sent (one message, bounded by the calls: drivers call this once per loop iteration).
        A follower with a full window and entries waiting hears it with the entries sent when
        a reply frees a slot; a probing one with its next probe."""
        if self.role != R.leader:
            return
        last, commit, limit = self.log.last, self.commit, self.config.max_inflight
        for peer, p in self.progress.items():
            if p.sent_commit >= commit or p.probing:
                continue
            if p.inflight < limit or p.next >= last:
                self.send_append(peer, heartbeat=True)

    # ---- light heartbeats ------------------------------------------------------------------------
    def heartbeat_round(self) -> bool:
        """Every follower hears from us: idle ones by a light heartbeat (if the driver carries
        them), the others by an AppendRequest (entries, or the commit index they lack). True
        when every follower was idle (the leader may wait longer before the next round: an
        idle group costs per round, and 1,000 of them on three nodes cost ~10% of a core)."""
        light = self.config.light_heartbeats and self.transfer_target is None
        last = self.log.last
        all_idle = light
        for peer, p in self.progress.items():
            if light and self._idle(p, last):
                self.light_out.append(peer)
            else:
                all_idle = False
                self.send_append(peer, heartbeat=True)
        return all_idle

    def _idle(self, p: Progress, last: Position) -> bool:
        """The follower answered our last request, holds and flushed our whole log (ending
        at `last`), and knows our commit index and high watermark: nothing to tell it but
        that we live."""
        return (
            p.acked_seq == p.seq
            and p.match == last
            and not p.probing
            and p.flushed >= last[0]
            and p.sent_commit == self.commit
            and p.sent_visible == self.visible
            and p.start >= self.start_goal
        )

    def on_light_heartbeat(self, src: int, term: int) -> bool:
        """A follower hears its leader of this term: True (ack) if it follows `src` in `term`
        and took an append from it, else False (nack: the leader sends a full request)."""
        if (
            term != self.term
            or self.role != R.follower
            or self.leader_id != src
            or self.leader_match == NO_POSITION
        ):
            return False
        self.leader_contact_ms = now = self.now_ms
        base = self.config.election_timeout_ms  # reset_election_timer, inline (hot path)
        self.election_due_ms = now + base + int(self.rng.random() * base)
        return True

    def on_light_ack(self, src: int, term: int) -> None:
        if self.role == R.leader and term == self.term and (p := self.progress.get(src)):
            p.last_ack_ms = self.now_ms

    def on_light_nack(self, src: int) -> None:
        if self.role == R.leader and (p := self.progress.get(src)):
            p.acked_seq = -1  # full requests until one is answered
            self.send_append(src, heartbeat=True)

    # ---- follower ---------------------------------------------------------------------------------
    def on_append_request(self, m: AppendRequest) -> None:
        if self.role != R.follower or self.leader_id != m.src:
            self.become_follower(self.term, m.src)
        self.leader_contact_ms = self.now_ms
        self.reset_election_timer()
        if not self.log.has(m.prev) and not (m.snapshot and self.install_snapshot(m)):
            self._reply(m, False, self.log.hint(m.prev))
            return
        end = self._accept(m.prev, m.entries)
        self.leader_match = end
        self.leader_seq = m.seq
        self.leader_commit = max(self.leader_commit, m.commit)  # a late request cannot lower it
        self.leader_start = m.start
        self._follow_commit()
        self.follow_start()
        visible = min(m.visible, end[0])
        if visible > self.visible:
            self.visible = visible
            self.out().visible = visible
        self._reply(m, True, end)

    def _accept(self, prev: Position, entries: tuple[Entry, ...]) -> Position:
        """Skip what we hold, cut a divergent suffix, append the rest; the request's end."""
        position = prev
        for i, entry in enumerate(entries):
            if self.log.has(entry.end):
                position = entry.end
                continue
            if position != self.log.last:
                self.truncate_log(position)
            self._append(entries[i:])
            return entries[-1].end
        return position

    def _append(self, entries: tuple[Entry, ...]) -> None:
        out = self.out()
        for entry in entries:
            if entry.is_meta:
                self.log.add_meta(entry)
                if isinstance(entry.payload, ConfigAt):
                    self.forced = None  # the group's own configuration supersedes a forced one
                    self.refresh_config()
                self.persist()
            else:
                assert entry.base == self.log.next_offset, (entry, self.log.last)
                self.log.next_offset = entry.last + 1
                out.append.append(entry)
                out.flush = True

    def truncate_log(self, position: Position) -> None:
        """Keep the prefix ending at `position` (never below the commit index)."""
        offset = position[0]
        assert offset >= self.commit, ("truncating committed entries", position, self.commit)
        cut_data = offset < self.log.next_offset
        had = self.log.config_entry()
        self.log.truncate(position)
        if self.log.config_entry() is not had:
            self.refresh_config()
            if self.role == R.leader:
                self.sync_progress()
        self.persist()
        if cut_data:
            out = self.out()
            out.truncate_to = offset if out.truncate_to is None else min(out.truncate_to, offset)
            self.flushed = min(self.flushed, offset)
            self.visible = min(self.visible, offset)
            self.majority_dirty = min(self.majority_dirty, offset)
            self.quorum_write_end = min(self.quorum_write_end, offset)

    def _reply(self, m: AppendRequest, success: bool, match: Position) -> None:
        self.send(
            AppendReply(
                self.node_id,
                m.src,
                self.term,
                success,
                match,
                self.flushed,
                self.log.next_offset,
                m.seq,
                self.log.start_offset,
            )
        )

    def _follow_commit(self) -> None:
        """A follower commits what the leader committed, it has flushed and it matched."""
        if self.leader_match == NO_POSITION:
            return
        commit = min(self.leader_commit, self.flushed, self.leader_match[0])
        if commit > self.commit:
            self.commit = commit
            self.out().committed = commit

    def follower_flushed(self) -> None:
        """After an fdatasync: report the flushed offset to the leader (the ack that counts)."""
        self._follow_commit()
        self.follow_start()
        if self.leader_id is None or self.leader_match == NO_POSITION:
            return
        self.send(
            AppendReply(
                self.node_id,
                self.leader_id,
                self.term,
                True,
                self.leader_match,
                self.flushed,
                self.log.next_offset,
                0,  # a flush report answers no particular request
                self.log.start_offset,
            )
        )
