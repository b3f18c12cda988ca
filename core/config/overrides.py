"""Cluster properties given on one node (redpanda.yaml's cluster section, --set, dev mode).

They apply locally and are not persisted. As Redpanda does with cluster properties in the node
file, unknown names are logged and ignored (rpk's dev mode writes some this broker does not
implement). A known property with a bad value stops the start; a refused value
(core.config.refused) is logged and ignored, its default stays in effect.
"""

from __future__ import annotations

import logging
from typing import Any

from core.config.cluster_properties import ClusterConfigStore, lookup

log = logging.getLogger("ailurus")


def apply_node_overrides(
    store: ClusterConfigStore, overrides: dict[str, Any], *, developer_mode: bool = False
) -> None:
    """Validate and apply; raises ValueError with a one-line message when the start must stop."""
    overrides = dict(overrides)
    if developer_mode and "auto_create_topics_enabled" not in store.values(include_defaults=False):
        overrides.setdefault("auto_create_topics_enabled", True)
    for name in sorted(k for k in overrides if lookup(k) is None):
        log.warning("ignoring unknown cluster property %r from the node configuration", name)
        overrides.pop(name)
    for name, reason in sorted(store.refusals(overrides).items()):
        log.warning("ignoring cluster property %s from the node configuration: %s", name, reason)
        overrides.pop(name)
    if not overrides:
        return
    errors = store.validate(overrides, [])
    if errors:
        raise ValueError(
            "invalid cluster properties: " + "; ".join(f"{k}: {v}" for k, v in errors.items())
        )
    store.apply(overrides, [], version=store.version)
