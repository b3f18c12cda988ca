"""Cluster health and partitions."""

from __future__ import annotations

from urllib.parse import quote

from admin_api.models import HealthOverview, Partition
from cli.clients.admin._http import AdminClient


def health_overview(client: AdminClient) -> HealthOverview:
    return HealthOverview.from_json(client.get_json("/v1/cluster/health_overview"))


def topic_partitions(client: AdminClient, topic: str, namespace: str = "kafka") -> list[Partition]:
    path = f"/v1/partitions/{quote(namespace, safe='')}/{quote(topic, safe='')}"
    return [Partition.from_json(p) for p in client.get_json(path)]
