"""LeaderTable: who leads each partition, as this node knows it (Redpanda's leaders table and
metadata dissemination).

An entry is (topic, partition) -> Leadership(revision, term, leader_id | None). The groups this
node hosts feed it from their Consensus leader listeners (`set_local`); what other nodes tell
us arrives by Method.leaders_update (`handle`). Every node sends its own groups' changes to
every peer, coalesced every `flush_interval_ms` (a leadership won here at once, at the end of
the loop iteration), plus a full refresh of the partitions it leads
every `refresh_interval_ms` (and a ping, an empty update, every `ping_interval_ms`), so a
node that missed a change, restarted or just joined converges. No gossip: each node speaks
only for the groups it hosts.

`refresh_interval_ms` is the cluster property `metadata_dissemination_interval_ms` once
`use_config` is given the cluster configuration (read at every tick, so a change applies at
the next tick; bounded to [flush_interval_ms, 1 h]). Redpanda's metadata dissemination service
wakes every metadata_dissemination_interval_ms to send the changes it coalesced and to refresh
its leaders from the cluster health report: that period bounds how long a node that missed a
change stays without it. Here a change travels within `flush_interval_ms` (100 ms), so the
property's counterpart is the full refresh: how long a restarted or joining node, or one that
missed an update, may wait to learn the leaders of partitions it does not host.

Merge rule (`merge`): a higher partition revision wins (a topic deleted and created again
starts its terms afresh), then a higher term; in the same term a known leader replaces an
unknown one, and only the leader itself may withdraw its own claim (same term, no leader),
since Raft has at most one leader per term.

Liveness: a peer is alive while we heard from it (any update or ping it sent, any answer it
gave) within `alive_timeout_ms` and our RPC client is not failing to reach it (`unreachable`); the Admin API's is_alive and health overview read it. Every
update carries its sender's uptime (8 bytes, the frame's blob), so `uptime_ms` tells a node
that just restarted (the leader balancer mutes it a while, as Redpanda does).
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from core.cluster.leaders_wire import (
    MAX_ENTRIES_PER_FRAME,
    NO_LEADER,
    Key,
    Leadership,
    decode,
    encode,
)
from core.common.clock import Clock, SystemClock
from core.rpc.client import PeerClients
from core.rpc.errors import RpcError
from core.rpc.frame import Buffer, Method

log = logging.getLogger("ailurus.leaders")

__all__ = [  # the wire format's names, importable from here as before
    "MAX_ENTRIES_PER_FRAME",
    "NO_LEADER",
    "Key",
    "Leadership",
    "LeaderTable",
    "decode",
    "encode",
    "merge",
]

_UPTIME = struct.Struct("<q")  # the blob: the sender's uptime in ms
DISSEMINATION_INTERVAL = "metadata_dissemination_interval_ms"
MAX_REFRESH_INTERVAL_MS = 3_600_000  # the longest full-refresh period the property may set


def merge(current: Leadership | None, new: Leadership, source: int) -> bool:
    """Whether `new`, reported by node `source`, replaces `current`."""
    if current is None:
        return True
    if new.revision != current.revision:
        return new.revision > current.revision
    if new.term != current.term:
        return new.term > current.term
    if new.leader_id == current.leader_id:
        return False
    if current.leader_id is None:
        return True
    return new.leader_id is None and source == current.leader_id


@dataclass(slots=True)
class _Peer:
    pending: dict[Key, Leadership]
    refreshed_ms: int | None = None  # the last full refresh sent (None: due at once)
    ping_due_ms: int = 0
    sending: asyncio.Task | None = None


class LeaderTable:
    def __init__(
        self,
        node_id: int,
        peers: PeerClients | None = None,
        members: Callable[[], Iterable[int]] | None = None,
        *,
        clock: Clock | None = None,
        flush_interval_ms: int = 100,
        refresh_interval_ms: int = 3_000,  # without use_config (the property's default)
        ping_interval_ms: int = 1_000,
        alive_timeout_ms: int = 3_000,
        rpc_timeout_ms: int = 2_000,
    ) -> None:
        self.node_id = node_id
        self._peer_clients = peers
        self._members = members or (lambda: ())
        self._clock = clock or SystemClock()
        self.flush_interval_ms = flush_interval_ms
        self._refresh_interval_ms = refresh_interval_ms
        self._config: Callable[[str], Any] | None = None
        self.ping_interval_ms = ping_interval_ms
        self.alive_timeout_ms = alive_timeout_ms
        self.rpc_timeout_ms = rpc_timeout_ms
        self._table: dict[str, dict[int, Leadership]] = {}
        self._local: dict[Key, Leadership] = {}  # what this node's own groups said last
        self._changes: dict[Key, Leadership] = {}  # accepted local changes not yet queued
        self._peers: dict[int, _Peer] = {}
        self._contact_ms: dict[int, int] = {}
        self._started_ms = self._clock.monotonic_ms()
        self._uptime: dict[int, tuple[int, int]] = {}  # node -> (its uptime, when we heard it)
        self._task: asyncio.Task | None = None
        self._flush_scheduled = False
        self._unreachable: set[int] = set()
        self._failed_ms: dict[int, int] = {}  # node -> when our last call to it failed
        self._unreachable_listeners: list[Callable[[int], None]] = []
        self.frames_received = 0
        self.updates_received = 0
        self.updates_rejected = 0

    def use_config(self, config: Callable[[str], Any]) -> None:
        """Take the full-refresh period from `config` (ClusterConfigStore.get):
        metadata_dissemination_interval_ms, read at every tick."""
        self._config = config

    @property
    def refresh_interval_ms(self) -> int:
        if self._config is None:
            return self._refresh_interval_ms
        try:
            value = int(self._config(DISSEMINATION_INTERVAL))
        except (KeyError, TypeError, ValueError):
            return self._refresh_interval_ms
        return min(max(value, self.flush_interval_ms), MAX_REFRESH_INTERVAL_MS)

    # ---- reads -----------------------------------------------------------------------------------
    def get(self, topic: str, partition: int) -> Leadership | None:
        """The partition's leadership; a leader this node cannot reach (`unreachable`) is
        reported as none, so Metadata answers LEADER_NOT_AVAILABLE and clients look for the
        next leader at once rather than at their next periodic metadata refresh."""
        entry = self._table.get(topic, {}).get(partition)
        if entry is not None and entry.leader_id is not None and self.unreachable(entry.leader_id):
            return Leadership(entry.revision, entry.term, None)
        return entry

    def leader_id(self, topic: str, partition: int, revision: int | None = None) -> int | None:
        """The leader's node id, None when unknown (or known only for another revision)."""
        entry = self.get(topic, partition)
        if entry is None or (revision is not None and entry.revision != revision):
            return None
        return entry.leader_id

    def entries(self) -> Iterator[tuple[str, int, Leadership]]:
        for topic, parts in self._table.items():
            for partition, entry in parts.items():
                yield topic, partition, entry

    def is_alive(self, node_id: int) -> bool:
        if node_id == self.node_id:
            return True
        heard = self._contact_ms.get(node_id)
        if heard is None or self._clock.monotonic_ms() - heard > self.alive_timeout_ms:
            return False
        return not self.unreachable(node_id)

    def add_unreachable_listener(self, fn: Callable[[int], None]) -> None:
        """`fn(node_id)` when a peer becomes unreachable (checked every flush tick; a peer
        whose connection dropped is probed at once, so a crashed node shows within a tick)."""
        self._unreachable_listeners.append(fn)

    def unreachable(self, node_id: int) -> bool:
        """Our RPC connection to `node_id` is down and our last call to it failed after the
        last time we heard from it: a crashed or stopped node shows so within a flush tick
        (a dropped connection is probed at once)."""
        failed = self._failed_ms.get(node_id)
        if failed is None or failed < self._contact_ms.get(node_id, failed):
            return False
        assert self._peer_clients is not None
        try:
            return not self._peer_clients.get(node_id).connected
        except RpcError:
            return False

    def last_contact_ms(self, node_id: int) -> int | None:
        return self._contact_ms.get(node_id)

    def uptime_ms(self, node_id: int) -> int | None:
        """How long `node_id`'s process has run, as it last told us (None: never told)."""
        now = self._clock.monotonic_ms()
        if node_id == self.node_id:
            return now - self._started_ms
        told = self._uptime.get(node_id)
        return None if told is None else told[0] + now - told[1]

    # ---- writes ----------------------------------------------------------------------------------
    def set_local(
        self, topic: str, partition: int, revision: int, leader_id: int | None, term: int
    ) -> bool:
        """A group hosted here changed leader or term; queued for every peer if accepted."""
        entry = Leadership(revision, term, leader_id)
        key = (topic, partition)
        self._local[key] = entry
        if not self._merge(topic, partition, entry, self.node_id):
            return False
        self._changes[key] = entry
        if leader_id == self.node_id:
            self._flush_soon()  # a new leader here: the others (and their clients) learn it now
        return True

    def _flush_soon(self) -> None:
        if self._task is not None and not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._early_tick)

    def _early_tick(self) -> None:
        self._flush_scheduled = False
        try:
            self.tick()
        except Exception:  # the periodic tick retries
            log.exception("leaders: dissemination tick failed")

    def forget_local(self, topic: str, partition: int) -> None:
        """The replica here was closed (its topic deleted or moved away)."""
        self._local.pop((topic, partition), None)
        self._changes.pop((topic, partition), None)

    def remove_topic(self, topic: str) -> None:
        self._table.pop(topic, None)
        for key in [k for k in self._local if k[0] == topic]:
            self.forget_local(*key)
        for peer in self._peers.values():
            for key in [k for k in peer.pending if k[0] == topic]:
                del peer.pending[key]

    def _merge(self, topic: str, partition: int, entry: Leadership, source: int) -> bool:
        parts = self._table.setdefault(topic, {})
        if not merge(parts.get(partition), entry, source):
            return False
        parts[partition] = entry
        return True

    # ---- RPC: receiving ----------------------------------------------------------------------------
    def register(self, rpc_server) -> None:
        """Serve Method.leaders_update on this node's RpcServer (core.rpc.server)."""
        rpc_server.register(Method.leaders_update, self.handle)

    async def handle(self, meta: bytes, blob: Buffer) -> tuple[bytes, bytes]:
        source, entries = decode(meta)
        self.frames_received += 1
        now = self._contact_ms[source] = self._clock.monotonic_ms()
        if len(blob) == _UPTIME.size:
            self._uptime[source] = (_UPTIME.unpack(bytes(blob))[0], now)
        for topic, partition, entry in entries:
            self.updates_received += 1
            if not self._merge(topic, partition, entry, source):
                self.updates_rejected += 1
        return b"", b""

    # ---- RPC: sending -------------------------------------------------------------------------------
    def start(self) -> None:
        if self._peer_clients is not None and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="leaders")

    async def stop(self) -> None:
        tasks = [p.sending for p in self._peers.values() if p.sending is not None]
        if self._task is not None:
            tasks.append(self._task)
            self._task = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                self.tick()
            except Exception:  # one bad tick must not stop dissemination for good
                log.exception("leaders: dissemination tick failed")
            await asyncio.sleep(self.flush_interval_ms / 1000)

    def tick(self) -> None:
        """Queue the coalesced changes for every peer and send to each peer not busy."""
        members = {n for n in self._members() if n != self.node_id}
        for gone in set(self._peers) - members:
            task = self._peers.pop(gone).sending
            if task is not None:
                task.cancel()
        changes, self._changes = self._changes, {}
        now = self._clock.monotonic_ms()
        refresh_ms = self.refresh_interval_ms
        for node_id in members:
            peer = self._peers.get(node_id)
            if peer is None:
                peer = self._peers[node_id] = _Peer(pending={})
            peer.pending.update(changes)
            self._check_reachable(node_id, peer, now)
            if peer.sending is None:
                self._maybe_send(node_id, peer, now, refresh_ms)

    def _check_reachable(self, node_id: int, peer: _Peer, now: int) -> None:
        if self.unreachable(node_id):
            if node_id not in self._unreachable:
                self._unreachable.add(node_id)
                log.info("leaders: node %d unreachable", node_id)
                for fn in self._unreachable_listeners:
                    fn(node_id)
            return
        self._unreachable.discard(node_id)
        assert self._peer_clients is not None
        try:
            connected = self._peer_clients.get(node_id).connected
        except RpcError:
            return
        if not connected:
            peer.ping_due_ms = min(peer.ping_due_ms, now)  # probe now: redial it

    def _maybe_send(self, node_id: int, peer: _Peer, now: int, refresh_ms: int) -> None:
        if peer.refreshed_ms is None or now - peer.refreshed_ms >= refresh_ms:
            peer.refreshed_ms = now
            batch = self._led_here()  # current: wins over a queued change of the same key
            for key, entry in peer.pending.items():
                batch.setdefault(key, entry)
        elif peer.pending:
            batch = dict(peer.pending)
        elif now >= peer.ping_due_ms:
            batch = {}
        else:
            return
        peer.pending = {}
        peer.ping_due_ms = now + self.ping_interval_ms
        peer.sending = asyncio.get_running_loop().create_task(self._send(node_id, peer, batch))

    def _led_here(self) -> dict[Key, Leadership]:
        """The partitions this node leads (its own groups say so and the table agrees)."""
        out = {}
        for key, entry in self._local.items():
            if entry.leader_id == self.node_id and self.get(*key) == entry:
                out[key] = entry
        return out

    async def _send(self, node_id: int, peer: _Peer, batch: dict[Key, Leadership]) -> None:
        assert self._peer_clients is not None
        items = list(batch.items())
        sent = 0
        try:
            client = self._peer_clients.get(node_id)
            while True:
                chunk = items[sent : sent + MAX_ENTRIES_PER_FRAME]
                uptime = _UPTIME.pack(self._clock.monotonic_ms() - self._started_ms)
                await client.call(
                    Method.leaders_update,
                    encode(self.node_id, chunk),
                    uptime,
                    timeout_ms=self.rpc_timeout_ms,
                )
                self._contact_ms[node_id] = self._clock.monotonic_ms()
                sent += len(chunk)
                if sent >= len(items):
                    break
        except RpcError as exc:
            self._failed_ms[node_id] = self._clock.monotonic_ms()
            log.debug("leaders: update to node %d failed: %s", node_id, exc)
            for key, entry in items[sent:]:  # resent next time unless a newer one is queued
                peer.pending.setdefault(key, entry)
        finally:
            peer.sending = None
