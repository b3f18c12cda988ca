"""Consensus for one Raft group: the asyncio driver of the sans-I/O RaftCore over a Log.

RaftCore (core.raft.raft) decides; this driver does its I/O: it persists the hard
state (term, vote, and the meta log of term starts; core.raft.hard_state) before it
sends anything, appends and truncates the DiskLog, asks storage's group commit
(core.storage.group_commit) for fdatasyncs and hears the flushed offset through one
callback, sends messages through an injected transport, and turns what became
committed and visible into resolved futures and woken readers.

Kept from the single-node design (raft-notes section 7):

* every batch carries its term (the batch's partitionLeaderEpoch field; a segment holds
  one term), and the meta log maps terms to their first offset (Kafka's leader-epoch
  cache), which serves OffsetForLeaderEpoch;
* Raft's own records (term starts, voter sets) are zero-width meta entries outside the
  Kafka offset space (core.raft.meta_log), so Kafka offsets equal log offsets;
* offsets are kept apart: dirty (appended), flushed (fdatasync'ed), committed (a majority
  flushed, in the current term) and visible (the high watermark, which never decreases);
* the produce path waits on the commit index, never on an fsync call.

A single-voter group elects itself at start, with no timers and no messages. A group with
more voters starts as a follower (its recovered tail is not taken as committed: the leader
says what is), except that the first voter of a fresh group campaigns at its first tick (prevote
first, as Redpanda arms an immediate election for it). It is fed by `receive` and ticked
either by its own timer task or, once registered with core.cluster.raft_groups, by that
one ticker for every group (`detach_ticker`); a transport with a
`light_heartbeats(dsts, term)` method also carries light heartbeats for idle followers
(core.rpc.raft_batch), and one with `commit_news(group_id)` defers telling followers a new
commit to the end of the loop iteration (else they are told at once).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

from core.common.clock import Clock, SystemClock
from core.raft.commit_waiters import CommitWatch
from core.raft.config_driver import ConfigDriver, ConfigWaiter
from core.raft.consensus_view import ConsensusView
from core.raft.entry_cache import EntryCache
from core.raft.errors import RaftErrc, RaftError
from core.raft.hard_state import HardStateStore, decode_configs
from core.raft.log import Log
from core.raft.raft import RaftCore
from core.raft.ready_driver import ReadyDriver
from core.raft.recovery_throttle import RecoveryThrottle
from core.raft.start_driver import StartDriver
from core.raft.state import RaftConfig
from core.raft.types import Entry, HardState, Message, TermStart
from core.storage.flush import FlushPolicy, FlushTarget
from core.storage.pending_writes import LEADER_DEFER_MIN_BYTES

log = logging.getLogger("ailurus.raft")

QUORUM_ACK = -1  # Kafka acks=all
LEADER_ACK = 1
NO_ACK = 0

_TICK_S = 0.05
# election jitter of every group not given a seeded one (simulations are): seeding one per
# group read os.urandom 10,000 times at a start over 10,000 partitions
_SHARED_RNG = random.Random()


@dataclass(slots=True)
class Appended:
    base_offset: int
    last_offset: int
    done: asyncio.Future | None  # resolves when the acks level is met; None when already met


class Consensus(ReadyDriver, StartDriver, ConfigDriver, ConsensusView):
    def __init__(
        self,
        group_id: int,
        node_id: int,
        log_: Log,
        flusher,
        *,
        write_caching: bool = False,
        voters: tuple[int, ...] | None = None,
        transport: Callable[[Message], None] | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        config: RaftConfig | None = None,
    ) -> None:
        self.group_id = group_id
        self.node_id = node_id
        self.log = log_
        self._flusher = flusher
        self.flush_target = FlushTarget(log_, self._on_flushed_offset, FlushPolicy())
        self.write_caching = write_caching
        self._voters = tuple(voters) if voters else (node_id,)
        self._transport = transport
        self._light: Callable[[list[int], int], None] | None = getattr(
            transport, "light_heartbeats", None
        )
        # the transport may coalesce commit news (RaftGroups: once per loop iteration)
        self._commit_news: Callable[[int], None] | None = getattr(transport, "commit_news", None)
        self._clock = clock or SystemClock()
        self._rng = rng or _SHARED_RNG
        self._config = replace(config or RaftConfig(), light_heartbeats=self._light is not None)
        self.core: RaftCore | None = None
        self._waiters: deque[tuple[int, asyncio.Future]] = deque()  # acks=all, by end offset
        self._wc_waiters: deque[tuple[int, asyncio.Future]] = deque()  # write caching
        self._visible_listeners: list[Callable[[], None]] = []
        self._truncate_listeners: list[Callable[[int], None]] = []
        self._start_listeners: list[Callable[[int], None]] = []
        self._start_waiters: deque[tuple[int, asyncio.Future]] = deque()  # StartDriver
        self._commit_watch = CommitWatch(group_id)
        self._sent_cache = EntryCache()  # what we appended as leader, to send without a read
        self._leader_listeners: list[Callable[[int, int | None], None]] = []
        self._leadership: tuple[int, int | None] = (-1, None)  # (term, leader) last announced
        self._ticker: asyncio.Task | None = None
        self._external_ticks = False
        self._wake: Callable[[int], None] | None = None
        self._hard: HardStateStore = HardStateStore(log_.kvstore, None, (node_id,))  # by start
        # messages waiting for the hard state of their step: (generation, messages); bounded
        # by the steps of one write (~ms)
        self._held: deque[tuple[int, list[Message]]] = deque()
        self._config_waiters: list[ConfigWaiter] = []  # ConfigDriver
        self._own_ticks = False  # ticking itself although registered (core.raft.config_driver)
        self._closed = False

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Recover persisted state; a single voter elects itself at once (a new term)."""
        self._hard = HardStateStore(
            self.log.kvstore, getattr(self.log, "directory", None), self._voters
        )
        self._hard.on_durable = self._release_held
        meta = self._hard.load()
        history = self._merge_history(
            [tuple(x) for x in meta.get("term_history", [])], self.log.segment_terms()
        )
        runs = tuple(TermStart(t, o, self._voters) for t, o in history)
        configs, forced = decode_configs(meta)
        hard = HardState(meta.get("term", -1), meta.get("voted_for"), runs, configs, forced)
        self.core = RaftCore.create(
            self.node_id,
            self._voters,
            hard,
            start_offset=self.log.start_offset,
            next_offset=self.log.next_offset,
            flushed_offset=self.log.flushed_offset,
            now_ms=self._clock.monotonic_ms(),
            rng=self._rng,
            reader=self._read_entries,
            config=self._config,
        )
        fresh = hard.term < 0 and not runs and self.log.next_offset == self.log.start_offset
        if self.core.membership.voters == (self.node_id,):
            if fresh:
                self._hard.write_off_loop()  # nothing to lose yet (core.raft.hard_state)
            self.core.campaign()
        elif fresh and self._voters[0] == self.node_id:
            self.core.expire_election_timer()  # campaigns at the first tick
        self._process()
        self.log.flush()  # the recovered tail and the term start: durable before serving
        self.core.on_flushed(self.log.flushed_offset)
        self._process()
        self._ensure_ticks()
        log.debug("group %d: term %d, leader %s", self.group_id, self.term, self.leader_id)

    def _merge_history(self, history: list, seg_terms: list) -> list[tuple[int, int]]:
        merged = {t: o for t, o in history if o <= self.log.next_offset}
        for t, o in seg_terms:
            merged[t] = min(merged.get(t, o), o)
        return sorted(merged.items())

    def close(self) -> None:
        self._closed = True
        self._sent_cache.clear()
        if self._ticker is not None:
            self._ticker.cancel()
        self._fail_config_waiters(RaftErrc.shutting_down)
        self._fail_waiters(0, RaftErrc.shutting_down)
        self._fail_start_waiters(RaftErrc.shutting_down)
        self._commit_watch.close()
        self._hard.close()

    async def _tick_loop(self) -> None:
        while not self._closed:
            self.tick()
            await asyncio.sleep(_TICK_S)

    def detach_ticker(self, wake: Callable[[int], None] | None = None) -> None:
        """Ticks come from outside from now on (core.raft.ticker, one for every group);
        `wake(group_id)` is called when the timers may have moved earlier (a new leader)."""
        self._external_ticks = True
        self._wake = wake
        # RaftGroups' ticker ticks the groups that are multi-voter when they register
        self._own_ticks = not self.multi_voter
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        if self.core is not None:
            self._ensure_ticks()

    # ---- inputs ----------------------------------------------------------------------------------
    def tick(self, now_ms: int | None = None) -> None:
        core = self.core
        if core is None or self._closed:
            return
        core.tick(max(self._clock.monotonic_ms() if now_ms is None else now_ms, core.now_ms))
        if core.light_out:  # an idle leader's round: no Ready (never waits on hard state)
            light, core.light_out = core.light_out, []
            if self._light is not None:
                self._light(light, core.term)
        if core.has_ready:
            self._process()

    def receive(self, msg: Message) -> None:
        """A message from a peer (the RPC layer calls this)."""
        if self.core is None or self._closed:
            return
        self.core.set_now(self._clock.monotonic_ms())  # timers fire from ticks only
        self.core.step(msg)
        self._process()

    # light heartbeats (core.rpc.raft_batch): no message objects, no Ready unless a nack
    def light_heartbeat(self, src: int, term: int, now_ms: int) -> bool:
        """The leader `src` of `term` says it lives: True to ack, False to ask for a full one."""
        core = self.core
        if core is None or self._closed:
            return False
        if now_ms > core.now_ms:
            core.now_ms = now_ms
        return core.on_light_heartbeat(src, term)

    def light_ack(self, src: int, term: int, now_ms: int) -> None:
        core = self.core
        if core is not None and not self._closed:
            if now_ms > core.now_ms:
                core.now_ms = now_ms
            core.on_light_ack(src, term)

    def light_nack(self, src: int) -> None:
        if self.core is not None and not self._closed:
            self.core.on_light_nack(src)
            self._process()

    def set_timeouts(self, election_timeout_ms: int, heartbeat_interval_ms: int) -> None:
        """Election timeout and heartbeat period from now on (RaftGroups applies the cluster's
        raft_election_timeout_ms / raft_heartbeat_interval_ms), before or after start."""
        config = self._config
        config.election_timeout_ms = election_timeout_ms
        config.heartbeat_interval_ms = heartbeat_interval_ms
        if self.core is not None:
            self.core.set_timeouts(election_timeout_ms, heartbeat_interval_ms)
            if self._wake is not None:
                self._wake(self.group_id)  # its timers may have moved earlier

    def set_learner_throttle(self, throttle: RecoveryThrottle | None) -> None:
        """The node's raft_learner_recovery_rate bucket (RaftGroups), before or after start."""
        self._config.learner_throttle = throttle  # the core's config is this object

    def set_idle_heartbeat_factor(self, factor: int) -> None:
        """Idle groups heartbeat every `factor` intervals (RaftConfig.idle_heartbeat_factor)."""
        self._config.idle_heartbeat_factor = factor

    def send_commit(self) -> None:
        """Tell the followers our new commit offset (the transport's coalesced commit news)."""
        if self.core is not None and not self._closed:
            self.core.send_commit()
            self._process()

    def leader_unreachable(self, node_id: int) -> None:
        """The transport cannot reach `node_id`: if it leads this group, campaign soon."""
        core = self.core
        if core is not None and not self._closed and core.leader_id == node_id:
            core.set_now(self._clock.monotonic_ms())
            core.leader_unreachable(node_id)
            if self._wake is not None:
                self._wake(self.group_id)  # its election timer moved earlier

    def transfer_leadership(self, target: int) -> bool:
        assert self.core is not None
        started = self.core.transfer_leadership(target)
        self._process()
        return started

    # ---- replication ---------------------------------------------------------------------------
    def replicate(self, batch: bytearray, acks: int) -> Appended:
        """Append one batch in this term. The order is fixed on return; await `done` for acks."""
        core = self.core
        if core is None or self._closed or not core.can_propose:
            raise RaftError(RaftErrc.not_leader)
        target = self.flush_target
        strict = acks == QUORUM_ACK and not target.policy.write_caching
        if strict and len(batch) >= LEADER_DEFER_MIN_BYTES:
            # written by the flush round this append asks for, before its fdatasync, off the loop
            base, last = self.log.append_replicated(batch, core.term)
        else:
            base, last = self.log.append(batch, core.term)
        if core.progress:  # followers to send it to (a gap later clears the cache: reads go
            self._sent_cache.put(Entry(core.term, base, last, bytes(batch)))  # to the log)
        target.pending_bytes += len(batch)
        end = last + 1
        core.on_local_append(end, strict)
        self._flusher.request(target, urgent=strict)
        done = None
        if strict:
            done = asyncio.get_running_loop().create_future()
            self._waiters.append((end, done))
        elif acks == QUORUM_ACK and core.majority_dirty < end:
            done = asyncio.get_running_loop().create_future()
            self._wc_waiters.append((end, done))
        self._process()
        return Appended(base, last, done)

    def on_flushed(self) -> None:
        """The log's flushed offset moved (kept for callers that flush the log themselves)."""
        self._on_flushed_offset(self.log.flushed_offset)

    def _on_flushed_offset(self, offset: int) -> None:
        if self.core is None or self._closed:
            return
        self.core.on_flushed(offset)
        self._process()

    def truncate_to(self, offset: int) -> None:
        """Cut this replica's uncommitted tail at `offset` (a batch boundary)."""
        assert self.core is not None and offset >= self.commit_offset, "never truncate commits"
        self.core.local_truncate(offset)
        self._process()
