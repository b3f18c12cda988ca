"""Follower fetching skips a replica on a node in maintenance mode, as Redpanda's rack-aware
selector does: three real brokers in racks a, b and c, `enable_rack_awareness` on, a topic of
replication factor 3. The leader names the follower in the consumer's rack as preferred read
replica; once that follower's node enters maintenance mode (PUT
/v1/brokers/{id}/maintenance) the leader serves the consumer itself; when it leaves, the
follower is named again."""

from __future__ import annotations

import urllib.request

import pytest
from kio.schema.errors import ErrorCode

from tests.cluster.test_follower_fetch import RACKS, _fetch, _produce, _racks_on
from tests.support.cluster import BrokerCluster
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(240)]


def _maintenance(cluster: BrokerCluster, node: int, enabled: bool) -> None:
    url = f"http://127.0.0.1:{cluster.nodes[node].admin_port}/v1/brokers/{node}/maintenance"
    request = urllib.request.Request(url, method="PUT" if enabled else "DELETE")
    with urllib.request.urlopen(request, timeout=10.0) as resp:
        assert resp.status == 200, resp.read()


def test_a_follower_in_maintenance_is_not_preferred(tmp_path):
    with _racks_on(tmp_path / "cluster") as (cluster, leader, follower):
        rack = RACKS[follower]
        _produce(cluster, [b"v%d" % i for i in range(10)])
        leader_port = cluster.nodes[leader].kafka_port

        def preferred() -> int:
            answer = _fetch(leader_port, 0, rack)
            assert answer.error_code == ErrorCode.none
            return answer.preferred_read_replica

        wait_for(lambda: preferred() == follower, "the follower preferred", 20)
        _maintenance(cluster, follower, True)
        wait_for(lambda: preferred() == -1, "the leader serving the consumer", 20)
        assert cluster.leader_of("closest", 0) == leader  # the leader was not the one drained
        _maintenance(cluster, follower, False)
        wait_for(lambda: preferred() == follower, "the follower preferred again", 20)
