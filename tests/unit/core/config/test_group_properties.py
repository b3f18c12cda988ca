"""Every cluster property the group coordinator uses reaches its GroupConfig, at start and on
change (the coordinator rebuilds its GroupConfig from the store after each applied delta)."""

from __future__ import annotations

from dataclasses import fields

from core.config.cluster_properties import PROPERTY_BY_NAME, ClusterConfigStore
from core.groups.config import GroupConfig

CHANGES = {
    "group_min_session_timeout_ms": 1_000,
    "group_max_session_timeout_ms": 7_000,
    "group_initial_rebalance_delay": 250,
    "group_new_member_join_timeout": 9_000,
    "group_topic_partitions": 4,
    "group_offset_retention_sec": 60,
    "group_offset_retention_check_ms": 5_000,
}


def _field(name: str) -> str:
    return name if name.endswith(("_ms", "_sec", "partitions")) else f"{name}_ms"


def test_each_group_property_sets_its_group_config_field():
    assert {_field(n) for n in CHANGES} <= {f.name for f in fields(GroupConfig)}
    store = ClusterConfigStore()
    defaults = GroupConfig.from_store(store)
    for name in CHANGES:
        assert getattr(defaults, _field(name)) == PROPERTY_BY_NAME[name].default
    store.apply(CHANGES, [], version=1)
    changed = GroupConfig.from_store(store)
    for name, value in CHANGES.items():
        assert getattr(changed, _field(name)) == value, name
