"""Group settings come from the cluster configuration and can change at runtime."""

from __future__ import annotations

from dataclasses import replace

from kio.schema.errors import ErrorCode as E

from core.config.cluster_properties import ClusterConfigStore
from core.groups.config import GroupConfig


def test_settings_are_read_from_the_cluster_config_store():
    store = ClusterConfigStore()
    defaults = GroupConfig.from_store(store)
    assert (
        defaults.group_min_session_timeout_ms,
        defaults.group_initial_rebalance_delay_ms,
        defaults.group_topic_partitions,
        defaults.group_offset_retention_sec,
    ) == (6_000, 3_000, 16, 604_800)
    store.apply(
        {
            "group_min_session_timeout_ms": 1_500,
            "group_initial_rebalance_delay": 250,
            "group_offset_retention_sec": None,
            "group_new_member_join_timeout": 9_000,
        },
        [],
        version=1,
    )
    changed = GroupConfig.from_store(store)
    assert changed.group_min_session_timeout_ms == 1_500
    assert changed.group_initial_rebalance_delay_ms == 250
    assert changed.group_new_member_join_timeout_ms == 9_000
    assert changed.group_offset_retention_sec is None and changed.group_offset_retention_ms is None


def test_reconfigure_applies_to_the_next_join(harness):
    assert harness.join(session_ms=2_000).value.error is E.member_id_required
    harness.mgr.reconfigure(replace(harness.config, group_min_session_timeout_ms=3_000))
    assert harness.join(session_ms=2_000).value.error is E.invalid_session_timeout


def test_no_retention_keeps_offsets_of_empty_groups(make_harness):
    from core.groups.offsets import CommitParams
    from core.groups.results import OffsetCommitItem

    h = make_harness(group_offset_retention_check_ms=60_000)
    h.mgr.reconfigure(replace(h.config, group_offset_retention_sec=None))
    h.mgr.commit_offsets(CommitParams("g", [OffsetCommitItem("t", 0, 5)]))
    h.advance(30 * 24 * 3_600_000)
    assert [o.offset for o in h.mgr.fetch_offsets("g", None).offsets] == [5]
