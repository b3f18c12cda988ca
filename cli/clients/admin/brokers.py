"""Brokers and maintenance endpoints."""

from __future__ import annotations

from admin_api.models import Broker, MaintenanceStatus
from cli.clients.admin._http import AdminClient

BROKERS = "/v1/brokers"


def list_brokers(client: AdminClient) -> list[Broker]:
    return [Broker.from_json(b) for b in client.get_json(BROKERS)]


def get_broker(client: AdminClient, node_id: int) -> Broker:
    return Broker.from_json(client.get_json(f"{BROKERS}/{node_id}"))


def set_maintenance(client: AdminClient, node_id: int, enabled: bool) -> None:
    client.send_any("PUT" if enabled else "DELETE", f"{BROKERS}/{node_id}/maintenance")


def local_maintenance(client: AdminClient) -> MaintenanceStatus:
    return MaintenanceStatus.from_json(client.get_json("/v1/maintenance"))
