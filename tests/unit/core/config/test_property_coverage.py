"""Every cluster property either takes effect or is refused (issue 9).

HONOURED maps each property that takes effect to the tests proving it changes behaviour, as
pytest node ids ("path::function"); a bare path names the module where the engineer making that
property take effect is adding its test (the check is then only that the module exists and
mentions the property). REFUSED (core/config/refused.py) holds the others, each with its issue.
"""

from __future__ import annotations

import re
from pathlib import Path

from core.config.cluster_properties import PROPERTY_BY_NAME
from core.config.refused import REFUSED

ROOT = Path(__file__).resolve().parents[4]

EFFECT = "tests/integration/test_cluster_properties_effect.py"
TOPIC_DEFAULT = f"{EFFECT}::test_cluster_default_is_the_topic_default"
FIDELITY = "tests/integration/test_kafka_fidelity.py"
LISTENER = "tests/integration/test_listener_limits.py"
SLOW_FRAMES = "test_slow_big_frames_stay_within_the_budget_while_others_are_served"
GROUPS_UNIT = "tests/unit/core/groups"
GROUP_FIELDS = "tests/unit/core/config/test_group_properties.py::" + (
    "test_each_group_property_sets_its_group_config_field"
)
ROUTES = "tests/admin_api/test_routes.py"
SASL = "tests/security/test_sasl.py"
ACLS = "tests/security/test_acls.py"
AUDIT = "tests/security/test_audit_log.py"
AUDIT_UNIT = "tests/unit/core/security/test_audit_queue.py"

HONOURED: dict[str, tuple[str, ...]] = {
    "auto_create_topics_enabled": (
        "tests/integration/test_cluster_config_live.py::test_admin_api_change_applies_without_restart",
        f"{EFFECT}::test_auto_create_uses_default_topic_partitions",
    ),
    "default_topic_partitions": (f"{EFFECT}::test_auto_create_uses_default_topic_partitions",),
    "default_topic_replications": (
        f"{EFFECT}::test_default_topic_replications_applies_to_a_create_without_one",
    ),
    "internal_topic_replication_factor": (
        "tests/integration/test_cluster_rpk.py::"
        "test_rpk_sees_the_cluster_and_keeps_working_with_a_broker_down",
    ),
    "log_segment_size": (TOPIC_DEFAULT,),
    "log_segment_size_min": (
        f"{FIDELITY}::test_tiny_segment_bytes_is_reported_as_set_and_rolls_at_the_cluster_minimum",
    ),
    "log_segment_size_max": (f"{FIDELITY}::test_segment_size_max_bounds_a_large_segment_bytes",),
    "log_segment_ms": (TOPIC_DEFAULT,),
    "log_segment_ms_min": (f"{FIDELITY}::test_segment_ms_rolls_within_log_segment_ms_min_and_max",),
    "log_segment_ms_max": (f"{FIDELITY}::test_segment_ms_rolls_within_log_segment_ms_min_and_max",),
    "log_retention_ms": (TOPIC_DEFAULT,),
    "retention_bytes": (TOPIC_DEFAULT,),
    "log_cleanup_policy": (TOPIC_DEFAULT,),
    "log_message_timestamp_type": (
        TOPIC_DEFAULT,
        f"{EFFECT}::test_log_append_time_stamps_records_with_the_broker_clock",
    ),
    "log_compression_type": (TOPIC_DEFAULT,),
    "log_message_timestamp_before_max_ms": (
        TOPIC_DEFAULT,
        f"{EFFECT}::test_timestamp_window_defaults_refuse_records_outside_them",
    ),
    "log_message_timestamp_after_max_ms": (
        TOPIC_DEFAULT,
        f"{EFFECT}::test_timestamp_window_defaults_refuse_records_outside_them",
    ),
    "log_compaction_interval_ms": (
        "tests/integration/test_kafka_apis.py::test_retention_by_bytes_deletes_closed_segments",
        "tests/integration/test_compaction.py::test_compacted_topic_keeps_the_latest_value_per_key",
    ),
    "min_cleanable_dirty_ratio": (
        "tests/unit/core/storage/test_compaction_settings.py::"
        "test_a_log_waits_until_its_dirty_share_reaches_the_ratio",
        f"{EFFECT}::test_min_cleanable_dirty_ratio_holds_compaction_back",
    ),
    "tombstone_retention_ms": (TOPIC_DEFAULT,),
    "kafka_batch_max_bytes": (
        TOPIC_DEFAULT,
        f"{EFFECT}::test_kafka_batch_max_bytes_refuses_a_larger_batch",
    ),
    "kafka_nodelete_topics": (f"{FIDELITY}::test_kafka_nodelete_topics_refuses_deletion",),
    "kafka_noproduce_topics": (
        "tests/integration/test_batch_validation.py::"
        "test_noproduce_topics_answer_topic_authorization_failed",
    ),
    "write_caching_default": (TOPIC_DEFAULT,),
    "raft_election_timeout_ms": (
        "tests/raft_groups/test_raft_config.py::test_raft_election_timeout_ms_shortens_failover",
    ),
    "raft_heartbeat_interval_ms": (
        "tests/raft_groups/test_raft_config.py::"
        "test_raft_heartbeat_interval_ms_changes_the_heartbeat_rate_live",
    ),
    "raft_replica_max_pending_flush_bytes": (TOPIC_DEFAULT,),
    "raft_replica_max_flush_delay_ms": (TOPIC_DEFAULT,),
    "enable_idempotence": (f"{EFFECT}::test_enable_idempotence_false_refuses_producer_ids",),
    "enable_transactions": (f"{ROUTES}::test_put_feature",),  # the feature state it reports
    "group_topic_partitions": (
        f"{EFFECT}::test_cluster_id_and_group_topic_partitions_given_at_start",
    ),
    "group_initial_rebalance_delay": (
        GROUP_FIELDS,
        f"{GROUPS_UNIT}/test_join_sync.py::test_initial_rebalance_delay_collects_members_and_extends",
    ),
    "group_new_member_join_timeout": (
        GROUP_FIELDS,
        f"{GROUPS_UNIT}/test_timeouts.py::"
        "test_new_member_join_timeout_bounds_a_join_that_never_completes",
    ),
    "group_min_session_timeout_ms": (
        GROUP_FIELDS,
        f"{GROUPS_UNIT}/test_join_sync.py::test_session_timeout_bounds",
    ),
    "group_max_session_timeout_ms": (
        GROUP_FIELDS,
        f"{GROUPS_UNIT}/test_join_sync.py::test_session_timeout_bounds",
    ),
    "group_offset_retention_sec": (
        GROUP_FIELDS,
        f"{GROUPS_UNIT}/test_config.py::test_no_retention_keeps_offsets_of_empty_groups",
    ),
    "group_offset_retention_check_ms": (
        GROUP_FIELDS,
        f"{GROUPS_UNIT}/test_kafka_parity.py::"
        "test_expiry_check_spares_a_simple_consumers_commit_in_flight",
    ),
    "fetch_max_bytes": (f"{EFFECT}::test_fetch_max_bytes_caps_a_fetch_response",),
    "kafka_max_bytes_per_fetch": (
        "tests/integration/test_fetch_fidelity.py::test_kafka_max_bytes_per_fetch_caps_one_partition",
    ),
    "kafka_request_max_bytes": (
        f"{LISTENER}::test_a_frame_over_kafka_request_max_bytes_closes_the_connection_live",
    ),
    "kafka_connections_max": (f"{LISTENER}::test_connections_max_applies_live_to_real_clients",),
    "kafka_connections_max_per_ip": (f"{LISTENER}::test_per_ip_limit_and_its_override",),
    "kafka_connections_max_overrides": (f"{LISTENER}::test_per_ip_limit_and_its_override",),
    "kafka_connection_rate_limit": (
        f"{LISTENER}::test_connection_rate_limit_per_ip_and_its_override",
    ),
    "kafka_connection_rate_limit_overrides": (
        f"{LISTENER}::test_connection_rate_limit_per_ip_and_its_override",
    ),
    "kafka_connections_max_idle_ms": (
        f"{LISTENER}::test_idle_connections_are_closed_after_the_live_idle_time",
    ),
    "kafka_request_max_inflight_bytes": (f"{LISTENER}::{SLOW_FRAMES}",),
    "kafka_request_read_timeout_ms": (f"{LISTENER}::{SLOW_FRAMES}",),
    "cluster_id": (f"{EFFECT}::test_cluster_id_and_group_topic_partitions_given_at_start",),
    "admin_api_require_auth": (f"{ROUTES}::test_admin_auth_when_required",),
    "superusers": (
        f"{ROUTES}::test_admin_auth_when_required",
        f"{ACLS}::test_superusers_bypass_acls",
    ),
    "kafka_enable_authorization": (
        f"{ACLS}::test_a_user_without_acls_is_denied_everything",
        f"{SASL}::test_kafka_python_produces_and_consumes",
    ),
    "enable_sasl": (f"{SASL}::test_request_before_authentication_closes_the_connection",),
    "kafka_mtls_principal_mapping_rules": (
        "tests/security/test_mtls_identity.py::test_the_certificate_is_the_principal",
    ),
    "sasl_mechanisms": (f"{SASL}::test_sasl_mechanisms_applies_live",),
    "kafka_sasl_max_reauth_ms": (f"{SASL}::test_kafka_sasl_max_reauth_ms_ends_the_session",),
    "disable_public_metrics": (f"{ROUTES}::test_metrics_and_errors",),
    "disable_metrics": (f"{EFFECT}::test_disable_metrics_hides_the_metrics_endpoint",),
    "aggregate_metrics": (f"{ROUTES}::test_aggregate_metrics_sums_away_the_partition_label",),
    "partition_autobalancing_mode": (
        "tests/balancer/test_node_add.py::test_a_joining_node_receives_its_share",
        "tests/balancer/test_node_add.py::test_off_moves_nothing_until_balance_is_asked",
        "tests/balancer/test_continuous.py::test_replicas_leave_a_node_down_past_the_timeout",
    ),
    "partition_autobalancing_node_availability_timeout_sec": (
        "tests/balancer/test_continuous.py::test_replicas_leave_a_node_down_past_the_timeout",
    ),
    "partition_autobalancing_max_disk_usage_percent": (
        "tests/balancer/test_continuous.py::test_replicas_leave_a_node_over_the_disk_limit",
    ),
    "partition_autobalancing_tick_interval_ms": (
        "tests/balancer/test_node_add.py::test_off_moves_nothing_until_balance_is_asked",
    ),
    "partition_autobalancing_concurrent_moves": (
        "tests/balancer/test_node_add.py::test_a_joining_node_receives_its_share",
    ),
    "audit_enabled": (
        f"{AUDIT}::test_audit_log_records_logins_management_and_admin_requests",
        f"{AUDIT}::test_audit_off_writes_nothing",
    ),
    "audit_log_num_partitions": (
        f"{AUDIT}::test_audit_log_records_logins_management_and_admin_requests",
    ),
    "audit_log_replication_factor": (
        f"{AUDIT}::test_audit_log_records_logins_management_and_admin_requests",
    ),
    "audit_enabled_event_types": (f"{AUDIT}::test_event_types_and_exclusions_apply_live",),
    "audit_excluded_topics": (f"{AUDIT}::test_event_types_and_exclusions_apply_live",),
    "audit_excluded_principals": (f"{AUDIT}::test_event_types_and_exclusions_apply_live",),
    "audit_client_max_buffer_size": (
        f"{AUDIT_UNIT}::test_writes_in_flight_are_bounded_by_the_client_buffer",
    ),
    "audit_queue_drain_interval_ms": (
        f"{AUDIT_UNIT}::test_identical_events_in_a_window_are_one_record_with_a_count",
    ),
    "audit_queue_max_buffer_size_per_shard": (
        f"{AUDIT_UNIT}::test_an_event_past_the_queue_size_is_refused",
        f"{AUDIT}::test_a_full_audit_queue_fails_what_it_cannot_audit",
    ),
    "audit_failure_policy": (f"{AUDIT}::test_a_full_audit_queue_fails_what_it_cannot_audit",),
    "enable_rack_awareness": (
        "tests/balancer/test_rack_awareness.py::"
        "test_rack_awareness_set_live_spreads_replicas_over_racks",
        "tests/balancer/test_rack_awareness.py::"
        "test_continuous_balancer_repairs_partitions_placed_without_rack_awareness",
        "tests/unit/core/cluster/test_placement.py::test_rack_awareness_off_ignores_racks",
        "tests/cluster/test_follower_fetch.py::test_a_consumer_reads_from_the_follower_in_its_rack",
    ),
    "metadata_dissemination_interval_ms": (
        "tests/cluster_properties/test_dissemination_interval.py::"
        "test_a_restarted_node_learns_leaders_at_the_dissemination_interval",
    ),
    "create_topic_timeout_ms": (
        "tests/cluster_properties/test_create_topic_timeout.py::"
        "test_auto_create_without_a_controller_quorum_answers_at_the_create_timeout",
        "tests/cluster_properties/test_internal_topic_create_timeout.py::"
        "test_internal_topics_created_within_the_live_property",
    ),
    "kafka_group_recovery_timeout_ms": (
        "tests/cluster_properties/test_group_recovery_timeout.py::"
        "test_groups_load_only_within_the_recovery_timeout",
    ),
    "transaction_coordinator_partitions": (
        "tests/txn/test_cluster_txn.py::test_eos_through_coordinator_and_leader_kills",
    ),
    "transaction_max_timeout_ms": (
        "tests/txn/test_txn_clients.py::test_transaction_timeout_above_the_maximum_is_refused",
    ),
    "transactional_id_expiration_ms": (
        "tests/txn/test_admin_txn.py::test_idle_transactional_ids_expire",
        "tests/producer_state/test_expiry.py::test_idle_producers_expire_by_log_time_unless_in_a_transaction",
    ),
    "max_concurrent_producer_ids": (
        "tests/producer_state/test_expiry.py::test_max_concurrent_producer_ids_evicts_the_least_recently_used",
    ),
    "tx_timeout_delay_ms": (
        "tests/txn/test_txn_clients.py::test_hanging_transaction_is_aborted_after_its_timeout",
    ),
    "max_kafka_throttle_delay_ms": (
        "tests/quotas/test_enforcement.py::test_max_kafka_throttle_delay_ms_caps_the_throttle",
    ),
    "kafka_throughput_limit_node_in_bps": (
        "tests/quotas/test_enforcement.py::test_node_throughput_limits_are_shared_by_every_client",
    ),
    "kafka_throughput_limit_node_out_bps": (
        "tests/quotas/test_enforcement.py::test_node_throughput_limits_are_shared_by_every_client",
    ),
    "enable_leader_balancer": (
        "tests/leadership/test_balance.py::test_disabled_balancer_leaves_leadership_alone",
    ),
    "leader_balancer_node_mute_timeout": (
        "tests/leadership/test_balance.py::test_leaders_spread_again_after_a_node_restarts",
    ),
    "leader_balancer_idle_timeout": (
        "tests/leadership/test_balance.py::test_leaders_spread_again_after_a_node_restarts",
    ),
    "raft_learner_recovery_rate": (
        "tests/raft_groups/test_learner_recovery_rate.py::"
        "test_a_learner_catches_up_at_the_raft_learner_recovery_rate",
    ),
    "leader_balancer_mute_timeout": (
        "tests/leadership/test_units.py::test_plan_leaves_muted_groups_and_ineligible_nodes_alone",
    ),
    "leader_balancer_transfer_limit_per_shard": (
        "tests/leadership/test_units.py::test_plan_leaves_muted_groups_and_ineligible_nodes_alone",
    ),
    "schema_registry_always_normalize": (
        "tests/schema_registry/test_always_normalize.py::"
        "test_lookup_and_register_normalize_when_the_property_is_on",
    ),
}


def test_every_property_is_either_honoured_or_refused():
    both = set(HONOURED) & set(REFUSED)
    assert not both, f"both honoured and refused: {sorted(both)}"
    missing = set(PROPERTY_BY_NAME) - set(HONOURED) - set(REFUSED)
    assert not missing, f"neither honoured nor refused: {sorted(missing)}"
    stale = (set(HONOURED) | set(REFUSED)) - set(PROPERTY_BY_NAME)
    assert not stale, f"not in the property table: {sorted(stale)}"


def _defines(text: str, function: str) -> bool:
    return re.search(rf"^(?:async )?def {re.escape(function)}\(", text, re.MULTILINE) is not None


def test_each_honoured_property_names_tests_that_exist_and_mention_it():
    problems = []
    for name, nodes in sorted(HONOURED.items()):
        texts = []
        for node in nodes:
            path, _, function = node.partition("::")
            file = ROOT / path
            if not file.is_file():
                problems.append(f"{name}: {path} does not exist")
                continue
            text = file.read_text()
            texts.append(text)
            if function and not _defines(text, function):
                problems.append(f"{name}: {path} defines no test {function}")
        if texts and not any(name in text for text in texts):
            problems.append(f"{name}: none of {', '.join(nodes)} mentions it")
    assert not problems, "\n".join(problems)


def test_the_readme_lists_every_refused_property():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Cluster properties refused", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    for name in REFUSED:
        (row,) = [r for r in rows if f"`{name}`" in r]
        assert "not planned" in row, name
