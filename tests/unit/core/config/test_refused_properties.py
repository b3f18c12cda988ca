"""Refused cluster properties: listed with their defaults, any other value refused with a one-line
reason, by the store's one gate, by the frontend even when forced, and ignored at startup."""

from __future__ import annotations

import asyncio
import logging

import pytest

from core.cluster.config_frontend import ClusterConfigFrontend, ConfigValidationError
from core.config.cluster_properties import PROPERTY_BY_NAME, ClusterConfigStore
from core.config.overrides import apply_node_overrides
from core.config.refused import REFUSED

TRANSFORMS_REASON = "not supported: not planned (no WebAssembly runtime)"


class _LocalController:
    """Applies each submitted command at once, as a single-voter controller does."""

    def __init__(self) -> None:
        self._apply = {}

    def register(self, command_type, apply_fn) -> None:
        self._apply[command_type] = apply_fn

    async def submit(self, command_type, payload) -> int:
        self._apply[command_type](payload)
        return 0


def test_every_refused_name_is_a_property_and_says_why_it_is_not_planned():
    for name, refusal in REFUSED.items():
        assert name in PROPERTY_BY_NAME, name
        assert refusal.reason.startswith("not supported: not planned (") and refusal.why, name


def test_a_non_default_value_is_refused_with_a_one_line_reason():
    store = ClusterConfigStore()
    errors = store.validate({"data_transforms_enabled": True, "log_retention_ms": 5}, [])
    assert errors == {"data_transforms_enabled": TRANSFORMS_REASON}
    assert "\n" not in errors["data_transforms_enabled"]


def test_the_default_value_and_a_removal_are_accepted():
    store = ClusterConfigStore()
    defaults = {name: PROPERTY_BY_NAME[name].default for name in REFUSED}
    assert store.validate(defaults, []) == {}
    assert store.validate({}, sorted(REFUSED)) == {}


def test_refused_properties_stay_listed_with_their_defaults():
    store = ClusterConfigStore()
    schema = store.schema()["properties"]
    values = store.values()
    for name in REFUSED:
        assert schema[name]["default"] == PROPERTY_BY_NAME[name].default
        assert values[name] == PROPERTY_BY_NAME[name].default


def test_a_refused_value_applied_anyway_is_recorded_invalid_and_never_used():
    store = ClusterConfigStore()
    store.apply({"topic_partitions_per_shard": 99}, [], version=1)  # an older log
    assert store.get("topic_partitions_per_shard") == 1000
    assert store.invalid == ["topic_partitions_per_shard"]


def test_force_does_not_bypass_a_refusal():
    store = ClusterConfigStore()
    frontend = ClusterConfigFrontend(_LocalController(), store)
    with pytest.raises(ConfigValidationError) as exc:
        asyncio.run(frontend.patch({"data_transforms_enabled": True, "made_up": 1}, [], force=True))
    assert exc.value.errors == {"data_transforms_enabled": TRANSFORMS_REASON}
    asyncio.run(frontend.patch({"made_up": 1}, [], force=True))  # force still stores unknowns
    assert store.unknown == ["made_up"] and store.get("data_transforms_enabled") is False


def test_other_refused_overrides_are_logged_and_ignored(caplog):
    store = ClusterConfigStore()
    with caplog.at_level(logging.WARNING, logger="ailurus"):
        apply_node_overrides(
            store, {"storage_min_free_bytes": 10485760, "group_topic_partitions": 3}
        )
    assert store.get("storage_min_free_bytes") == PROPERTY_BY_NAME["storage_min_free_bytes"].default
    assert store.get("group_topic_partitions") == 3
    assert "storage_min_free_bytes" in caplog.text and "not planned" in caplog.text
