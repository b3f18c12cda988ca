"""The cluster property table and ClusterConfigStore: defaults, validation, apply, schema."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.config.cluster_properties import (
    PROPERTIES,
    PROPERTY_BY_NAME,
    ClusterConfigStore,
    check_value,
)
from core.config.refused import refusal_reason

REQUIRED_DEFAULTS = {
    "auto_create_topics_enabled": False,
    "default_topic_partitions": 1,
    "default_topic_replications": 1,
    "log_segment_size": 134217728,
    "log_segment_ms": None,
    "log_retention_ms": 604800000,
    "retention_bytes": None,
    "log_cleanup_policy": "delete",
    "log_message_timestamp_type": "CreateTime",
    "kafka_batch_max_bytes": 1048576,
    "write_caching_default": "false",
    "raft_replica_max_pending_flush_bytes": 262144,
    "raft_replica_max_flush_delay_ms": 100,
    "enable_idempotence": True,
    "enable_transactions": True,
    "group_topic_partitions": 16,
    "group_initial_rebalance_delay": 3000,
    "group_min_session_timeout_ms": 6000,
    "group_max_session_timeout_ms": 300000,
    "group_offset_retention_sec": 604800,
    "group_offset_retention_check_ms": 600000,
    "fetch_max_bytes": 57671680,
    "kafka_connections_max": None,
    "log_compaction_interval_ms": 10000,
    "cluster_id": None,
    "admin_api_require_auth": False,
    "superusers": [],
    "sasl_mechanisms": ["SCRAM"],
    "enable_sasl": False,
    "disable_public_metrics": False,
}


def test_required_properties_have_redpanda_defaults():
    store = ClusterConfigStore()
    assert {name: store.get(name) for name in REQUIRED_DEFAULTS} == REQUIRED_DEFAULTS
    assert PROPERTY_BY_NAME["enable_idempotence"].needs_restart
    assert PROPERTY_BY_NAME["group_topic_partitions"].needs_restart
    assert not PROPERTY_BY_NAME["log_retention_ms"].needs_restart


def test_values_with_and_without_defaults():
    store = ClusterConfigStore()
    assert store.values(include_defaults=False) == {}
    assert len(store.values()) == len(PROPERTIES)
    store.apply({"log_retention_ms": 1000}, [], version=1)
    assert store.values(include_defaults=False) == {"log_retention_ms": 1000}
    assert store.values()["log_retention_ms"] == 1000
    assert store.version == 1


@pytest.mark.parametrize(
    ("upsert", "message"),
    [
        ({"no_such_property": 1}, "unknown property 'no_such_property'"),
        ({"log_segment_size": "big"}, "expected integer, got string"),
        ({"auto_create_topics_enabled": 1}, "expected boolean, got integer"),
        ({"default_topic_partitions": True}, "expected integer, got boolean"),
        ({"default_topic_partitions": 0}, "0 is below the minimum 1"),
        ({"log_retention_ms": -2}, "-2 is below the minimum -1"),
        ({"log_cleanup_policy": "shred"}, "'shred' is not one of delete, compact, compact,delete"),
        ({"superusers": ["a", 3]}, "array item: expected string, got integer"),
        ({"sasl_mechanisms": ["KERBEROS"]}, "array item 'KERBEROS' is not one of SCRAM, PLAIN"),
        ({"log_retention_ms": None}, "expected a value, got null"),
        ({"min_cleanable_dirty_ratio": 1.5}, "1.5 is above the maximum 1"),
    ],
)
def test_validate_reports_one_message_per_bad_key(upsert, message):
    store = ClusterConfigStore()
    assert store.validate(upsert, []) == {next(iter(upsert)): message}


def test_validate_accepts_good_values_nulls_and_removals():
    store = ClusterConfigStore()
    good = {
        "log_segment_ms": None,
        "retention_bytes": 10,
        "cluster_id": "c1",
        "write_caching_default": "true",
    }
    assert store.validate(good, ["log_retention_ms"]) == {}
    assert store.validate({}, ["nope"]) == {"nope": "unknown property 'nope'"}
    assert "log_retention_ms" in store.validate({"log_retention_ms": 5}, ["log_retention_ms"])


def test_min_max_pairs_stay_ordered():
    store = ClusterConfigStore()
    errors = store.validate({"group_min_session_timeout_ms": 400000}, [])
    assert list(errors) == ["group_min_session_timeout_ms"]
    assert (
        store.validate(
            {"group_min_session_timeout_ms": 400000, "group_max_session_timeout_ms": 500000}, []
        )
        == {}
    )


def test_apply_remove_resets_and_notifies_subscribers():
    store = ClusterConfigStore()
    seen: list[dict] = []
    unsubscribe = store.subscribe(seen.append)
    store.apply({"log_segment_ms": 60000, "auto_create_topics_enabled": False}, [], version=3)
    store.apply({}, ["log_segment_ms"], version=4)
    unsubscribe()
    store.apply({"log_segment_ms": 1}, [], version=5)
    assert seen == [{"log_segment_ms": 60000}, {"log_segment_ms": None}]
    assert store.get("log_segment_ms") == 1 and store.version == 5


def test_forced_unknown_and_invalid_values_are_recorded_not_used():
    store = ClusterConfigStore()
    store.apply({"mystery": 1, "default_topic_partitions": -5}, [], version=2)
    assert store.unknown == ["mystery"]
    assert store.invalid == ["default_topic_partitions"]
    assert store.get("default_topic_partitions") == 1
    store.apply({}, ["mystery"], version=3)
    assert store.unknown == []


def test_aliases_resolve_to_the_canonical_property():
    store = ClusterConfigStore()
    assert store.validate({"delete_retention_ms": 5}, []) == {}
    store.apply({"delete_retention_ms": 5}, [], version=1)
    assert store.get("log_retention_ms") == 5


def test_restart_required_only_after_boot_for_needs_restart_properties():
    store = ClusterConfigStore()
    store.apply({"enable_idempotence": False}, [], version=1)
    store.mark_booted()
    assert not store.restart_required()
    store.apply({"log_retention_ms": 1}, [], version=2)
    assert not store.restart_required()
    store.apply({"group_topic_partitions": 8}, [], version=3)
    assert store.restart_required()


def test_schema_describes_every_property():
    schema = ClusterConfigStore().schema()["properties"]
    assert set(schema) == set(PROPERTY_BY_NAME)
    assert schema["log_cleanup_policy"]["enum_values"] == ["delete", "compact", "compact,delete"]
    assert schema["superusers"]["items"] == {"type": "string"}
    assert schema["log_segment_size"]["units"] == "bytes"
    assert schema["enable_idempotence"]["needs_restart"] is True
    for entry in schema.values():
        assert {
            "type",
            "description",
            "nullable",
            "needs_restart",
            "visibility",
            "is_secret",
        } <= set(entry)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(PROPERTY_BY_NAME)), value=json_values)
def test_validate_and_apply_agree_for_any_json_value(name, value):
    prop = PROPERTY_BY_NAME[name]
    store = ClusterConfigStore()
    reason = check_value(prop, value) or refusal_reason(name, value, prop.default)
    errors = store.validate({name: value}, [])
    if reason is not None:
        assert errors == {name: reason}
    store.apply({name: value}, [], version=1)
    if reason is None:
        assert store.get(name) == value and store.invalid == []
    else:
        assert store.get(name) == prop.default and store.invalid == [name]


def test_removing_a_bound_that_would_break_its_pair_is_refused():
    store = ClusterConfigStore()
    store.apply(
        {"group_max_session_timeout_ms": 1_000_000, "group_min_session_timeout_ms": 500_000}, [], 1
    )
    errors = store.validate({}, ["group_max_session_timeout_ms"])  # back to its 300000 default
    assert (
        "group_max_session_timeout_ms" in errors
        and "must not exceed" in errors["group_max_session_timeout_ms"]
    )
    assert (
        store.validate({}, ["group_min_session_timeout_ms", "group_max_session_timeout_ms"]) == {}
    )


def test_a_forced_unknown_key_can_be_removed_without_force():
    store = ClusterConfigStore()
    store.apply({"no_such_property": 1}, [], 1)
    assert store.unknown == ["no_such_property"]
    assert store.validate({}, ["no_such_property"]) == {}
    store.apply({}, ["no_such_property"], 2)
    assert store.unknown == []
