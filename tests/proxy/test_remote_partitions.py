"""A proxy on a two-node cluster: partitions led by the other node go over the Kafka protocol
(aiokafka), those led here in-process; one consumer instance reads both kinds at once."""

from __future__ import annotations

import httpx
import pytest

from tests.support.cluster import create_topic, running_cluster
from tests.support.proxy import BINARY, V2, b64, consume_until, new_consumer, unb64

TOPIC = "mixed"
PARTITIONS = 4


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    properties = {"group_initial_rebalance_delay": 300}
    base = tmp_path_factory.mktemp("proxy-cluster")
    with running_cluster(
        base, 2, extra_args=("--pandaproxy-addr", "127.0.0.1:0"), properties=properties
    ) as c:
        create_topic(c, TOPIC, PARTITIONS, 1)
        yield c


def test_local_and_remote_partitions(cluster):
    node = cluster.nodes[0]
    leaders = {p: cluster.leader_of(TOPIC, p) for p in range(PARTITIONS)}
    local = [p for p, n in leaders.items() if n == node.node_id]
    remote = [p for p, n in leaders.items() if n != node.node_id]
    if not local or not remote:
        pytest.skip(f"placement put every partition on one side: {leaders}")
    with httpx.Client(base_url=node.listener_url("pandaproxy"), timeout=30) as http:
        headers = {"Content-Type": BINARY, "Accept": V2}
        for p in range(PARTITIONS):
            body = {"records": [{"value": b64(f"p{p}-{i}")} for i in range(5)]}
            r = http.post(f"/topics/{TOPIC}/partitions/{p}", json=body, headers=headers)
            assert r.status_code == 200, r.text
            assert [o["offset"] for o in r.json()["offsets"]] == list(range(5)), r.text
        for p in (local[0], remote[0]):
            got = http.get(
                f"/topics/{TOPIC}/partitions/{p}/records",
                params={"offset": 3},
                headers={"Accept": BINARY},
            )
            assert [unb64(g["value"]) for g in got.json()] == [f"p{p}-{i}".encode() for i in (3, 4)]
            offsets = http.get(f"/topics/{TOPIC}/partitions/{p}/offsets").json()
            assert offsets == {"beginning_offset": 0, "end_offset": 5}
        name = new_consumer(http, "g-mixed", **{"auto.offset.reset": "earliest"})
        base = f"/consumers/g-mixed/instances/{name}"
        assert http.post(f"{base}/subscription", json={"topics": [TOPIC]}).status_code == 204
        got = consume_until(http, base, 5 * PARTITIONS, timeout_s=40)
        seen = sorted((g["partition"], g["offset"], unb64(g["value"])) for g in got)
        expected = [(p, i, f"p{p}-{i}".encode()) for p in range(PARTITIONS) for i in range(5)]
        assert seen == expected
        assert http.post(f"{base}/offsets").status_code == 204
        parts = [{"topic": TOPIC, "partition": p} for p in range(PARTITIONS)]
        committed = http.request("GET", f"{base}/offsets", json={"partitions": parts}).json()
        assert [o["offset"] for o in committed["offsets"]] == [5] * PARTITIONS
        assert http.delete(base).status_code == 204
