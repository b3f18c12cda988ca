"""The broker services a Kafka request handler may use, as narrow Protocols.

Each names only what the handlers call, so a reader sees what a handler can reach and a type
checker proves the composition root (core.app) gives it objects of the right shape. The
implementations live below: core.cluster (partitions, topics, metadata, producer ids, cluster
configuration), core.groups (the group coordinator), core.config (the property store).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from core.cluster.metadata import BrokerInfo
from core.cluster.partition_manager import PartitionView
from core.cluster.topic_table import TopicMeta
from core.groups.completion import Completion
from core.groups.membership import JoinParams, SyncParams
from core.groups.offsets import CommitOutcome, CommitParams
from core.groups.results import (
    GroupListing,
    GroupSummary,
    JoinResult,
    LeaveRequestMember,
    LeaveResult,
    OffsetFetchResult,
    SyncResult,
)
from core.protocol.errors import ErrorCode


class Authorizer(Protocol):
    """ACL checks (core.security.authorizer.Authorizer)."""

    def authorize(
        self, principal: str, host: str, operation: str, resource_type: str, name: str
    ) -> bool: ...

    def authorize_any(
        self, principal: str, host: str, operation: str, resource_type: str
    ) -> bool: ...

    def authorize_for(
        self, decisions: Any, requester: Any, operation: str, resource_type: str, name: str
    ) -> bool: ...


class ConfigReader(Protocol):
    """The cluster properties (core.config.cluster_properties.ClusterConfigStore)."""

    def get(self, name: str) -> Any: ...

    def values(self, include_defaults: bool = True) -> dict[str, Any]: ...


class ConfigWriter(Protocol):
    """Cluster property changes through the controller (core.cluster.config_frontend)."""

    async def patch(
        self, upsert: dict[str, Any], remove: list[str], *, dry_run: bool = False
    ) -> int: ...


class MetadataSource(Protocol):
    """Brokers, controller and topics as Metadata answers them (core.cluster.metadata)."""

    @property
    def controller_id(self) -> int: ...

    def brokers(self) -> list[BrokerInfo]: ...

    def broker(self, node_id: int) -> BrokerInfo | None: ...

    def topic(self, name: str) -> TopicMeta | None: ...

    def topic_by_id(self, topic_id: str) -> TopicMeta | None: ...

    def topics(self) -> list[TopicMeta]: ...


class TopicAdmin(Protocol):
    """Topic creation, deletion and configuration (core.cluster.topics.TopicsFrontend).
    Failures raise core.cluster.errors.ClusterError."""

    def check_create(
        self,
        name: str,
        partitions: int,
        replication_factor: int,
        configs: dict[str, str | None],
        assignments: Sequence[Sequence[int]] | None = None,
    ) -> tuple[int, int, dict[str, str]]: ...

    async def create_topic(
        self,
        name: str,
        partitions: int = -1,
        replication_factor: int = -1,
        configs: dict[str, str | None] | None = None,
        assignments: Sequence[Sequence[int]] | None = None,
    ) -> str:
        """Create a topic (-1: the cluster default; explicit assignments: partitions and
        replication factor -1); returns its topic id."""

    async def delete_topic(self, name: str) -> None: ...

    def check_create_partitions(self, name: str, count: int) -> None: ...

    async def create_partitions(
        self, name: str, count: int, assignments: Sequence[Sequence[int]] | None = None
    ) -> None: ...

    def check_configs(self, name: str, configs: dict[str, str]) -> dict[str, str]: ...

    async def set_configs(self, name: str, configs: dict[str, str]) -> None: ...

    async def update_configs(self, name: str, set_: dict[str, str], delete: list[str]) -> None: ...


class FileSlice(Protocol):
    """Whole batches at [position, position + length) of the segment file `fd`."""

    @property
    def fd(self) -> int: ...

    @property
    def position(self) -> int: ...

    @property
    def length(self) -> int: ...


class Written(Protocol):
    """Where a produced batch went; `acked` resolves when its acks level is met."""

    @property
    def base_offset(self) -> int: ...

    @property
    def acked(self) -> asyncio.Future | None: ...


class PartitionData(Protocol):
    """One partition through its facade (core.cluster.partition.Partition): offsets, writes,
    reads. Errors are core.cluster.errors' (see `to_error_code`)."""

    @property
    def topic(self) -> str: ...

    @property
    def index(self) -> int: ...

    @property
    def high_watermark(self) -> int: ...

    @property
    def last_stable_offset(self) -> int: ...

    @property
    def start_offset(self) -> int: ...

    @property
    def log_end_offset(self) -> int: ...

    @property
    def leader_epoch(self) -> int: ...

    @property
    def size_bytes(self) -> int: ...

    def produce(self, records: bytes | bytearray | memoryview, acks: int) -> Written: ...

    def read(
        self, offset: int, max_bytes: int, upper_offset: int | None = None
    ) -> FileSlice | None: ...

    def timequery(self, timestamp_ms: int) -> tuple[int, int] | None: ...

    def max_timestamp_query(self) -> tuple[int, int] | None: ...

    def epoch_end_offset(self, epoch: int) -> tuple[int, int]: ...

    def prefix_truncate(self, offset: int) -> None: ...

    def add_listener(self, fn: Callable[[], object]) -> None: ...

    def remove_listener(self, fn: Callable[[], object]) -> None: ...


class Partitions(Protocol):
    """The partitions this node holds (core.cluster.partition_manager.PartitionManager), and
    the placement and leadership of every partition of the cluster."""

    def get(self, topic: str, partition: int) -> PartitionData | None:
        """The replica hosted here, leader or follower (None if not hosted here)."""

    def leader(self, topic: str, partition: int) -> PartitionData:
        """The replica hosted here while it leads and serves; raises ClusterError
        (NOT_LEADER_OR_FOLLOWER, or UNKNOWN_TOPIC_OR_PARTITION for no such partition)."""

    def describe(self, topic: str, partition: int) -> PartitionView | None:
        """Leader, epoch, replicas and ISR of any partition of the cluster."""

    def in_sync_log_ends(self, topic: str, partition: int) -> dict[int, int]:
        """The in-sync replicas of a partition led here with the log end offset each holds
        (follower fetching, core.cluster.replica_selector); empty when not led here."""

    def is_disabled(self, topic: str, partition: int) -> bool:
        """Disabled by an operator (core.cluster.partition_disable)."""

    def all(self) -> Sequence[PartitionData]: ...

    def effective(self, meta: TopicMeta, name: str) -> str | None: ...


class ProducerIds(Protocol):
    """Idempotent producer ids (core.cluster.id_allocator.ProducerIdAllocator)."""

    async def allocate(self) -> int: ...


class Groups(Protocol):
    """The consumer group coordinator (core.groups.coordinator.GroupCoordinator)."""

    def coordinator_for(self, key: str, key_type: int) -> tuple[ErrorCode, int]:
        """(NONE, the coordinator's node id) or (the error, -1)."""

    def join(self, params: JoinParams) -> Completion[JoinResult]: ...

    def sync(self, params: SyncParams) -> Completion[SyncResult]: ...

    def heartbeat(
        self, group_id: str, generation_id: int, member_id: str, instance_id: str | None
    ) -> ErrorCode: ...

    def leave(self, group_id: str, members: list[LeaveRequestMember]) -> LeaveResult: ...

    def commit_offsets(self, params: CommitParams) -> Completion[CommitOutcome]: ...

    def fetch_offsets(
        self,
        group_id: str,
        partitions: list[tuple[str, int]] | None,
        require_stable: bool = False,
    ) -> OffsetFetchResult: ...

    def delete_offsets(
        self, group_id: str, partitions: list[tuple[str, int]]
    ) -> Completion[tuple[ErrorCode, list[ErrorCode]]]: ...

    def list_groups(self, states: Iterable[str] = ()) -> tuple[ErrorCode, list[GroupListing]]: ...

    def describe(self, group_id: str) -> GroupSummary: ...

    def delete_group(self, group_id: str) -> Completion[ErrorCode]: ...
