"""Helpers of the cluster-property effect tests: auto-creating Metadata, the Admin API's cluster
configuration, and a topic placed by explicit assignment."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from kio.schema.metadata.v8.request import MetadataRequest, MetadataRequestTopic
from kio.schema.types import TopicName

from tests.support.raw_client import RawClient


def set_cluster_config(admin_port: int, **values: Any) -> None:
    """PUT /v1/cluster_config; raises on a refusal (HTTP error)."""
    body = json.dumps({"upsert": values, "remove": []}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{admin_port}/v1/cluster_config", data=body, method="PUT"
    )
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as resp:
        assert resp.status == 200, resp.read()


def auto_create(port: int, names: list[str], timeout_s: float = 60.0) -> tuple[Any, float]:
    """One Metadata v8 request allowing auto-creation; (response, seconds it took)."""
    client = RawClient(port, timeout_s=timeout_s)
    try:
        started = time.monotonic()
        response = client.request(
            MetadataRequest(
                topics=tuple(MetadataRequestTopic(name=TopicName(n)) for n in names),
                allow_auto_topic_creation=True,
                include_cluster_authorized_operations=False,
                include_topic_authorized_operations=False,
            )
        )
        return response, time.monotonic() - started
    finally:
        client.close()


def create_placed_topic(bootstrap: str, name: str, assignment: list[list[int]]) -> None:
    """CreateTopics with an explicit replica assignment (confluent-kafka)."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    new = NewTopic(name, len(assignment), replica_assignment=assignment)
    admin.create_topics([new])[name].result(30)
