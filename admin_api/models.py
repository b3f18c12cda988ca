"""JSON bodies of the Admin API: the contract shared by admin_api routes and cli/clients/admin.

Each model converts with `to_json()` and `from_json(dict)`; field names are the wire names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

T = TypeVar("T")


def _from_json(cls: type[T], data: dict[str, Any]) -> T:
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in names})


class _Model:
    def to_json(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_json(cls, data: dict[str, Any]):
        return _from_json(cls, data)


@dataclass
class ErrorBody(_Model):
    message: str
    code: int


@dataclass
class MaintenanceStatus(_Model):
    draining: bool = False
    finished: bool = False
    errors: bool = False
    partitions: int = 0
    eligible: int = 0
    transferring: int = 0
    failed: int = 0


@dataclass
class DiskSpace(_Model):
    path: str
    free: int
    total: int


@dataclass
class Broker(_Model):
    node_id: int
    num_cores: int
    internal_rpc_address: str
    internal_rpc_port: int
    membership_status: str = "active"
    is_alive: bool = True
    version: str = ""
    rack: str | None = None
    recovery_mode_enabled: bool = False
    in_fips_mode: bool = False
    disk_space: list[DiskSpace] = field(default_factory=list)
    maintenance_status: MaintenanceStatus = field(default_factory=MaintenanceStatus)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Broker:
        broker = _from_json(cls, data)
        broker.disk_space = [DiskSpace.from_json(d) for d in data.get("disk_space", [])]
        broker.maintenance_status = MaintenanceStatus.from_json(data.get("maintenance_status", {}))
        return broker


@dataclass
class Replica(_Model):
    node_id: int
    core: int = 0


@dataclass
class Partition(_Model):
    ns: str
    topic: str
    partition_id: int
    raft_group_id: int
    leader_id: int = -1
    replicas: list[Replica] = field(default_factory=list)
    status: str = "done"
    disabled: bool = False
    under_replicated: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Partition:
        partition = _from_json(cls, data)
        partition.replicas = [Replica.from_json(r) for r in data.get("replicas", [])]
        return partition


@dataclass
class PartitionRef(_Model):
    ns: str
    topic: str
    partition_id: int


@dataclass
class HealthOverview(_Model):
    is_healthy: bool
    unhealthy_reasons: list[str]
    controller_id: int
    all_nodes: list[int]
    nodes_down: list[int]
    nodes_in_recovery_mode: list[int]
    leaderless_partitions: list[str]
    leaderless_count: int
    under_replicated_partitions: list[str]
    under_replicated_count: int
    bytes_in_cloud_storage: int = 0


@dataclass
class ConfigPatch(_Model):
    upsert: dict[str, Any] = field(default_factory=dict)
    remove: list[str] = field(default_factory=list)


@dataclass
class ConfigPatchResult(_Model):
    config_version: int


@dataclass
class ConfigStatus(_Model):
    node_id: int
    restart: bool
    config_version: int
    invalid: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


@dataclass
class UserCreate(_Model):
    username: str
    password: str
    algorithm: str


@dataclass
class UserUpdate(_Model):
    password: str
    algorithm: str


@dataclass
class Feature(_Model):
    name: str
    state: str
    was_active: bool


@dataclass
class FeaturesReport(_Model):
    cluster_version: int
    original_cluster_version: int
    node_earliest_version: int
    node_latest_version: int
    features: list[Feature] = field(default_factory=list)
