"""Partition moves and decommission on real broker processes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.support.cluster import CLUSTER_PROPERTIES, BrokerCluster, running_cluster

MOVE_PROPERTIES = dict(CLUSTER_PROPERTIES, default_topic_replications=3)


@pytest.fixture
def cluster4(tmp_path) -> BrokerCluster:
    with running_cluster(tmp_path / "cluster", 4, properties=MOVE_PROPERTIES) as cluster:
        yield cluster


@pytest.fixture
def admin():
    return admin_call


def admin_call(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """(HTTP status, decoded JSON body) of an Admin API call; errors are answers, not raises."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")
