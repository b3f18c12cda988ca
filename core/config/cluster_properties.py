"""Cluster-wide configuration: the property table (Redpanda names) and the in-memory store.

The store holds only what was set explicitly; everything else reads as the table default.
Changes arrive through `apply` (driven by the controller log); `validate` is the gate the
Admin API uses before anything is replicated.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from core.config.refused import refusal_reason

MiB = 1024 * 1024
GiB = 1024 * MiB
ONE_WEEK_MS = 7 * 24 * 3600 * 1000

TYPES = ("boolean", "integer", "number", "string", "array")
VISIBILITIES = ("user", "tunable", "deprecated")


@dataclass(frozen=True)
class Property:
    name: str
    type: str
    default: Any
    description: str
    nullable: bool = False
    needs_restart: bool = False
    visibility: str = "user"
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple[str, ...] | None = None
    items_type: str | None = None
    items_enum: tuple[str, ...] | None = None
    units: str | None = None
    is_secret: bool = False
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        assert self.type in TYPES, self.name
        assert self.visibility in VISIBILITIES, self.name
        assert (self.type == "array") == (self.items_type is not None), self.name
        assert check_value(self, self.default) is None, f"bad default for {self.name}"

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type,
            "description": self.description,
            "nullable": self.nullable,
            "needs_restart": self.needs_restart,
            "visibility": self.visibility,
            "is_secret": self.is_secret,
            "default": self.default,
            "aliases": list(self.aliases),
        }
        optional = {"units": self.units, "minimum": self.minimum, "maximum": self.maximum}
        out.update({k: v for k, v in optional.items() if v is not None})
        if self.enum is not None:
            out["enum_values"] = list(self.enum)
        if self.items_type is not None:
            items: dict[str, Any] = {"type": self.items_type}
            if self.items_enum is not None:
                items["enum_values"] = list(self.items_enum)
            out["items"] = items
        return out


def _scalar_type_error(type_name: str, value: Any) -> str | None:
    if type_name == "boolean":
        ok = isinstance(value, bool)
    elif type_name == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif type_name == "number":
        ok = (
            isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        )
    else:
        ok = isinstance(value, str)
    return None if ok else f"expected {type_name}, got {_json_type(value)}"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def check_value(prop: Property, value: Any) -> str | None:
    """None if `value` is acceptable for `prop`, else a one-line reason."""
    if value is None:
        return None if prop.nullable else "expected a value, got null"
    if prop.type == "array":
        if not isinstance(value, list):
            return f"expected array of {prop.items_type}, got {_json_type(value)}"
        for item in value:
            err = _scalar_type_error(prop.items_type or "string", item)
            if err is not None:
                return f"array item: {err}"
            if prop.items_enum is not None and item not in prop.items_enum:
                return f"array item {item!r} is not one of {', '.join(prop.items_enum)}"
        return None
    err = _scalar_type_error(prop.type, value)
    if err is not None:
        return err
    if prop.enum is not None and value not in prop.enum:
        return f"{value!r} is not one of {', '.join(prop.enum)}"
    if prop.minimum is not None and value < prop.minimum:
        return f"{value} is below the minimum {_num(prop.minimum)}"
    if prop.maximum is not None and value > prop.maximum:
        return f"{value} is above the maximum {_num(prop.maximum)}"
    return None


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _p(name: str, type_: str, default: Any, description: str, **kw: Any) -> Property:
    return Property(name=name, type=type_, default=default, description=description, **kw)


def _int(name: str, default: int | None, description: str, **kw: Any) -> Property:
    return _p(name, "integer", default, description, **kw)


def _bool(name: str, default: bool | None, description: str, **kw: Any) -> Property:
    return _p(name, "boolean", default, description, **kw)


def _enum(
    name: str, values: tuple[str, ...], default: str, description: str, **kw: Any
) -> Property:
    return _p(name, "string", default, description, enum=values, **kw)


_ms = {"units": "ms"}
_bytes = {"units": "bytes"}
_tun = {"visibility": "tunable"}

PROPERTIES: tuple[Property, ...] = (
    # Topics and the log.
    _bool(
        "auto_create_topics_enabled",
        False,
        "Create topics automatically when a client produces to or reads metadata for an unknown topic.",
    ),
    _int(
        "default_topic_partitions",
        1,
        "Partition count for new topics that do not set one.",
        minimum=1,
        maximum=100_000,
    ),
    _int(
        "default_topic_replications",
        1,
        "Replication factor for new topics that do not set one.",
        minimum=1,
        maximum=15,
    ),
    _int(
        "log_segment_size",
        128 * MiB,
        "Default segment size for new log segments (segment.bytes).",
        minimum=1 * MiB,
        maximum=64 * GiB,
        **_bytes,
    ),
    _int(
        "log_segment_size_min",
        1 * MiB,
        "Lower bound for a topic's segment.bytes.",
        nullable=True,
        minimum=1,
        **_bytes,
        **_tun,
    ),
    _int(
        "log_segment_size_max",
        None,
        "Upper bound for a topic's segment.bytes.",
        nullable=True,
        minimum=1,
        **_bytes,
        **_tun,
    ),
    _int(
        "log_segment_ms",
        None,
        "Roll a segment after this age even if it is not full (segment.ms); null means Kafka's 7 days.",
        nullable=True,
        minimum=1,
        **_ms,
    ),
    _int(
        "log_segment_ms_min",
        600_000,
        "Lower bound for a topic's segment.ms.",
        minimum=1,
        **_ms,
        **_tun,
    ),
    _int(
        "log_segment_ms_max",
        31_536_000_000,
        "Upper bound for a topic's segment.ms.",
        minimum=1,
        **_ms,
        **_tun,
    ),
    _int(
        "log_retention_ms",
        ONE_WEEK_MS,
        "Time-based retention (retention.ms); -1 keeps data forever.",
        minimum=-1,
        aliases=("delete_retention_ms",),
        **_ms,
    ),
    _int(
        "retention_bytes",
        None,
        "Size-based retention per partition (retention.bytes); null means unlimited.",
        nullable=True,
        minimum=-1,
        **_bytes,
    ),
    _enum(
        "log_cleanup_policy",
        ("delete", "compact", "compact,delete"),
        "delete",
        "Default cleanup.policy for new topics.",
    ),
    _enum(
        "log_message_timestamp_type",
        ("CreateTime", "LogAppendTime"),
        "CreateTime",
        "Default message.timestamp.type for new topics.",
    ),
    _int(
        "log_message_timestamp_before_max_ms",
        2**63 - 1,
        "Default message.timestamp.before.max.ms: oldest CreateTime accepted, in ms before now.",
        minimum=0,
        **_ms,
    ),
    _int(
        "log_message_timestamp_after_max_ms",
        3_600_000,
        "Default message.timestamp.after.max.ms: newest CreateTime accepted, in ms after now.",
        minimum=0,
        **_ms,
    ),
    _enum(
        "log_compression_type",
        ("producer", "none", "gzip", "snappy", "lz4", "zstd"),
        "producer",
        "Default compression.type for new topics.",
    ),
    _int(
        "log_compaction_interval_ms",
        10_000,
        "Period of log housekeeping: retention enforcement and compaction.",
        minimum=1,
        **_ms,
    ),
    _int(
        "max_compacted_log_segment_size",
        512 * MiB,
        "Largest segment produced by merging adjacent compacted segments.",
        minimum=1 * MiB,
        **_bytes,
        **_tun,
    ),
    _p(
        "min_cleanable_dirty_ratio",
        "number",
        0.2,
        "Dirty ratio above which a compacted partition is cleaned.",
        nullable=True,
        minimum=0,
        maximum=1,
        **_tun,
    ),
    _int(
        "tombstone_retention_ms",
        None,
        "How long tombstones survive compaction (delete.retention.ms); null keeps them.",
        nullable=True,
        minimum=0,
        **_ms,
    ),
    _int(
        "kafka_batch_max_bytes",
        1 * MiB,
        "Largest record batch accepted; the default max.message.bytes.",
        minimum=1,
        maximum=100 * MiB,
        **_bytes,
    ),
    _int(
        "segment_fallocation_step",
        32 * MiB,
        "Bytes preallocated at a time when a segment grows.",
        minimum=4096,
        maximum=1 * GiB,
        **_bytes,
        **_tun,
    ),
    _int(
        "storage_min_free_bytes",
        5 * GiB,
        "Reject writes when free disk space falls below this.",
        minimum=0,
        **_bytes,
        **_tun,
    ),
    _p(
        "kafka_nodelete_topics",
        "array",
        ["__consumer_offsets", "_schemas"],
        "Topics that may not be deleted.",
        items_type="string",
        **_tun,
    ),
    _p(
        "kafka_noproduce_topics",
        "array",
        [],
        "Topics that reject produce requests.",
        items_type="string",
        **_tun,
    ),
    # Durability and raft.
    _enum(
        "write_caching_default",
        ("true", "false", "disabled"),
        "false",
        "Default write.caching for new topics: acknowledge acks=all before fsync.",
    ),
    _int(
        "raft_replica_max_pending_flush_bytes",
        256 * 1024,
        "With write caching, flush once this many bytes are unflushed.",
        nullable=True,
        minimum=1,
        **_bytes,
    ),
    _int(
        "raft_replica_max_flush_delay_ms",
        100,
        "With write caching, flush at least this often.",
        minimum=1,
        maximum=86_400_000,
        **_ms,
    ),
    _int(
        "raft_election_timeout_ms",
        1500,
        "Raft election timeout.",
        minimum=10,
        needs_restart=True,
        **_ms,
        **_tun,
    ),
    _int(
        "raft_heartbeat_interval_ms",
        150,
        "Raft heartbeat period.",
        minimum=1,
        needs_restart=True,
        **_ms,
        **_tun,
    ),
    _bool(
        "enable_leader_balancer", True, "Move partition leadership to balance it across brokers."
    ),
    _enum(
        "partition_autobalancing_mode",
        ("off", "node_add", "continuous"),
        "node_add",
        "When partition replicas are moved automatically.",
    ),
    _int(
        "health_monitor_max_metadata_age",
        10_000,
        "Longest a cached health report is trusted.",
        minimum=1,
        **_ms,
        **_tun,
    ),
    _int(
        "metadata_dissemination_interval_ms",
        3000,
        "Period of partition leadership gossip.",
        minimum=1,
        needs_restart=True,
        **_ms,
        **_tun,
    ),
    _int(
        "create_topic_timeout_ms",
        2000,
        "Default timeout for topic creation.",
        minimum=1,
        **_ms,
        **_tun,
    ),
    # Producers and transactions.
    _bool("enable_idempotence", True, "Accept idempotent producers.", needs_restart=True),
    _bool("enable_transactions", True, "Accept transactional producers.", needs_restart=True),
    _int(
        "transaction_coordinator_partitions",
        50,
        "Partitions of the transaction coordinator topic.",
        minimum=1,
        needs_restart=True,
        **_tun,
    ),
    _int(
        "transactional_id_expiration_ms",
        ONE_WEEK_MS,
        "Expire idle transactional ids after this long.",
        minimum=1,
        **_ms,
    ),
    _int(
        "tx_timeout_delay_ms",
        1000,
        "Delay before an expired transaction is aborted.",
        minimum=1,
        **_ms,
        **_tun,
    ),
    # Consumer groups.
    _int(
        "group_topic_partitions",
        16,
        "Partitions of __consumer_offsets.",
        minimum=1,
        maximum=1024,
        needs_restart=True,
    ),
    _int(
        "group_initial_rebalance_delay",
        3000,
        "Wait this long for more members before the first rebalance of an empty group.",
        minimum=0,
        **_ms,
    ),
    _int(
        "group_new_member_join_timeout",
        30_000,
        "Timeout for a new member's first join.",
        minimum=1,
        **_ms,
        **_tun,
    ),
    _int(
        "group_min_session_timeout_ms",
        6000,
        "Smallest session.timeout.ms a consumer may ask for.",
        minimum=1,
        **_ms,
    ),
    _int(
        "group_max_session_timeout_ms",
        300_000,
        "Largest session.timeout.ms a consumer may ask for.",
        minimum=1,
        **_ms,
    ),
    _int(
        "group_offset_retention_sec",
        7 * 24 * 3600,
        "Expire committed offsets of empty groups after this long; null keeps them.",
        nullable=True,
        minimum=1,
        units="s",
    ),
    _int(
        "group_offset_retention_check_ms",
        600_000,
        "Period of the expired-offset check.",
        minimum=1,
        **_ms,
    ),
    _int(
        "kafka_group_recovery_timeout_ms",
        30_000,
        "Timeout for loading group state on leadership change.",
        minimum=1,
        **_ms,
        **_tun,
    ),
    # Kafka listener limits.
    _int(
        "fetch_max_bytes",
        55 * MiB,
        "Largest fetch response (fetch.max.bytes upper bound).",
        minimum=1,
        **_bytes,
    ),
    _int(
        "kafka_max_bytes_per_fetch",
        64 * MiB,
        "Cap on max_bytes of any single fetch partition.",
        minimum=1,
        **_bytes,
        **_tun,
    ),
    _int(
        "kafka_request_max_bytes", 100 * MiB, "Largest Kafka request frame.", minimum=1024, **_bytes
    ),
    _int(
        "kafka_connections_max",
        None,
        "Most concurrent Kafka connections per broker; null means unlimited.",
        nullable=True,
        minimum=1,
    ),
    _int(
        "kafka_connections_max_per_ip",
        None,
        "Most concurrent Kafka connections per client IP; null means unlimited.",
        nullable=True,
        minimum=1,
    ),
    _p(
        "kafka_connections_max_overrides",
        "array",
        [],
        "Per-IP exceptions to kafka_connections_max_per_ip, each 'IP:N'.",
        items_type="string",
    ),
    _p(
        "kafka_connection_rate_limit_overrides",
        "array",
        [],
        "Per-IP exceptions to kafka_connection_rate_limit, each 'IP:N' (connections per second).",
        items_type="string",
    ),
    _int(
        "kafka_connections_max_idle_ms",
        600_000,
        "Close a Kafka connection that sent nothing for this long (Kafka's connections.max.idle.ms).",
        minimum=1000,
        **_ms,
    ),
    _int(
        "kafka_request_max_inflight_bytes",
        256 * MiB,
        "Broker-wide budget for request bytes being read or handled (Kafka's queued.max.request.bytes); a frame waits for budget before its body is read.",
        minimum=MiB,
        **_bytes,
        **_tun,
    ),
    _int(
        "kafka_request_read_timeout_ms",
        30_000,
        "Close a connection that does not finish sending a request frame it started within this long.",
        minimum=100,
        **_ms,
        **_tun,
    ),
    _int(
        "kafka_connection_rate_limit",
        None,
        "New Kafka connections per second from one client IP; null means unlimited.",
        nullable=True,
        minimum=1,
    ),
    _int(
        "kafka_throughput_limit_node_in_bps",
        None,
        "Produce throughput limit per broker.",
        nullable=True,
        minimum=1,
        units="bytes/s",
    ),
    _int(
        "kafka_throughput_limit_node_out_bps",
        None,
        "Fetch throughput limit per broker.",
        nullable=True,
        minimum=1,
        units="bytes/s",
    ),
    _int(
        "max_kafka_throttle_delay_ms",
        30_000,
        "Longest throttle delay sent to a client.",
        minimum=0,
        **_ms,
        **_tun,
    ),
    _int(
        "topic_partitions_per_shard",
        1000,
        "Partition replicas allowed per core.",
        minimum=16,
        maximum=131_072,
        **_tun,
    ),
    # Identity, security and metrics.
    _p(
        "cluster_id",
        "string",
        None,
        "Free-form cluster identifier reported to clients.",
        nullable=True,
        needs_restart=True,  # read once at start
    ),
    _bool("admin_api_require_auth", False, "Require HTTP basic authentication on the Admin API."),
    _p("superusers", "array", [], "Users with every permission.", items_type="string"),
    _p(
        "sasl_mechanisms",
        "array",
        ["SCRAM"],
        "SASL mechanisms offered when SASL is on.",
        items_type="string",
        items_enum=("SCRAM", "PLAIN"),
    ),
    _bool("enable_sasl", False, "Require SASL authentication on Kafka listeners."),
    _p(
        "kafka_sasl_max_reauth_ms",
        "integer",
        None,
        "SASL session lifetime (KIP-368); clients re-authenticate before it ends. Null: no limit.",
        nullable=True,
        minimum=1000,
        units="ms",
    ),
    _bool(
        "kafka_enable_authorization", None, "Enforce ACLs; null follows enable_sasl.", nullable=True
    ),
    _bool("disable_public_metrics", False, "Serve 404 on /public_metrics."),
    _bool("disable_metrics", False, "Serve 404 on /metrics."),
    _bool(
        "aggregate_metrics", False, "Sum away the partition label on /metrics and /public_metrics."
    ),
    _bool("enable_rack_awareness", False, "Spread replicas across racks."),
    _bool("audit_enabled", False, "Record an audit log.", needs_restart=True),
    _bool("data_transforms_enabled", False, "Run WebAssembly data transforms.", needs_restart=True),
)

PROPERTY_BY_NAME: dict[str, Property] = {p.name: p for p in PROPERTIES}
ALIASES: dict[str, str] = {a: p.name for p in PROPERTIES for a in p.aliases}
assert len(PROPERTY_BY_NAME) == len(PROPERTIES), "duplicate property names"


def canonical_name(name: str) -> str:
    return ALIASES.get(name, name)


def lookup(name: str) -> Property | None:
    return PROPERTY_BY_NAME.get(canonical_name(name))


_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


def _scalar_from_text(text: str, type_name: str) -> Any:
    if type_name == "integer":
        return int(text, 10)
    if type_name == "number":
        return float(text)
    if type_name == "boolean":
        lowered = text.lower()
        if lowered in _TRUE or lowered in _FALSE:
            return lowered in _TRUE
        raise ValueError(text)
    return text


def value_from_text(
    text: str, type_name: str, *, nullable: bool = False, items_type: str | None = None
) -> Any:
    """Type a property value given as text (Kafka config values, CLI arguments).

    Best effort: text that does not parse is returned as given, so validation rejects it
    with the property's own per-key message.
    """
    if nullable and text.strip().lower() == "null":
        return None
    try:
        if type_name == "array":
            items = (
                yaml.safe_load(text)
                if text.strip().startswith("[")
                else [s.strip() for s in text.split(",")]
            )
            return [
                _scalar_from_text(str(i), items_type or "string") for i in items if str(i) != ""
            ]
        return _scalar_from_text(text, type_name)
    except (ValueError, TypeError, yaml.YAMLError):
        return text


def parse_text(name: str, text: str | None) -> Any:
    """The typed value of property `name` given as text; unknown names stay text."""
    prop = lookup(name)
    if prop is None or text is None:
        return text
    return value_from_text(text, prop.type, nullable=prop.nullable, items_type=prop.items_type)


ChangeCallback = Callable[[dict[str, Any]], None]


@dataclass
class ClusterConfigStore:
    """Explicitly set values plus bookkeeping for `/v1/cluster_config/status`."""

    _values: dict[str, Any] = field(default_factory=dict)
    _unknown: set[str] = field(default_factory=set)
    _invalid: set[str] = field(default_factory=set)
    _subscribers: list[ChangeCallback] = field(default_factory=list)
    _boot_values: dict[str, Any] | None = None
    version: int = 0

    def get(self, name: str) -> Any:
        prop = lookup(name)
        if prop is None:
            raise KeyError(name)
        return self._values.get(prop.name, prop.default)

    def values(self, include_defaults: bool = True) -> dict[str, Any]:
        if not include_defaults:
            return dict(sorted(self._values.items()))
        return {
            p.name: self._values.get(p.name, p.default)
            for p in sorted(PROPERTIES, key=lambda p: p.name)
        }

    def validate(self, upsert: dict[str, Any], remove: list[str]) -> dict[str, str]:
        """Per-key error messages; empty when the change may be applied."""
        errors: dict[str, str] = {}
        for name, value in upsert.items():
            prop = lookup(name)
            if prop is None:
                errors[name] = f"unknown property {name!r}"
                continue
            reason = check_value(prop, value) or refusal_reason(prop.name, value, prop.default)
            if reason is not None:
                errors[name] = reason
        for name in remove:
            if lookup(name) is None and name not in self._unknown:  # a forced unknown key may go
                errors[name] = f"unknown property {name!r}"
            elif name in upsert:
                errors[name] = "property is both upserted and removed"
        if not errors:  # a key's own error says more than a pair it would break
            removed = {canonical_name(k) for k in remove}
            merged = {
                k: v for k, v in self._values.items() if k not in removed
            }  # removed: back to default
            errors.update(_cross_check({**merged, **_canonical(upsert)}, [*upsert, *remove]))
        return errors

    def refusals(self, upsert: dict[str, Any]) -> dict[str, str]:
        """Per-key reasons for values no change may set, not even a forced one."""
        errors: dict[str, str] = {}
        for name, value in upsert.items():
            prop = lookup(name)
            reason = None if prop is None else refusal_reason(prop.name, value, prop.default)
            if reason is not None:
                errors[name] = reason
        return errors

    def apply(self, upsert: dict[str, Any], remove: list[str], version: int) -> None:
        """Apply one committed delta. Unknown or invalid keys (possible with force) are recorded, not used."""
        changed: dict[str, Any] = {}
        for name in remove:
            prop = lookup(name)
            self._unknown.discard(name)
            if prop is not None:
                self._invalid.discard(prop.name)
                if self._values.pop(prop.name, prop.default) != prop.default:
                    changed[prop.name] = prop.default
        for name, value in upsert.items():
            prop = lookup(name)
            if prop is None:
                self._unknown.add(name)
            elif check_value(prop, value) or refusal_reason(prop.name, value, prop.default):
                self._invalid.add(prop.name)  # never used: a forced or older refused value
            else:
                self._invalid.discard(prop.name)
                if self.get(prop.name) != value:
                    changed[prop.name] = value
                self._values[prop.name] = value
        self.version = max(self.version, version)
        if changed:
            for callback in list(self._subscribers):
                callback(dict(changed))

    def subscribe(self, callback: ChangeCallback) -> Callable[[], None]:
        """Call `callback(changed_values)` after every apply that changes a value; returns an unsubscribe."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def schema(self) -> dict[str, Any]:
        return {
            "properties": {p.name: p.schema() for p in sorted(PROPERTIES, key=lambda p: p.name)}
        }

    def mark_booted(self) -> None:
        """Call once after the controller log replay: later needs_restart changes are then pending."""
        self._boot_values = {p.name: self.get(p.name) for p in PROPERTIES if p.needs_restart}

    def restart_required(self) -> bool:
        if self._boot_values is None:
            return False
        return any(self.get(name) != value for name, value in self._boot_values.items())

    @property
    def unknown(self) -> list[str]:
        return sorted(self._unknown)

    @property
    def invalid(self) -> list[str]:
        return sorted(self._invalid)


def _canonical(upsert: dict[str, Any]) -> dict[str, Any]:
    return {canonical_name(k): v for k, v in upsert.items() if lookup(k) is not None}


_ORDERED_PAIRS = (
    ("group_min_session_timeout_ms", "group_max_session_timeout_ms"),
    ("log_segment_ms_min", "log_segment_ms_max"),
    ("log_segment_size_min", "log_segment_size_max"),
)


def _cross_check(merged: dict[str, Any], touched_names) -> dict[str, str]:
    """Pairs that must stay ordered (min <= max) once the change is applied."""
    errors: dict[str, str] = {}
    touched = {canonical_name(k) for k in touched_names}
    for low_name, high_name in _ORDERED_PAIRS:
        low = merged.get(low_name, PROPERTY_BY_NAME[low_name].default)
        high = merged.get(high_name, PROPERTY_BY_NAME[high_name].default)
        if type(low) is not int or type(high) is not int or low <= high:  # bool is not an int here
            continue
        for name in (low_name, high_name):
            if name in touched:
                errors[name] = f"{low_name} ({low}) must not exceed {high_name} ({high})"
    return errors
