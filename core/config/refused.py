"""Cluster properties this broker lists but refuses to change, each with the reason it does not
plan to implement them and what it does instead.

A refused property keeps its place in the table: it is listed, exported and described with its
default, so rpk tooling and imported configurations keep working, and setting it to its default
(or removing it) is accepted. Any other value is refused by the one gate every change passes
(`ClusterConfigStore.validate`: Admin API, Kafka IncrementalAlterConfigs, rpk, node overrides)
with a one-line reason. A refused value that reaches the store another way (a forced PUT, an
older controller log) is recorded as invalid and never used. In the node's cluster overrides
(redpanda.yaml, --set) a refused value is logged and ignored, so files written by rpk's dev
mode (storage_min_free_bytes) still start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Refusal:
    why: str  # what the broker does instead

    @property
    def reason(self) -> str:
        return f"not supported: not planned ({self.why})"


REFUSED: dict[str, Refusal] = {
    "health_monitor_max_metadata_age": Refusal(
        "no health report is cached: the health overview is computed live on each request"
    ),
    "data_transforms_enabled": Refusal("no WebAssembly runtime"),
    "segment_fallocation_step": Refusal("segments grow by appends, not preallocated"),
    "max_compacted_log_segment_size": Refusal(
        "compaction rewrites each segment in place, never merges adjacent ones"
    ),
    "storage_min_free_bytes": Refusal("free disk space is not checked"),
    "topic_partitions_per_shard": Refusal("partition count is not limited per core"),
}


def refusal_reason(name: str, value: Any, default: Any) -> str | None:
    """The one-line reason `name` may not take `value`, or None when it may."""
    refusal = REFUSED.get(name)
    if refusal is None or value == default:
        return None
    return refusal.reason
