"""Cluster properties this broker lists but refuses to change, each with the issue that brings it.

A refused property keeps its place in the table: it is listed, exported and described with its
default, so rpk tooling and imported configurations keep working, and setting it to its default
(or removing it) is accepted. Any other value is refused by the one gate every change passes
(`ClusterConfigStore.validate`: Admin API, Kafka IncrementalAlterConfigs, rpk, node overrides)
with a one-line reason naming the issue. A refused value that reaches the store another way (a
forced PUT, an older controller log) is recorded as invalid and never used.

At startup a refused value in the node's cluster overrides (redpanda.yaml, --set) stops the
broker when the property *protects* something (security, audit): the operator would otherwise
believe the cluster is protected. Other refused values are logged and ignored there, so files
written by rpk's dev mode (storage_min_free_bytes) still start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_AREAS = {
    10: "cluster and Raft",
    11: "cluster operations",
    15: "transactions",
    16: "security",
    17: "rpk parity: quotas",
}


@dataclass(frozen=True, slots=True)
class Refusal:
    issue: int | None  # None: not planned
    protective: bool = False  # refusing it at startup must stop the broker
    why: str = ""  # for properties not planned: what the broker does instead

    @property
    def reason(self) -> str:
        if self.issue is None:
            return f"not supported: not planned ({self.why})"
        return f"not supported yet: arrives with issue #{self.issue} ({_AREAS[self.issue]})"


_SECURITY = Refusal(16, protective=True)
_OPERATIONS = Refusal(11)
_RAFT = Refusal(10)
_TRANSACTIONS = Refusal(15)
_QUOTAS = Refusal(17)

REFUSED: dict[str, Refusal] = {
    "audit_enabled": _SECURITY,
    "enable_rack_awareness": _OPERATIONS,
    "metadata_dissemination_interval_ms": _RAFT,
    "health_monitor_max_metadata_age": _RAFT,
    "create_topic_timeout_ms": _RAFT,
    "kafka_group_recovery_timeout_ms": _RAFT,
    "data_transforms_enabled": Refusal(None, why="no WebAssembly runtime"),
    "segment_fallocation_step": Refusal(None, why="segments grow by appends, not preallocated"),
    "max_compacted_log_segment_size": Refusal(
        None, why="compaction rewrites each segment in place, never merges adjacent ones"
    ),
    "storage_min_free_bytes": Refusal(None, why="free disk space is not checked"),
    "topic_partitions_per_shard": Refusal(None, why="partition count is not limited per core"),
}


def refusal_reason(name: str, value: Any, default: Any) -> str | None:
    """The one-line reason `name` may not take `value`, or None when it may."""
    refusal = REFUSED.get(name)
    if refusal is None or value == default:
        return None
    return refusal.reason


def is_protective(name: str) -> bool:
    refusal = REFUSED.get(name)
    return refusal is not None and refusal.protective
