"""Owns every partition replica on this node, following the controller's topic table.

A replica is opened only where this node is in the partition's assignment (the topic table's
replica node ids, preferred leader first); its Consensus has the assignment as voters and,
in a cluster (a RaftGroups given), the RaftGroups transport and ticker. Leadership changes
of the groups hosted here feed the LeaderTable (core.cluster.leaders), which also holds what
the other nodes said of theirs: `describe` answers leader, epoch, replicas and in-sync
replicas of any partition of the cluster, `leader` the local replica only while it leads
and serves (NOT_LEADER_OR_FOLLOWER otherwise).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.cluster import replica_dirs, topic_settings
from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.leaders import LeaderTable
from core.cluster.open_queue import OpenQueue
from core.cluster.partition import Partition
from core.cluster.raft_groups import RaftGroups
from core.cluster.topic_table import TopicMeta, TopicTable
from core.raft.consensus import Consensus
from core.storage.kvstore import deferred_durability
from core.storage.log import DiskLog

log = logging.getLogger("ailurus.partitions")

OPEN_SLICE_S = 0.05  # the longest one batch of background opens holds the event loop
READY_OPEN_BUDGET_S = 0.2  # user partitions opened before the listeners start, at most
REPLICA_LAG_TIME_MAX_MS = 30_000  # Kafka's replica.lag.time.max.ms default

LeadershipListener = Callable[[Partition], None]


def group_id_of(revision: int, index: int) -> int:
    """The Raft group id of a partition: identical on every node (revision = the controller
    offset of the command that created the partition)."""
    return revision * 10_000 + index + 1


@dataclass(frozen=True, slots=True)
class PartitionView:
    """A partition of the cluster as Metadata and the Admin API show it."""

    revision: int
    raft_group_id: int
    replicas: tuple[int, ...]
    leader_id: int | None  # None: not known (LEADER_NOT_AVAILABLE)
    leader_epoch: int  # -1 when the leader is not known
    in_sync: tuple[int, ...]  # the leader's view when it is this node, else the replicas


class PartitionManager:
    def __init__(
        self,
        data_dir: Path,
        node_id: int,
        topics: TopicTable,
        cluster_config,
        flusher,
        clock,
        *,
        leaders: LeaderTable | None = None,
        raft_groups: RaftGroups | None = None,
        replica_lag_time_max_ms: int = REPLICA_LAG_TIME_MAX_MS,
    ) -> None:
        self.root = data_dir / replica_dirs.KAFKA_NAMESPACE
        self.trash = data_dir / replica_dirs.TRASH_DIR
        self.node_id = node_id
        self.topics = topics
        self.is_disabled: Callable[[str, int], bool] = lambda _topic, _partition: False
        self.cluster_config = cluster_config
        self.leaders = leaders if leaders is not None else LeaderTable(node_id)
        self.replica_lag_time_max_ms = replica_lag_time_max_ms
        self._raft_groups = raft_groups  # None: one node, each group elects itself
        self._flusher = flusher
        self._clock = clock
        self._partitions: dict[tuple[str, int], Partition] = {}
        self._deleted_listeners: list = []
        self._leadership_listeners: list[LeadershipListener] = []
        self._elected_ms: dict[tuple[str, int], int] = {}  # when each led replica was elected
        # nodes hosting a partition beyond its assignment (a move's targets; core.cluster.moves)
        self.extra_hosts: Callable[[str, int], tuple[int, ...]] = lambda _topic, _index: ()
        # set: new partitions open in the reconciliation loop, off the controller's apply path
        self.defer_open: Callable[[TopicMeta], None] | None = None
        self._clean_at_open: bool | None = None  # see open_urgent
        self._queue = OpenQueue([])  # replicas opened after the listeners start
        self._resolver = topic_settings.Resolver(cluster_config.get)
        self.opened_all = False  # open_queued finished: every replica hosted here is open
        topics.subscribe(self._on_topic_event)
        cluster_config.subscribe(self._on_cluster_config)

    def get(self, topic: str, partition: int) -> Partition | None:
        """The replica hosted here, leader or follower."""
        return self._partitions.get((topic, partition))

    def all(self) -> list[Partition]:
        return list(self._partitions.values())

    def on_topics_deleted(self, fn) -> None:
        self._deleted_listeners.append(fn)

    def add_leadership_listener(self, fn: LeadershipListener) -> None:
        """`fn(partition)` whenever a replica hosted here changes leader or term."""
        self._leadership_listeners.append(fn)

    # ---- leadership ----------------------------------------------------------------------------
    def leader(self, topic: str, partition: int) -> Partition:
        """The replica hosted here if it leads and serves; raises ClusterError: not_leader
        (NOT_LEADER_OR_FOLLOWER, retriable) for a partition that exists elsewhere or whose
        new leader has not committed its term start yet, partition_not_found otherwise."""
        if self.is_disabled(topic, partition):  # core.cluster.partition_disable
            raise ClusterError(ClusterErrc.partition_disabled, f"{topic}/{partition}: disabled")
        replica = self._partitions.get((topic, partition))
        if replica is not None and replica.consensus.is_leader and replica.consensus.serving:
            return replica
        if replica is None:
            self._queue.hurry((topic, partition))  # still opening: a client waits for it
        meta = self.topics.get(topic)
        if meta is None or not 0 <= partition < meta.partitions:
            raise ClusterError(ClusterErrc.partition_not_found, f"{topic}/{partition}")
        raise ClusterError(ClusterErrc.not_leader, f"{topic}/{partition}: not led here")

    def is_serving_leader(self, topic: str, partition: int) -> bool:
        replica = self._partitions.get((topic, partition))
        return replica is not None and replica.consensus.is_leader and replica.consensus.serving

    def assignment(self, meta: TopicMeta, index: int) -> tuple[int, ...]:
        """The node ids holding partition `index`, preferred leader first."""
        assignments = meta.assignments
        return tuple(assignments[index]) if index < len(assignments) else (self.node_id,)

    def describe(self, topic: str, index: int) -> PartitionView | None:
        """Leader, epoch, replicas and ISR of any partition of the cluster (None: unknown)."""
        meta = self.topics.get(topic)
        if meta is None or not 0 <= index < meta.partitions:
            return None
        revision = meta.partition_revisions[index]
        replicas = self.assignment(meta, index)
        entry = self.leaders.get(topic, index)
        leader_id, epoch = None, -1
        if entry is not None and entry.revision == revision and entry.leader_id is not None:
            leader_id, epoch = entry.leader_id, entry.term
        in_sync = replicas
        local = self._partitions.get((topic, index))
        if local is not None and local.consensus.is_leader:
            in_sync = self._in_sync(local, replicas)
        return PartitionView(
            revision, group_id_of(revision, index), replicas, leader_id, epoch, in_sync
        )

    def in_sync_log_ends(self, topic: str, index: int) -> dict[int, int]:
        """The in-sync replicas of a partition led here, each with the log end offset it holds
        (a follower's: what it last acknowledged); empty when not led here (follower fetching,
        core.cluster.replica_selector)."""
        local = self._partitions.get((topic, index))
        meta = self.topics.get(topic)
        if local is None or meta is None or not local.consensus.is_leader:
            return {}
        core = local.consensus.core
        if core is None:
            return {}
        ends = {n: p.match[0] for n, p in core.progress.items()}
        ends[self.node_id] = local.log_end_offset
        in_sync = self._in_sync(local, self.assignment(meta, index))
        return {n: ends[n] for n in in_sync if n in ends}

    def _in_sync(self, partition: Partition, replicas: tuple[int, ...]) -> tuple[int, ...]:
        """The leader and the followers that answered it within replica_lag_time_max_ms.

        As Kafka's new leader, which counts every follower caught up at its election, a
        follower not heard from yet this term leaves the ISR only after that lag."""
        core = partition.consensus.core
        if core is None:
            return (self.node_id,)
        since = core.now_ms - self.replica_lag_time_max_ms
        elected_ms = self._elected_ms.get((partition.topic, partition.index), since)
        progress = core.progress
        return tuple(
            n
            for n in replicas
            if n == self.node_id
            or (n in progress and max(progress[n].last_ack_ms, elected_ms) >= since)
        )

    def _on_leader(self, partition: Partition) -> None:
        consensus = partition.consensus
        key = (partition.topic, partition.index)
        if consensus.is_leader and consensus.core is not None:
            self._elected_ms.setdefault(key, consensus.core.now_ms)
        else:
            self._elected_ms.pop(key, None)
        self.leaders.set_local(
            partition.topic,
            partition.index,
            partition.revision,
            consensus.leader_id,
            consensus.term,
        )
        for fn in self._leadership_listeners:
            fn(partition)

    # ---- startup / shutdown --------------------------------------------------------------------------
    def open_urgent(self, clean: bool | None = None) -> None:
        """Open the internal topics' replicas now, then others for up to READY_OPEN_BUDGET_S;
        queue the rest for `open_queued` (core.cluster.open_queue). `clean`: what the one clean-shutdown record
        says of the last stop (None: each log keeps a marker); a log opened later over an
        existing directory is scanned."""
        self._clean_at_open = clean
        queued: list[tuple[str, int]] = []
        with self._resolver.batch():
            for meta in list(self.topics.topics.values()):
                if meta.is_internal:
                    self._ensure_partitions(meta)
                else:
                    queued.extend((meta.name, i) for i in range(meta.partitions))
            self._queue = queue = OpenQueue(queued)
            # a small broker (a test suite's) opens everything before it serves
            deadline = time.monotonic() + READY_OPEN_BUDGET_S
            while queue and time.monotonic() < deadline:
                self._open_queued(queue.pop())

    async def open_queued(self, data_dir: Path) -> None:
        """Open the queued replicas in batches holding the loop at most OPEN_SLICE_S each
        (their state writes in one kvstore journal per batch, cyclic GC paused), yielding
        between batches; then remove stale directories. Cancelled (a stop): what is still
        queued stays closed, untouched since the last stop."""
        queue = self._queue
        try:
            while queue:
                gc.disable()
                try:
                    with deferred_durability(data_dir), self._resolver.batch():
                        deadline = time.monotonic() + OPEN_SLICE_S
                        while queue and time.monotonic() < deadline:
                            self._open_queued(queue.pop())
                finally:
                    gc.enable()
                gc.freeze()  # long-lived: later collections leave them out
                await asyncio.sleep(0)
        finally:
            self._clean_at_open = None if self._clean_at_open is None else False
        self._queue = OpenQueue([])
        self._remove_orphans()
        self.opened_all = True
        log.info("every partition replica hosted here is open (%d)", len(self._partitions))

    def _open_queued(self, key: tuple[str, int] | None) -> None:
        """Open one queued replica unless it was deleted, moved away or opened meanwhile."""
        if key is None or key in self._partitions:
            return
        meta = self.topics.get(key[0])
        index = key[1]
        if meta is None or index >= meta.partitions or not self._hosts_here(meta, index):
            return
        try:
            self._open(meta, index, meta.partition_revisions[index], self.assignment(meta, index))
        except Exception:  # one unreadable replica stays leaderless, the others open
            log.exception("cannot open replica %s/%d", *key)

    @property
    def opening(self) -> int:
        """Replicas hosted here still waiting to open."""
        return len(self._queue)

    def close_all(self) -> None:
        for partition in list(self._partitions.values()):
            self._close(partition)
        self._partitions.clear()

    def _close(self, partition: Partition) -> None:
        if self._raft_groups is not None:
            self._raft_groups.unregister(partition.raft_group_id)
        self._flusher.forget(partition.consensus)
        partition.close()
        self.leaders.forget_local(partition.topic, partition.index)
        self._elected_ms.pop((partition.topic, partition.index), None)

    def _remove_orphans(self) -> None:
        replica_dirs.remove_orphans(
            self.root, self.trash, self._owns_dir, lambda topic: self.topics.get(topic) is not None
        )

    def _owns_dir(self, topic: str, index: int, revision: int) -> bool:
        meta = self.topics.get(topic)
        return (
            meta is not None
            and index < meta.partitions
            and meta.partition_revisions[index] == revision
            and self._hosts_here(meta, index)
        )

    # ---- topic table events --------------------------------------------------------------------------
    def _on_topic_event(self, event: str, meta: TopicMeta) -> None:
        if event in ("created", "partitions"):
            if self.defer_open is not None:
                self.defer_open(meta)
            else:
                self._ensure_partitions(meta)
        elif event == "deleted":
            self._delete_topic(meta)
        elif event == "config":
            settings = topic_settings.resolve(meta, self.cluster_config.get)
            for i in range(meta.partitions):
                partition = self.get(meta.name, i)
                if partition is not None:
                    topic_settings.apply(partition, settings)

    def _on_cluster_config(self, *_args) -> None:
        with self._resolver.batch():
            for partition in self._partitions.values():
                meta = self.topics.get(partition.topic)
                if meta is not None:
                    self._configure(partition, meta)

    def _ensure_partitions(self, meta: TopicMeta) -> None:
        with self._resolver.batch():
            for i, revision in enumerate(meta.partition_revisions):
                if (meta.name, i) not in self._partitions and self._hosts_here(meta, i):
                    self._open(meta, i, revision, self.assignment(meta, i))

    def _hosts_here(self, meta: TopicMeta, index: int) -> bool:
        return self.node_id in self.assignment(meta, index) or self.node_id in self.extra_hosts(
            meta.name, index
        )

    # ---- replica-set changes (core.cluster.reconciler, off the controller's apply path) --------
    def open_replica(self, topic: str, index: int) -> Partition | None:
        """Open this node's replica of a partition moving here (voters: its assignment)."""
        meta = self.topics.get(topic)
        if meta is None or (topic, index) in self._partitions:
            return self._partitions.get((topic, index))
        revision = meta.partition_revisions[index]
        self._open(meta, index, revision, self.assignment(meta, index))
        return self._partitions[(topic, index)]

    def remove_replica(self, topic: str, index: int) -> None:
        """Close this node's replica of a partition moved away and delete its files."""
        partition = self._partitions.pop((topic, index), None)
        if partition is None:
            return
        self._close(partition)
        replica_dirs.remove_in_background(
            replica_dirs.replica_dir(self.root, topic, index, partition.revision), self.trash
        )

    def _open(self, meta: TopicMeta, index: int, revision: int, voters: tuple[int, ...]) -> None:
        directory = replica_dirs.replica_dir(self.root, meta.name, index, revision)
        settings = self._resolver.settings(meta)
        disk_log = DiskLog.open(directory, settings.log_config, self._clock, self._clean_at_open)
        group_id = group_id_of(revision, index)
        groups = self._raft_groups
        if groups is None:
            consensus = Consensus(group_id, self.node_id, disk_log, self._flusher, voters=voters)
        else:
            consensus = Consensus(
                group_id,
                self.node_id,
                disk_log,
                self._flusher,
                voters=voters,
                transport=groups.transport(group_id),
                clock=self._clock,
            )
        partition = Partition(
            meta.name, index, meta.topic_id, revision, consensus, disk_log, self._clock
        )
        topic_settings.apply(partition, settings)
        consensus.add_leader_listener(lambda _term, _leader: self._on_leader(partition))
        if groups is not None:
            groups.register(consensus)  # ticked by the groups' one ticker from its start
        partition.start()
        self._partitions[(meta.name, index)] = partition
        self._on_leader(partition)  # what start decided (one voter: itself, in a new term)

    def _delete_topic(self, meta: TopicMeta) -> None:
        for i in range(meta.partitions):
            partition = self._partitions.pop((meta.name, i), None)
            if partition is not None:
                self._close(partition)
        self.leaders.remove_topic(meta.name)
        replica_dirs.remove_in_background(self.root / meta.name, self.trash)
        for fn in self._deleted_listeners:
            fn([meta.name])

    # ---- configuration -------------------------------------------------------------------------------
    def effective(self, meta: TopicMeta, name: str) -> str | None:
        """The value that applies to the topic (core.cluster.topic_settings.effective)."""
        return topic_settings.effective(meta, name, self.cluster_config.get)

    def _configure(self, partition: Partition, meta: TopicMeta) -> None:
        topic_settings.apply(partition, self._resolver.settings(meta))
