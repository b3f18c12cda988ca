"""Cluster fault tests: three `ailurus` processes on loopback, RPC links through proxies."""

from __future__ import annotations

import pytest

from tests.support.cluster import CLUSTER_PROPERTIES, BrokerCluster, running_cluster


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "cluster: starts a multi-node cluster of broker processes (fault tests)"
    )


@pytest.fixture
def cluster3(tmp_path) -> BrokerCluster:
    with running_cluster(
        tmp_path / "cluster", 3, rpc_proxies=True, properties=CLUSTER_PROPERTIES
    ) as cluster:
        yield cluster
