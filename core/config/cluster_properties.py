"""Cluster-wide configuration: the in-memory store of explicitly set cluster properties.

The store holds only what was set explicitly; everything else reads as the table default
(core.config.property_table). Changes arrive through `apply` (driven by the controller log);
`validate` is the gate the Admin API uses before anything is replicated. The table's and the
property types' public names are re-exported here for callers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.config.property_table import (
    ALIASES,
    PROPERTIES,
    PROPERTY_BY_NAME,
    canonical_name,
    lookup,
    parse_text,
)
from core.config.property_types import (
    ONE_WEEK_MS,
    TYPES,
    VISIBILITIES,
    GiB,
    MiB,
    Property,
    check_value,
    value_from_text,
)
from core.config.refused import refusal_reason

__all__ = [
    "ALIASES",
    "ONE_WEEK_MS",
    "PROPERTIES",
    "PROPERTY_BY_NAME",
    "TYPES",
    "VISIBILITIES",
    "ChangeCallback",
    "ClusterConfigStore",
    "GiB",
    "MiB",
    "Property",
    "canonical_name",
    "check_value",
    "lookup",
    "parse_text",
    "value_from_text",
]

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
