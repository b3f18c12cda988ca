"""RaftGroups: every Raft group of this node (the controller, group 0, and each partition)
talking to its peers over broker RPC (core.rpc), Redpanda's heartbeat_manager style.

    groups = RaftGroups(node_id, rpc_server, rpc_server.peers, clock)
    consensus = Consensus(gid, node_id, log, flusher, voters=..., transport=groups.transport(gid))
    groups.register(consensus)
    consensus.start()
    groups.start()          # the one ticker
    ...
    groups.unregister(gid); await groups.close()

* Sending. A group's messages (and light heartbeats, core.rpc.raft_batch) go into a per-peer
  outbox; the outboxes are flushed once per event-loop iteration (loop.call_soon) as ONE
  Method.raft_batch frame per peer holding every group's messages, so the heartbeats of all
  the groups two nodes share travel together (a frame is split only past `max_frame_bytes`).
  At most `max_in_flight` frames per peer are unanswered; meanwhile messages wait in the
  outbox, which holds at most `max_outbox_messages` messages: past that new ones are dropped
  and counted (Raft tolerates loss: heartbeats and appends are resent, a gap is probed).
  Entries' batch bytes travel as blob parts of the frame (never joined, never decoded).
* Receiving. A raft_batch frame is decoded (the entries are memoryviews of the received
  blob) and dispatched synchronously, in order, to each group's Consensus.receive; messages
  for groups not registered here are dropped and counted. Light heartbeats are answered
  with light acks/nacks in our next frame to the sender (acks wait for it: at most a tick).
* Ticking. One task, every `tick_ms`, ticks the registered multi-voter groups whose timer
  is due (core.raft.ticker: a heap of due times, so idle followers cost nothing per tick;
  at most `max_elections` groups campaign at once); 1,000 groups are not 1,000 tasks, and
  single-voter groups need no ticks.
* Timing. Given a config getter (`config=cluster_config.get`), the cluster properties
  raft_election_timeout_ms and raft_heartbeat_interval_ms apply to every registered group,
  at register and, re-read at each tick, on change (Consensus.set_timeouts); the tick is
  then at most a third of the heartbeat period. Without one, each group keeps the
  RaftConfig it was built with.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.common.clock import Clock
from core.raft.consensus import Consensus
from core.raft.recovery_throttle import RecoveryThrottle
from core.raft.ticker import GroupTicker
from core.raft.types import Message
from core.rpc.client import PeerClients
from core.rpc.errors import RpcError
from core.rpc.frame import Blob, Buffer, Method
from core.rpc.raft_batch import RaftBatch, decode_batch, encode_batch
from core.rpc.raft_outbox import Outbox
from core.rpc.server import RpcServer

log = logging.getLogger("ailurus.raft")

DEFAULT_TICK_MS = 50
MAX_OUTBOX_MESSAGES = 20_000  # per peer
MAX_ELECTIONS = 32  # groups campaigning at once (core.raft.ticker)
MAX_IN_FLIGHT = 4  # raft_batch frames per peer
MAX_FRAME_BYTES = 8 * 1024 * 1024  # a frame is split past this (the RPC bound is 32 MiB)
CALL_TIMEOUT_MS = 5_000
ELECTION_TIMEOUT = "raft_election_timeout_ms"  # cluster properties (Redpanda's: 1500)
HEARTBEAT_INTERVAL = "raft_heartbeat_interval_ms"  # (150)
LEARNER_RECOVERY_RATE = "raft_learner_recovery_rate"  # bytes/s (104857600)
# an idle group's leader heartbeats every 3 intervals (at most 4 per election timeout):
# 1,000 idle RF 3 groups cost 6.1-7.4% of a core per node at every interval, 4.0-4.8% so
IDLE_HEARTBEAT_FACTOR = 3
MIN_TICK_MS = 5


@dataclass(slots=True)
class RaftGroupsStats:
    frames_sent: int = 0
    frames_failed: int = 0  # the call failed (peer down, timeout): its messages are lost
    frames_received: int = 0
    messages_sent: int = 0
    messages_received: int = 0
    light_sent: int = 0  # light heartbeats, acks and nacks
    light_received: int = 0
    dropped_outbox_full: int = 0
    unknown_group: int = 0  # received for a group not registered here
    misrouted: int = 0  # received messages addressed to another node
    ticks: int = 0  # ticker rounds
    elections_deferred: int = 0  # due election timers that waited for a free campaign slot


class GroupTransport:
    """What one Consensus sends through (Consensus(transport=...))."""

    __slots__ = ("_groups", "group_id")

    def __init__(self, groups: RaftGroups, group_id: int) -> None:
        self._groups = groups
        self.group_id = group_id

    def __call__(self, msg: Message) -> None:
        self._groups.send(self.group_id, msg)

    def light_heartbeats(self, dsts: list[int], term: int) -> None:
        self._groups.send_light(self.group_id, dsts, term)

    def commit_news(self, group_id: int) -> None:
        self._groups.commit_news(group_id)


class RaftGroups:
    def __init__(
        self,
        node_id: int,
        rpc_server: RpcServer,
        peers: PeerClients,
        clock: Clock,
        tick_ms: int = DEFAULT_TICK_MS,
        *,
        max_outbox_messages: int = MAX_OUTBOX_MESSAGES,
        max_elections: int = MAX_ELECTIONS,
        max_in_flight: int = MAX_IN_FLIGHT,
        max_frame_bytes: int = MAX_FRAME_BYTES,
        call_timeout_ms: int = CALL_TIMEOUT_MS,
        config: Callable[[str], Any] | None = None,
    ) -> None:
        self.node_id = node_id
        self.tick_ms = tick_ms
        self.max_outbox_messages = max_outbox_messages
        self.max_elections = max_elections
        self.max_in_flight = max_in_flight
        self.max_frame_bytes = max_frame_bytes
        self.call_timeout_ms = call_timeout_ms
        self.stats = RaftGroupsStats()
        self._peers = peers
        self._clock = clock
        self._groups: dict[int, Consensus] = {}
        self._ticker_heap = GroupTicker(max_elections, tick_ms)  # multi-voter groups
        self._outboxes: dict[int, Outbox] = {}
        self._flush_scheduled = False
        self._commit_news: set[int] = set()  # groups whose leader commit moved this iteration
        self._ticker: asyncio.Task[None] | None = None
        self._sends: set[asyncio.Task[None]] = set()
        self._closed = False
        self._config = config
        self._timeouts: tuple[int, int] | None = None  # (election, heartbeat) applied
        # raft_learner_recovery_rate: one bucket for every group led here (read at each tick)
        self.learner_throttle = RecoveryThrottle()
        self._tick_s = tick_ms / 1000
        self._refresh_timeouts()
        rpc_server.register(Method.raft_batch, self._handle)

    # ---- groups ------------------------------------------------------------------------------------
    def register(self, consensus: Consensus) -> None:
        """Deliver this group's messages to `consensus` and tick it (before or after its start)."""
        group_id = consensus.group_id
        if self._groups.get(group_id, consensus) is not consensus:
            raise ValueError(f"raft group {group_id} is already registered")
        self._groups[group_id] = consensus
        consensus.detach_ticker(self._ticker_heap.wake)
        if self._timeouts is not None:
            consensus.set_timeouts(*self._timeouts)
        consensus.set_learner_throttle(self.learner_throttle)
        consensus.set_idle_heartbeat_factor(IDLE_HEARTBEAT_FACTOR)
        if consensus.multi_voter:
            self._ticker_heap.add(consensus)

    def unregister(self, group_id: int) -> None:
        self._groups.pop(group_id, None)
        self._ticker_heap.remove(group_id)

    def get(self, group_id: int) -> Consensus | None:
        return self._groups.get(group_id)

    def __len__(self) -> int:
        return len(self._groups)

    def transport(self, group_id: int) -> Callable[[Message], None]:
        """The transport to pass as Consensus(transport=...) for group `group_id`."""
        return GroupTransport(self, group_id)

    def start(self) -> None:
        if self._ticker is None and not self._closed:
            self._ticker = asyncio.get_running_loop().create_task(
                self._tick_loop(), name="raft-groups-ticker"
            )

    async def close(self) -> None:
        """Stop ticking and sending; frames arriving later are dropped."""
        self._closed = True
        tasks = [t for t in (self._ticker, *self._sends) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._ticker = None
        self._outboxes.clear()

    # ---- ticking -----------------------------------------------------------------------------------
    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self._tick_s)
            self.tick()

    def tick(self) -> None:
        """Tick every multi-voter group whose timer is due (the ticker calls this)."""
        self.stats.ticks += 1
        if self._config is not None:
            self._refresh_timeouts()
        self._ticker_heap.tick(self._clock.monotonic_ms())
        self.stats.elections_deferred = self._ticker_heap.elections_deferred
        if any(box.acks for box in self._outboxes.values()):
            self._schedule_flush()

    # ---- timing ------------------------------------------------------------------------------------
    def use_config(self, config: Callable[[str], Any]) -> None:
        """Take the raft timing properties from `config` (e.g. ClusterConfigStore.get)."""
        self._config = config
        self._refresh_timeouts()

    @property
    def timeouts(self) -> tuple[int, int] | None:
        """(election timeout, heartbeat interval) in ms applied to every group, if configured."""
        return self._timeouts

    def _refresh_timeouts(self) -> None:
        if self._config is None:
            return
        self._refresh_learner_rate()
        try:
            timeouts = (int(self._config(ELECTION_TIMEOUT)), int(self._config(HEARTBEAT_INTERVAL)))
        except (KeyError, TypeError, ValueError):
            log.exception("raft timing properties unreadable: keeping %s", self._timeouts)
            return
        if timeouts == self._timeouts:
            return
        if self._timeouts is not None:
            log.info("raft: election timeout %d ms, heartbeat interval %d ms", *timeouts)
        self._timeouts = timeouts
        self._tick_s = min(self.tick_ms, max(MIN_TICK_MS, timeouts[1] // 3)) / 1000
        for consensus in self._groups.values():
            consensus.set_timeouts(*timeouts)

    def _refresh_learner_rate(self) -> None:
        assert self._config is not None
        try:
            rate = int(self._config(LEARNER_RECOVERY_RATE))
        except KeyError:
            return  # a config store without the property: the default stands
        except (TypeError, ValueError):
            log.exception(
                "%s unreadable: keeping %d",
                LEARNER_RECOVERY_RATE,
                self.learner_throttle.rate_bytes_s,
            )
            return
        if rate != self.learner_throttle.rate_bytes_s:
            log.info("raft: learner recovery rate %d bytes/s", rate)
            self.learner_throttle.rate_bytes_s = rate

    # ---- sending -----------------------------------------------------------------------------------
    def _outbox(self, node_id: int) -> Outbox:
        box = self._outboxes.get(node_id)
        if box is None:
            box = self._outboxes[node_id] = Outbox()
        return box

    def send(self, group_id: int, msg: Message) -> None:
        if self._closed:
            return
        box = self._outbox(msg.dst)
        if len(box.messages) >= self.max_outbox_messages:
            self.stats.dropped_outbox_full += 1
            return
        box.add(group_id, msg)
        self._schedule_flush()

    def send_light(self, group_id: int, dsts: list[int], term: int) -> None:
        """Light heartbeats of group `group_id` (leader in `term`) to `dsts`."""
        if self._closed:
            return
        outboxes = self._outboxes
        for dst in dsts:
            box = outboxes.get(dst)
            if box is None:
                box = outboxes[dst] = Outbox()
            box.light[group_id] = term
        if not self._flush_scheduled:
            self._schedule_flush()

    def commit_news(self, group_id: int) -> None:
        """The leader of `group_id` committed more: it tells its followers at the end of this
        loop iteration (one append per follower however often its commit moved meanwhile)."""
        if not self._closed:
            self._commit_news.add(group_id)
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        if self._closed:
            self._flush_scheduled = False
            return
        if self._commit_news:  # while _flush_scheduled: their sends join this flush
            news, self._commit_news = self._commit_news, set()
            for group_id in news:
                consensus = self._groups.get(group_id)
                if consensus is not None:
                    try:
                        consensus.send_commit()
                    except Exception:  # noqa: BLE001 - one group's failure must not stop the others
                        log.exception("raft group %d: send_commit failed", group_id)
        self._flush_scheduled = False
        loop = asyncio.get_running_loop()
        for dst, box in self._outboxes.items():
            while box.pending and box.in_flight < self.max_in_flight:
                meta, blob = self._take_frame(box)
                box.in_flight += 1
                task = loop.create_task(self._send(dst, box, meta, blob))
                self._sends.add(task)
                task.add_done_callback(self._sends.discard)

    def _take_frame(self, box: Outbox) -> tuple[bytes, list[Buffer]]:
        """Everything pending for one peer, up to `max_frame_bytes` of messages."""
        messages, light, acks, nacks = box.take(self.max_frame_bytes)
        self.stats.messages_sent += len(messages)
        self.stats.light_sent += (len(light) + len(acks)) // 2 + len(nacks)
        return encode_batch(self.node_id, messages, light, acks, nacks)

    async def _send(self, dst: int, box: Outbox, meta: bytes, blob: Blob) -> None:
        try:
            client = self._peers.get(dst)
            await client.call(Method.raft_batch, meta, blob, timeout_ms=self.call_timeout_ms)
            self.stats.frames_sent += 1
        except RpcError as e:
            self.stats.frames_failed += 1
            log.debug("raft_batch to node %d failed: %s", dst, e)
        finally:
            box.in_flight -= 1
            if box.pending and not self._closed:
                self._schedule_flush()

    # ---- receiving ---------------------------------------------------------------------------------
    async def _handle(self, meta: bytes, blob: Buffer) -> tuple[bytes, bytes]:
        batch = decode_batch(meta, blob)  # FrameError: answered as handler_error
        if not self._closed:
            self.dispatch(batch)
        return b"", b""

    def dispatch(self, batch: RaftBatch) -> None:
        """Hand every message of a received frame to its group, in order (synchronously)."""
        stats = self.stats
        stats.frames_received += 1
        stats.messages_received += len(batch.messages)
        groups = self._groups
        for group_id, msg in batch.messages:
            consensus = groups.get(group_id)
            if consensus is None:
                stats.unknown_group += 1
            elif msg.dst != self.node_id:
                stats.misrouted += 1
            else:
                try:
                    consensus.receive(msg)
                except Exception:  # noqa: BLE001 - one group's failure must not stop the others
                    log.exception("raft group %d: receive failed", group_id)
        if batch.light or batch.acks or batch.nacks:
            self._dispatch_light(batch)

    def _dispatch_light(self, batch: RaftBatch) -> None:
        src, groups, stats = batch.src, self._groups, self.stats
        now = self._clock.monotonic_ms()
        light, acks = batch.light, batch.acks
        stats.light_received += (len(light) + len(acks)) // 2 + len(batch.nacks)
        if light:
            box = self._outbox(src)
            acks_out = box.acks
            for i in range(0, len(light), 2):
                group_id, term = light[i], light[i + 1]
                consensus = groups.get(group_id)
                if consensus is None:
                    stats.unknown_group += 1
                elif consensus.light_heartbeat(src, term, now):
                    acks_out[group_id] = term
                else:
                    box.nacks.add(group_id)
            if box.nacks:
                self._schedule_flush()
            # acks only keep the leader's quorum check alive: they ride with our next frame
            # to `src` (at the latest the next tick's), not a frame of their own
        for i in range(0, len(acks), 2):
            consensus = groups.get(acks[i])
            if consensus is not None:
                consensus.light_ack(src, acks[i + 1], now)
        for group_id in batch.nacks:
            consensus = groups.get(group_id)
            if consensus is not None:
                consensus.light_nack(src)
