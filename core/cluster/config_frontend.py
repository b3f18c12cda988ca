"""Cluster configuration changes: validate, replicate through the controller, apply in log order.

Command "cluster_config_delta": {"upsert": {name: value}, "remove": [names]}. Each applied delta
bumps the config version by one, so replaying the controller log reproduces the same version.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from core.cluster.config_cache import ConfigCache
from core.cluster.controller_snapshot import offer_state
from core.config.cluster_properties import ClusterConfigStore

CLUSTER_CONFIG_DELTA = "cluster_config_delta"


class Controller(Protocol):
    def register(self, command_type: str, apply_fn: Callable[[dict[str, Any]], None]) -> None: ...

    def submit(self, command_type: str, payload: dict[str, Any]) -> Awaitable[int]: ...


class ConfigValidationError(Exception):
    """The delta was rejected; `errors` maps each offending key to its reason."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in sorted(errors.items())))
        self.errors = errors


@dataclass(frozen=True)
class NodeConfigStatus:
    node_id: int
    restart: bool
    config_version: int
    invalid: list[str]
    unknown: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "restart": self.restart,
            "config_version": self.config_version,
            "invalid": self.invalid,
            "unknown": self.unknown,
        }


class ClusterConfigFrontend:
    def __init__(
        self,
        controller: Controller,
        store: ClusterConfigStore,
        node_id: int = 0,
        cache: ConfigCache | None = None,
    ) -> None:
        self._cache = cache  # <data dir>/config_cache.yaml (rpk cluster config force-reset)
        self._controller = controller
        self._store = store
        self._node_id = node_id
        self._lock = asyncio.Lock()
        # What the log alone set: `store` also holds node-local overrides, never snapshotted.
        self._logged = ClusterConfigStore()
        controller.register(CLUSTER_CONFIG_DELTA, self._apply)
        offer_state(
            controller, "cluster_config", (CLUSTER_CONFIG_DELTA,), self.snapshot, self.restore
        )

    @property
    def store(self) -> ClusterConfigStore:
        return self._store

    def _apply(self, payload: dict[str, Any]) -> None:
        upsert, remove = dict(payload.get("upsert", {})), list(payload.get("remove", []))
        if self._cache is not None:
            upsert = self._cache.filtered(self._logged.version + 1, upsert)
        self._logged.apply(upsert, remove, version=self._logged.version + 1)
        self._store.apply(upsert, remove, version=self._store.version + 1)
        if self._cache is not None:
            self._cache.save(self._logged.version, self._logged.values(include_defaults=False))

    def snapshot(self) -> dict[str, Any]:
        """What the applied deltas set (not node-local overrides), JSON-ready: the values,
        the names of unknown and invalid keys (forced), and the version."""
        logged = self._logged
        return {
            "version": logged.version,
            "values": logged.values(include_defaults=False),
            "unknown": logged.unknown,
            "invalid": logged.invalid,
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Apply what `snapshot` returned as one delta (subscribers hear the changes)."""
        version = int(state["version"])
        values = dict(state["values"])
        if self._cache is not None:
            values = self._cache.filtered(version, values)
        for store in (self._logged, self._store):
            store.apply(values, [], version=version)
            store.apply({name: None for name in state["unknown"]}, [], version=version)
            # A forced invalid value was never stored, only its name: mark it as apply did.
            store._invalid.update(state["invalid"])
        if self._cache is not None:
            self._cache.save(version, self._logged.values(include_defaults=False))

    async def patch(
        self,
        upsert: dict[str, Any],
        remove: list[str],
        *,
        dry_run: bool = False,
        force: bool = False,
    ) -> int:
        """Validate and (unless dry_run) replicate the delta; returns the resulting config version.

        `force` skips validation: unknown and invalid keys are then stored and reported by status();
        a refused property (core.config.refused) is refused even then.
        Raises ConfigValidationError with per-key messages otherwise.
        """
        async with (
            self._lock
        ):  # validate against the config the delta will apply to, not an older one
            errors = self._store.refusals(upsert) if force else self._store.validate(upsert, remove)
            if errors:
                raise ConfigValidationError(errors)
            if dry_run:
                return self._store.version
            await self._controller.submit(
                CLUSTER_CONFIG_DELTA, {"upsert": upsert, "remove": remove}
            )
            return self._store.version

    def status(self) -> list[NodeConfigStatus]:
        """One entry per node; a single broker reports itself."""
        return [
            NodeConfigStatus(
                node_id=self._node_id,
                restart=self._store.restart_required(),
                config_version=self._store.version,
                invalid=self._store.invalid,
                unknown=self._store.unknown,
            )
        ]
