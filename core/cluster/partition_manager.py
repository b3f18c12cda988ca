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
import logging
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.cluster import topic_config
from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.leaders import LeaderTable
from core.cluster.partition import Partition
from core.cluster.raft_groups import RaftGroups
from core.cluster.topic_table import TopicMeta, TopicTable
from core.raft.consensus import Consensus
from core.storage.log import DiskLog, LogConfig

log = logging.getLogger("ailurus.partitions")

KAFKA_NAMESPACE = "kafka"
TRASH_DIR = ".trash"  # beside the namespaces: deleted topics wait here for removal
U32_MAX = 2**32 - 1  # a segment's positions are u32 in its index

# What applies when neither the topic nor the cluster sets a value (a nullable cluster
# default left unset): Kafka's defaults, so DescribeConfigs never reports null.
KAFKA_FALLBACKS = {
    "segment.ms": "604800000",  # Kafka's log.roll.ms default: 7 days
    "flush.bytes": str(256 * 1024),
    "flush.ms": "100",
    "max.message.bytes": str(1024 * 1024),
    "segment.bytes": str(128 * 1024 * 1024),
    "cleanup.policy": "delete",
    "message.timestamp.type": "CreateTime",
    "write.caching": "false",
    "retention.ms": "-1",
    "retention.bytes": "-1",
}


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
        self.root = data_dir / KAFKA_NAMESPACE
        self.trash = data_dir / TRASH_DIR
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
        self._clean_at_open: bool | None = None  # see open_existing
        self.opened_all = False  # open_existing finished: every replica hosted here is open
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
    def open_existing(self, clean: bool | None = None) -> None:
        """Open a replica for every partition in the topic table; remove stale directories.
        `clean`: what the one clean-shutdown record says of the last stop (None: each log keeps
        a marker); a log opened later over an existing directory is scanned."""
        self._clean_at_open = clean
        try:
            for meta in list(self.topics.topics.values()):
                self._ensure_partitions(meta)
        finally:
            self._clean_at_open = None if clean is None else False
        self._remove_orphans()
        self.opened_all = True

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
        shutil.rmtree(self.trash, ignore_errors=True)  # deletions a crash interrupted
        if not self.root.exists():
            return
        for topic_dir in self.root.iterdir():
            meta = self.topics.get(topic_dir.name)
            for part_dir in topic_dir.iterdir() if topic_dir.is_dir() else []:
                idx, _, rev = part_dir.name.partition("_")
                keep = (
                    meta is not None
                    and idx.isdigit()
                    and rev.isdigit()
                    and int(idx) < meta.partitions
                    and meta.partition_revisions[int(idx)] == int(rev)
                    and self._hosts_here(meta, int(idx))
                )
                if not keep:
                    log.info("removing stale replica directory %s", part_dir)
                    shutil.rmtree(part_dir, ignore_errors=True)
            if meta is None:
                shutil.rmtree(topic_dir, ignore_errors=True)

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
            for i in range(meta.partitions):
                partition = self.get(meta.name, i)
                if partition is not None:
                    self._configure(partition, meta)

    def _on_cluster_config(self, *_args) -> None:
        for partition in self._partitions.values():
            meta = self.topics.get(partition.topic)
            if meta is not None:
                self._configure(partition, meta)

    def _ensure_partitions(self, meta: TopicMeta) -> None:
        for i, revision in enumerate(meta.partition_revisions):
            voters = self.assignment(meta, i)
            if (meta.name, i) not in self._partitions and self._hosts_here(meta, i):
                self._open(meta, i, revision, voters)

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
        self._remove_dir_in_background(self.root / topic / f"{index}_{partition.revision}")

    def _open(self, meta: TopicMeta, index: int, revision: int, voters: tuple[int, ...]) -> None:
        directory = self.root / meta.name / f"{index}_{revision}"
        disk_log = DiskLog.open(directory, self._log_config(meta), self._clock, self._clean_at_open)
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
        self._configure(partition, meta)
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
        self._remove_dir_in_background(self.root / meta.name)
        for fn in self._deleted_listeners:
            fn([meta.name])

    def _remove_dir_in_background(self, path: Path) -> None:
        """Rename aside at once (a topic of the same name may be created next), delete off the loop.

        A crash before the deletion finishes leaves it in the trash, which `_remove_orphans`
        empties at the next start.
        """
        if not path.exists():
            return
        self.trash.mkdir(parents=True, exist_ok=True)
        trash = self.trash / f"{path.name}-{uuid.uuid4().hex[:8]}"
        path.rename(trash)
        asyncio.get_running_loop().run_in_executor(None, shutil.rmtree, trash, True)

    # ---- configuration -------------------------------------------------------------------------------
    def effective(self, meta: TopicMeta, name: str) -> str | None:
        """The value that applies to the topic: its override, the cluster default, or
        Kafka's default when the cluster leaves it unset (what DescribeConfigs reports)."""
        value = topic_config.effective(name, meta.configs, self.cluster_config.get)
        return KAFKA_FALLBACKS.get(name) if value is None else value

    def _log_config(self, meta: TopicMeta) -> LogConfig:
        def num(name: str) -> int | None:
            value = self.effective(meta, name)
            if value is None or value == "":
                return None
            n = int(value)
            return None if n < 0 else n

        retention_ms, retention_bytes = num("retention.ms"), num("retention.bytes")
        if self.effective(meta, "cleanup.policy") == "":
            retention_ms = retention_bytes = None  # Kafka: an empty policy keeps data forever
        return LogConfig(
            segment_bytes=self._clamp(
                num("segment.bytes") or 128 * 1024 * 1024,
                "log_segment_size_min",
                "log_segment_size_max",
                upper=U32_MAX,
            ),
            segment_ms=self._clamp(
                num("segment.ms") or 604_800_000, "log_segment_ms_min", "log_segment_ms_max"
            ),
            retention_ms=retention_ms,
            retention_bytes=retention_bytes,
        )

    def _clamp(self, value: int, min_name: str, max_name: str, upper: int | None = None) -> int:
        """Redpanda's segment bounds: the log rolls at the clamped value, while the topic
        keeps (and DescribeConfigs reports) the value the user set."""
        lo, hi = self.cluster_config.get(min_name), self.cluster_config.get(max_name)
        if hi is not None:
            value = min(value, int(hi))
        if lo is not None:
            value = max(value, int(lo))
        return min(value, upper) if upper is not None else value

    def _configure(self, partition: Partition, meta: TopicMeta) -> None:
        partition.log.update_config(self._log_config(meta))
        partition.max_message_bytes = int(self.effective(meta, "max.message.bytes") or 1024 * 1024)
        partition.log_append_time = (
            self.effective(meta, "message.timestamp.type") == "LogAppendTime"
        )
        partition.produce_policy = topic_config.produce_policy(
            meta.configs, self.cluster_config.get
        )
        partition.producers.configure(  # producer expiry (core.cluster.producer_table)
            int(self.cluster_config.get("transactional_id_expiration_ms")),
            int(self.cluster_config.get("max_concurrent_producer_ids")),
        )
        consensus = partition.consensus
        consensus.write_caching = self.effective(meta, "write.caching") == "true"
        consensus.flush_delay_ms = int(self.effective(meta, "flush.ms") or 100)
        consensus.flush_bytes_max = int(self.effective(meta, "flush.bytes") or 256 * 1024)
