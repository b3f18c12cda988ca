"""Cluster configuration endpoints."""

from __future__ import annotations

from typing import Any

from admin_api.models import ConfigPatch, ConfigPatchResult, ConfigStatus
from cli.clients.admin._http import AdminClient, query_flag

CLUSTER_CONFIG = "/v1/cluster_config"


def get_config(
    client: AdminClient, include_defaults: bool = True, key: str | None = None
) -> dict[str, Any]:
    params = {"include_defaults": query_flag(include_defaults)}
    if key is not None:
        params["key"] = key
    return client.get_json(CLUSTER_CONFIG, params)


def patch_config(
    client: AdminClient,
    upsert: dict[str, Any],
    remove: list[str],
    *,
    dry_run: bool = False,
    force: bool = False,
) -> int:
    params = {"dry_run": query_flag(dry_run), "force": query_flag(force)}
    body = ConfigPatch(upsert=upsert, remove=remove).to_json()
    resp = client.send_any("PUT", CLUSTER_CONFIG, json=body, params=params)
    return ConfigPatchResult.from_json(resp.json()).config_version


def config_status(client: AdminClient) -> list[ConfigStatus]:
    return [ConfigStatus.from_json(s) for s in client.get_json(f"{CLUSTER_CONFIG}/status")]


def config_schema(client: AdminClient) -> dict[str, dict[str, Any]]:
    """Property name -> schema entry (type, nullable, needs_restart, visibility, enum_values...)."""
    return client.get_json(f"{CLUSTER_CONFIG}/schema")["properties"]
