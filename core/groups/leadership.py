"""LeadershipFollower: the part of GroupCoordinator (core.groups.coordinator) that follows
the leadership of the `__consumer_offsets` partitions hosted here and loads their groups.

The partition manager tells the coordinator when a replica changes leader or term (its 1 s
check backs that up). For each term this node leads a partition, once that term serves (its
term start committed), the partition is replayed from its start to its high watermark into
a PartitionLoad of the core (transactional records wait for their markers), and the core
answers for its groups (COORDINATOR_LOAD_IN_PROGRESS meanwhile). When leadership goes, a load
under way is cancelled and the partition's groups are dropped (NOT_COORDINATOR).
`LeadershipFollower` is a base of GroupCoordinator, which sets the attributes declared below.

The wait for the term to serve and the replay together get `kafka_group_recovery_timeout_ms`
(read when each load starts, 30 s by default, at most an hour), as Redpanda's group manager
gives its barrier and its read of the partition one deadline. A load past it gives up: its
groups are dropped (NOT_COORDINATOR) and the next leadership check (each second) starts it
again while this node leads. Redpanda steps down instead, so that another replica tries; here
leadership stays, so a too-short timeout keeps the partition's groups unanswered until it is
raised.
"""

from __future__ import annotations

import asyncio
import functools
import logging

from core.cluster.partition_manager import PartitionManager
from core.cluster.topics import TopicsFrontend
from core.config.cluster_properties import ClusterConfigStore
from core.groups.manager import GroupManager
from core.groups.router import OFFSETS_TOPIC
from core.groups.txn_offsets import CONTROL_COMMIT, control_type
from core.model.records import iter_batches

log = logging.getLogger(__name__)

_READ_CHUNK_BYTES = 1024 * 1024
TOPIC_WAIT_S = 30.0  # the longest wait for the topic's partitions to open once created
POLL_S = 0.01
RECOVERY_TIMEOUT = "kafka_group_recovery_timeout_ms"
DEFAULT_RECOVERY_TIMEOUT_MS = 30_000
MAX_RECOVERY_TIMEOUT_MS = 3_600_000


def recovery_timeout_s(config: ClusterConfigStore) -> float:
    """kafka_group_recovery_timeout_ms in seconds, bounded to [1 ms, 1 h]."""
    try:
        timeout_ms = int(config.get(RECOVERY_TIMEOUT))
    except (KeyError, TypeError, ValueError):
        timeout_ms = DEFAULT_RECOVERY_TIMEOUT_MS
    return min(max(timeout_ms, 1), MAX_RECOVERY_TIMEOUT_MS) / 1000


class LeadershipFollower:
    manager: GroupManager
    clustered: bool
    _partitions: PartitionManager
    _topics: TopicsFrontend
    _config_store: ClusterConfigStore
    _loading: dict[int, asyncio.Task]
    _load_term: dict[int, int]  # the term each owned partition was loaded for
    _creating: asyncio.Task | None  # the task creating the topic, once started

    def _is_leader(self, partition: int) -> bool:
        """This node leads the partition and its term serves."""
        return self._partitions.is_serving_leader(OFFSETS_TOPIC, partition)

    def _leader_term(self, partition: int) -> int | None:
        """The term in which this node leads the partition, None when it does not."""
        target = self._partitions.get(OFFSETS_TOPIC, partition)
        return target.leader_epoch if target is not None and target.is_leader else None

    def _loaded(self, partition: int, task: asyncio.Task, _done: asyncio.Task) -> None:
        if self._loading.get(partition) is task:
            del self._loading[partition]

    async def _load(self, partition: int) -> None:
        """Once the term serves, replay the partition up to its high watermark, then answer
        for its groups (COORDINATOR_LOAD_IN_PROGRESS meanwhile)."""
        target = self._partitions.get(OFFSETS_TOPIC, partition)
        if target is None:  # deleted since leadership was seen
            return
        timeout_s = recovery_timeout_s(self._config_store)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        load = self.manager.begin_load(partition)
        while loop.time() < deadline:  # polled: no event marks a term that starts serving
            if self._is_leader(partition) or not target.is_leader:
                break
            await asyncio.sleep(POLL_S)
        if not self._is_leader(partition):  # leadership went, or its term did not serve
            if target.is_leader:
                self._give_up(partition, timeout_s, "its term to serve")
            self._unload(partition)
            return
        offset, end = target.start_offset, target.high_watermark
        while offset < end:  # bounded: each pass advances past at least one batch, or stops
            if loop.time() >= deadline:
                self._give_up(partition, timeout_s, f"the replay (offset {offset} of {end})")
                self._unload(partition)
                return
            data = target.read_bytes(offset, _READ_CHUNK_BYTES)
            if not data:
                break
            for header, records in iter_batches(data):
                if header.is_control:
                    marker = control_type(records)
                    if marker is not None:
                        load.apply_marker(header.producer_id, marker == CONTROL_COMMIT)
                elif header.is_transactional and header.producer_id >= 0:
                    for record in records:
                        load.apply_txn(header.producer_id, record.key, record.value)
                else:
                    for record in records:
                        load.apply(record.key, record.value)
                offset = header.last_offset + 1
            await asyncio.sleep(0)  # let the broker breathe during a long replay
        self.manager.finish_load(load)

    def _give_up(self, partition: int, timeout_s: float, waiting_for: str) -> None:
        log.warning(
            "%s/%d: loading its groups gave up waiting for %s after %s=%d ms; "
            "loaded again at the next leadership check",
            OFFSETS_TOPIC,
            partition,
            waiting_for,
            RECOVERY_TIMEOUT,
            round(timeout_s * 1000),
        )

    def _on_leadership(self, partition) -> None:
        """A replica hosted here changed leader or term (called inside consensus: the
        reaction runs on the next loop iteration)."""
        if partition.topic == OFFSETS_TOPIC and partition.index < self.manager.partitions:
            asyncio.get_running_loop().call_soon(self._follow, partition.index)

    def _follow_leadership(self) -> None:
        for partition in range(self.manager.partitions):
            self._follow(partition)

    def _follow(self, partition: int) -> None:
        """Load a partition for each term this node leads it; drop it when leadership goes."""
        if self._topics.table.get(OFFSETS_TOPIC) is None:
            return  # not created yet (alone: every partition is loaded and empty)
        if self._creating is not None and not self._creating.done() and not self.clustered:
            return  # _create waits until it leads what it created
        term = self._leader_term(partition)
        if term is None:
            if partition in self.manager.status or partition in self._loading:
                log.info("%s/%d: no longer leader, unloading its groups", OFFSETS_TOPIC, partition)
                self._unload(partition)
        elif self._load_term.get(partition) != term or partition not in self.manager.status:
            self._unload(partition)
            self._load_term[partition] = term
            task = asyncio.create_task(self._load(partition), name=f"groups-load-{partition}")
            self._loading[partition] = task
            task.add_done_callback(functools.partial(self._loaded, partition, task))

    def _unload(self, partition: int) -> None:
        task = self._loading.pop(partition, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        self._load_term.pop(partition, None)
        self.manager.unload(partition)
