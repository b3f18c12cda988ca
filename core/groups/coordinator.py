"""GroupCoordinator: the group service the broker runs, around the pure core.

It owns the I/O: creating `__consumer_offsets` on first use, replaying each partition this node
leads before answering for its groups (COORDINATOR_LOAD_IN_PROGRESS meanwhile),
writing through the partition API, and driving the core's timers from the Clock.
Handlers call the methods below; each is the core's, answered synchronously or
with an awaitable Completion.

Leadership: the partition manager tells us when a `__consumer_offsets` replica hosted here
changes leader or term (a 1 s check backs it up). A partition is (re)loaded for each term
this node leads it, once that term serves (its term start committed: what the previous
leader committed is all in the log), and unloaded when leadership goes (its groups answer
NOT_COORDINATOR): GroupCoordinator's base LeadershipFollower (core.groups.leadership) does that.
FindCoordinator names the partition's leader from the leaders table.

Alone (`clustered` False) a fresh broker answers for every group at once and creates the
topic on the first write; in a cluster the topic (replication factor
min(internal_topic_replication_factor, members), odd, as Redpanda's internal topics) is created
when a group is first looked up, and groups are answered once its leaders load them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from kio.schema.errors import ErrorCode

from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.partition_manager import PartitionManager
from core.cluster.topics import TopicsFrontend, create_topic_timeout_s
from core.common.clock import Clock
from core.config.cluster_properties import ClusterConfigStore
from core.groups.completion import Completion
from core.groups.config import GroupConfig
from core.groups.journal import PartitionJournal
from core.groups.lag import HighWatermarkFn, group_lags
from core.groups.leadership import (
    POLL_S,
    TOPIC_WAIT_S,
    LeadershipFollower,
    recovery_timeout_s,
)
from core.groups.manager import GroupManager, PartitionStatus
from core.groups.membership import JoinParams, SyncParams
from core.groups.offsets import KV, CommitOutcome, CommitParams
from core.groups.results import (
    GroupListing,
    GroupSummary,
    JoinResult,
    LeaveRequestMember,
    LeaveResult,
    OffsetFetchResult,
    SyncResult,
)
from core.groups.router import OFFSETS_TOPIC

log = logging.getLogger(__name__)

KEY_TYPE_GROUP = 0
KEY_TYPE_TRANSACTION = 1
_TIMER_SLEEP_MAX_MS = 50
_LEADERSHIP_CHECK_MS = 1_000


class GroupCoordinator(LeadershipFollower):
    def __init__(
        self,
        *,
        node_id: int,
        clock: Clock,
        partitions: PartitionManager,
        topics: TopicsFrontend,
        config: ClusterConfigStore,
        clustered: bool = False,
        member_count: Callable[[], int] = lambda: 1,
    ) -> None:
        self.node_id = node_id
        self.clustered = clustered
        self._member_count = member_count
        self.clock = clock
        self._partitions = partitions  # each partition through its facade
        self._topics = topics
        self._config_store = config
        self.config = GroupConfig.from_store(config)
        self._unsubscribe = config.subscribe(self._on_config_change)
        self.journal = FirstWriteJournal(partitions, clock, self._topic_ready)
        self.manager = GroupManager(clock=clock, config=self.config, journal=self.journal)
        self._tasks: list[asyncio.Task] = []
        self._loading: dict[int, asyncio.Task] = {}
        self._load_term: dict[int, int] = {}  # the term each owned partition was loaded for
        self._creating: asyncio.Task | None = None
        for partition in range(self.manager.partitions):  # nothing is answered before the replay
            self.manager.status[partition] = PartitionStatus.LOADING
        partitions.add_leadership_listener(self._on_leadership)

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Load the partitions of `__consumer_offsets` when it exists. Otherwise every group
        partition starts loaded and empty (there is nothing to replay) and the topic is created
        on the first write (FirstWriteJournal), so a fresh broker starts without writing it."""
        if self._topics.table.get(OFFSETS_TOPIC) is None:
            for partition in range(self.manager.partitions):
                if self.clustered:  # answered once the topic exists and its leaders load
                    self.manager.status.pop(partition, None)
                else:
                    self.manager.finish_load(self.manager.begin_load(partition))
        else:
            await self._open_topic()
        self._tasks.append(asyncio.create_task(self._run_timers(), name="groups-timers"))

    async def _open_topic(self) -> None:
        count = await self._ensure_topic()
        if count != self.manager.partitions:
            log.warning(
                "%s has %d partitions (group_topic_partitions=%d): using %d",
                OFFSETS_TOPIC,
                count,
                self.config.group_topic_partitions,
                count,
            )
            self.manager.partitions = count
            self.manager.status = {p: PartitionStatus.LOADING for p in range(count)}
        for partition in range(count):
            if self._leader_term(partition) is None:
                self.manager.status.pop(partition, None)
        self._follow_leadership()  # a load task per partition led here
        loads = list(self._loading.values())
        for result in await asyncio.gather(*loads, return_exceptions=True):
            if isinstance(result, Exception):
                log.error("loading %s failed: %r", OFFSETS_TOPIC, result)

    def _topic_ready(self) -> asyncio.Task | None:
        """None once `__consumer_offsets` exists; else the task creating it (started once)."""
        failed = self._creating is not None and self._creating.done() and _failed(self._creating)
        if self._creating is None or failed:
            if self._topics.table.get(OFFSETS_TOPIC) is not None and not failed:
                return None
            self._creating = asyncio.create_task(self._create(), name="groups-create-topic")
            self._creating.add_done_callback(_log_failure)
            self._tasks = [t for t in self._tasks if not t.done()]  # failed creations dropped
            self._tasks.append(self._creating)
        return None if self._creating.done() else self._creating

    async def _create(self) -> None:
        """Create the topic. Alone: what the groups wrote meanwhile waits for it, so the
        loaded (empty) state stays, adopted as the state of the first term. Partitions not
        led once created are unloaded as usual."""
        count = await self._ensure_topic()
        if self.clustered:
            self._follow_leadership()
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + recovery_timeout_s(self._config_store)  # the terms to serve
        while loop.time() < deadline:
            if all(self._is_leader(p) for p in range(count)):
                break
            await asyncio.sleep(POLL_S)
        for partition in range(count):
            term = self._leader_term(partition)
            if term is not None and partition in self.manager.status:
                self._load_term[partition] = term

    def _on_config_change(self, _changed: dict) -> None:
        try:
            self.config = GroupConfig.from_store(self._config_store)
        except (AssertionError, ValueError, TypeError) as exc:
            log.warning("ignoring group settings that do not fit together: %s", exc)
            return
        self.manager.reconfigure(self.config)

    async def stop(self) -> None:
        self._unsubscribe()
        for task in [*self._tasks, *self._loading.values()]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._loading.values(), return_exceptions=True)
        self._tasks.clear()
        await self.journal.close()

    async def _ensure_topic(self) -> int:
        table = self._topics.table
        if table.get(OFFSETS_TOPIC) is None:
            await self._submit_topic()
        meta = table.get(OFFSETS_TOPIC)
        count = meta.partitions
        local = [p for p in range(count) if self.node_id in self._partitions.assignment(meta, p)]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TOPIC_WAIT_S
        while any(self._partitions.get(OFFSETS_TOPIC, p) is None for p in local):
            if loop.time() > deadline:
                raise TimeoutError(
                    f"{OFFSETS_TOPIC} partitions did not open within {TOPIC_WAIT_S}s"
                )
            await asyncio.sleep(0.01)
        return count

    async def _submit_topic(self) -> None:
        """Create the topic within `create_topic_timeout_ms`, read now (Redpanda's
        try_create_consumer_group_topic). TimeoutError when the controller did not apply it by
        then: FindCoordinator answers COORDINATOR_NOT_AVAILABLE meanwhile and the next lookup
        or write starts the creation again (which finds the topic if this one was applied
        later)."""
        timeout_s = create_topic_timeout_s(self._config_store.get)
        creation = self._topics.create_topic(
            OFFSETS_TOPIC,
            self.config.group_topic_partitions,
            self._replication_factor(),
            {"cleanup.policy": "compact"},
        )
        try:
            await asyncio.wait_for(creation, timeout_s)
            log.info(
                "created %s with %d partitions", OFFSETS_TOPIC, self.config.group_topic_partitions
            )
        except TimeoutError:
            log.warning(
                "%s not created within create_topic_timeout_ms (%d ms): created again on the "
                "next lookup",
                OFFSETS_TOPIC,
                round(timeout_s * 1000),
            )
            raise
        except ClusterError as exc:
            if exc.errc is not ClusterErrc.topic_already_exists:
                raise

    def _replication_factor(self) -> int:
        """min(internal_topic_replication_factor, members), odd (Redpanda's internal topics)."""
        wanted = int(self._config_store.get("internal_topic_replication_factor"))
        rf = min(wanted, max(self._member_count(), 1))
        return rf if rf % 2 == 1 else rf - 1

    async def _run_timers(self) -> None:
        next_check_ms = 0
        while True:
            try:
                self.manager.tick()
            except Exception:  # a bug in one timer must not stop every group's deadlines
                log.exception("a group coordinator timer failed")
            now_ms = self.clock.monotonic_ms()
            if now_ms >= next_check_ms:
                next_check_ms = now_ms + _LEADERSHIP_CHECK_MS
                self._follow_leadership()
            wait_ms = min(max(self.manager.next_deadline_ms() - now_ms, 1), _TIMER_SLEEP_MAX_MS)
            await asyncio.sleep(wait_ms / 1000)

    # ------------------------------------------------------------ queries for handlers

    def coordinator_for(self, key: str, key_type: int) -> tuple[ErrorCode, int]:
        """(NONE, node id) of the node coordinating `key` (a group or a transactional id):
        the leader of the group's partition; COORDINATOR_NOT_AVAILABLE while unknown."""
        if key_type == KEY_TYPE_TRANSACTION:
            return ErrorCode.none, self.node_id  # transactions stay on the node asked
        if key_type != KEY_TYPE_GROUP:
            return ErrorCode.invalid_request, -1
        self._topic_ready()  # a group is looked up: create the topic (as Kafka does), once
        partition = self.manager.partition_of(key)
        if partition in self.manager.status or self._is_leader(partition):
            return ErrorCode.none, self.node_id
        view = self._partitions.describe(OFFSETS_TOPIC, partition)
        if view is None or view.leader_id is None:
            return ErrorCode.coordinator_not_available, -1
        return ErrorCode.none, view.leader_id

    def group_lags(self, high_watermark_fn: HighWatermarkFn) -> list:
        return group_lags(self.manager.groups.values(), high_watermark_fn)

    def on_topics_deleted(self, names: Iterable[str]) -> Completion[list[ErrorCode]]:
        return self.manager.on_topics_deleted(names)

    # ------------------------------------------------------------ the core's operations

    def join(self, params: JoinParams) -> Completion[JoinResult]:
        return self.manager.join(params)

    def sync(self, params: SyncParams) -> Completion[SyncResult]:
        return self.manager.sync(params)

    def heartbeat(
        self, group_id: str, generation_id: int, member_id: str, instance_id: str | None
    ) -> ErrorCode:
        return self.manager.heartbeat(group_id, generation_id, member_id, instance_id)

    def leave(self, group_id: str, members: list[LeaveRequestMember]) -> LeaveResult:
        return self.manager.leave(group_id, members)

    def commit_offsets(self, params: CommitParams) -> Completion[CommitOutcome]:
        return self.manager.commit_offsets(params)

    def fetch_offsets(
        self,
        group_id: str,
        partitions: list[tuple[str, int]] | None,
        require_stable: bool = False,
    ) -> OffsetFetchResult:
        return self.manager.fetch_offsets(group_id, partitions, require_stable)

    def txn_commit_offsets(
        self, params: CommitParams, producer_id: int, producer_epoch: int
    ) -> Completion[CommitOutcome]:
        return self.manager.txn_commit_offsets(params, producer_id, producer_epoch)

    def complete_txn(self, partition: int, producer_id: int, commit: bool) -> None:
        """A transaction marker was written to `__consumer_offsets/partition` (led here)."""
        self.manager.complete_txn(partition, producer_id, commit)

    def delete_offsets(
        self, group_id: str, partitions: list[tuple[str, int]]
    ) -> Completion[tuple[ErrorCode, list[ErrorCode]]]:
        return self.manager.delete_offsets(group_id, partitions)

    def list_groups(self, states: Iterable[str] = ()) -> tuple[ErrorCode, list[GroupListing]]:
        return self.manager.list_groups(states)

    def describe(self, group_id: str) -> GroupSummary:
        return self.manager.describe(group_id)

    def delete_group(self, group_id: str) -> Completion[ErrorCode]:
        return self.manager.delete_group(group_id)


class FirstWriteJournal(PartitionJournal):
    """The journal of a coordinator whose topic may not exist yet: the first append starts
    its creation, and appends wait for it, in order."""

    def __init__(
        self,
        partitions: PartitionManager,
        clock: Clock,
        topic_ready: Callable[[], asyncio.Task | None],
    ) -> None:
        super().__init__(partitions, clock)
        self._topic_ready = topic_ready

    def append(
        self, partition: int, records: list[KV], producer: tuple[int, int] | None = None
    ) -> Completion[ErrorCode]:
        creating = self._topic_ready()
        if creating is None:
            return super().append(partition, records, producer)
        completion: Completion[ErrorCode] = Completion()

        def created(task: asyncio.Task) -> None:
            if _failed(task):
                completion.resolve(ErrorCode.coordinator_not_available)
            else:
                super(FirstWriteJournal, self).append(partition, records, producer).on_done(
                    completion.resolve
                )

        creating.add_done_callback(created)
        return completion


def _failed(task: asyncio.Task) -> bool:
    return task.cancelled() or task.exception() is not None


def _log_failure(task: asyncio.Task) -> None:
    """A creation of the topic ended in error (a timeout is logged where it happens)."""
    if not task.cancelled() and not isinstance(task.exception(), TimeoutError | None):
        log.warning("creating %s failed: %r", OFFSETS_TOPIC, task.exception())
