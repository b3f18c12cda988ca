"""The Admin API calls of `rpk cluster partitions` (rpadmin's partition and reconfiguration
calls), and rpk's way of printing replica sets (`[1-0 2-0 3-0]`: node-core)."""

from __future__ import annotations

from typing import Any

from cli.clients.admin import AdminClient


def replicas_text(replicas: list[dict]) -> str:
    return "[" + " ".join(f"{r['node_id']}-{r.get('core', 0)}" for r in replicas) + "]"


def node_list(replicas: list[dict]) -> str:
    """Go's fmt of an []int: `[1 2 3]`."""
    return "[" + " ".join(str(r["node_id"]) for r in replicas) + "]"


def get_partition(client: AdminClient, ns: str, topic: str, partition: int) -> dict[str, Any]:
    return client.get_json(f"/v1/partitions/{ns}/{topic}/{partition}")


def topic_partitions(client: AdminClient, ns: str, topic: str) -> list[dict[str, Any]]:
    return client.get_json(f"/v1/cluster/partitions/{ns}/{topic}")


def all_partitions(client: AdminClient) -> list[dict[str, Any]]:
    return client.get_json("/v1/cluster/partitions", params={"with_internal": "true"})


def move_replicas(
    client: AdminClient, ns: str, topic: str, partition: int, replicas: list[dict]
) -> None:
    client.send_any("POST", f"/v1/partitions/{ns}/{topic}/{partition}/replicas", json=replicas)


def reconfigurations(client: AdminClient) -> list[dict[str, Any]]:
    return client.get_json("/v1/partitions/reconfigurations")


def cancel_all(client: AdminClient) -> list[dict[str, Any]]:
    return client.send_any("POST", "/v1/cluster/cancel_reconfigurations").json()


def cancel_node(client: AdminClient, node: int) -> list[dict[str, Any]]:
    return client.send_any("POST", f"/v1/brokers/{node}/cancel_partition_moves").json()
