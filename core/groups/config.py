"""Coordinator settings, read once from the cluster configuration."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class GroupConfig:
    group_min_session_timeout_ms: int = 6_000
    group_max_session_timeout_ms: int = 300_000
    group_initial_rebalance_delay_ms: int = 3_000
    group_new_member_join_timeout_ms: int = 30_000
    group_topic_partitions: int = 16
    group_offset_retention_sec: int | None = 7 * 24 * 3600  # None: offsets never expire
    group_offset_retention_check_ms: int = 600_000
    group_max_size: int = 1_000  # members (and pending members) per group
    groups_max: int = 100_000  # groups per coordinator
    offset_metadata_max_bytes: int = 4_096
    offset_commits_per_request_max: int = 100_000

    def __post_init__(self) -> None:
        assert 0 < self.group_min_session_timeout_ms <= self.group_max_session_timeout_ms
        assert self.group_initial_rebalance_delay_ms >= 0
        assert self.group_topic_partitions > 0
        assert 0 < self.group_max_size <= 100_000
        assert self.group_offset_retention_check_ms > 0

    @property
    def group_offset_retention_ms(self) -> int | None:
        sec = self.group_offset_retention_sec
        return None if sec is None else sec * 1000

    @classmethod
    def from_store(cls, store: Any) -> GroupConfig:
        """Read every field this class knows from a cluster config store.

        Accepts a mapping or an object with `get(name)`; names absent from the store
        keep their defaults here. Redpanda spells the initial delay without `_ms`.
        """
        values: dict[str, int | None] = {}
        for f in fields(cls):
            for name in dict.fromkeys((f.name, f.name.removesuffix("_ms"))):
                value = _lookup(store, name)
                if value is _ABSENT:
                    continue
                if value is None and f.name != "group_offset_retention_sec":
                    continue  # only retention gives null a meaning
                values[f.name] = None if value is None else int(value)
                break
        return cls(**values)  # type: ignore[arg-type]


_ABSENT = object()


def _lookup(store: Any, name: str) -> Any:
    if store is None:
        return _ABSENT
    if isinstance(store, dict):
        return store.get(name, _ABSENT)
    try:
        return store.get(name)
    except (KeyError, LookupError):
        return _ABSENT
