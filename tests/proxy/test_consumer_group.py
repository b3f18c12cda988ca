"""A proxy consumer instance is a real group member: membership and commits seen through the
Kafka admin API (kafka-python), positions and committed offsets through the proxy."""

from __future__ import annotations

import time

from kafka import TopicPartition

from tests.support.proxy import V2, b64, consume_until, new_consumer, produce
from tests.support.rpk import run_in_process
from tests.support.topics import admin_client, make_topic
from tests.support.wait import wait_for


def _describe(bootstrap: str, group: str):
    admin = admin_client(bootstrap)
    try:
        return admin.describe_groups([group])[group]
    finally:
        admin.close()


def _committed(bootstrap: str, group: str) -> dict[int, int]:
    admin = admin_client(bootstrap)
    try:
        offsets = admin.list_group_offsets(group).get(group, {})
        return {tp.partition: om.offset for tp, om in offsets.items() if om.offset >= 0}
    finally:
        admin.close()


def test_membership_commits_and_leave(proxy_broker, http, tmp_path):
    boot = proxy_broker.bootstrap
    make_topic(boot, "grp", partitions=2)
    produce(http, "grp", [{"value": b64(f"v{i}"), "partition": i % 2} for i in range(6)])
    name = new_consumer(
        http,
        "g1",
        name="member-a",
        **{"auto.commit.enable": "false", "auto.offset.reset": "earliest"},
    )
    assert name == "member-a"
    base = "/consumers/g1/instances/member-a"
    assert http.post(f"{base}/subscription", json={"topics": ["grp"]}).status_code == 204
    assert http.get(f"{base}/subscription").json() == {"topics": ["grp"]}
    assert len(consume_until(http, base, 6)) == 6

    group = _describe(boot, "g1")
    print(group)
    assert group["group_state"] == "Stable"
    assert [m["client_id"] for m in group["members"]] == ["member-a"]
    assert _committed(boot, "g1") == {}

    r = http.post(
        f"{base}/offsets",
        json={"offsets": [{"topic": "grp", "partition": 0, "offset": 2}]},
        headers={"Content-Type": V2},
    )
    assert r.status_code == 204
    assert _committed(boot, "g1") == {0: 2}
    assert http.post(f"{base}/offsets").status_code == 204  # everything consumed
    assert _committed(boot, "g1") == {0: 3, 1: 3}
    described = run_in_process(
        ["group", "describe", "g1", "-X", f"brokers={boot}"],
        env={"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)},
    )
    assert described.exit_code == 0, described.stderr
    assert "member-a" in described.stdout and "Stable" in described.stdout, described.stdout
    # the commits as rpk shows them: each partition's CURRENT-OFFSET 3 and LAG 0
    rows = [line.split() for line in described.stdout.splitlines() if line.startswith("grp ")]
    assert sorted((row[1], row[2], row[5]) for row in rows) == [("0", "3", "0"), ("1", "3", "0")]
    r = http.request(
        "GET",
        f"{base}/offsets",
        json={"partitions": [{"topic": "grp", "partition": 0}, {"topic": "grp", "partition": 1}]},
    )
    assert r.status_code == 200
    assert [o["offset"] for o in r.json()["offsets"]] == [3, 3]

    tp0 = {"topic": "grp", "partition": 0}
    assert http.post(f"{base}/positions/beginning", json={"partitions": [tp0]}).status_code == 204
    again = http.get(f"{base}/records", params={"timeout": 2000}).json()
    assert sorted(r["offset"] for r in again if r["partition"] == 0)[:1] == [0]
    assert (
        http.post(f"{base}/positions", json={"offsets": [{**tp0, "offset": 2}]}).status_code == 204
    )
    r = http.get(f"{base}/records", params={"timeout": 2000}).json()
    assert [x["offset"] for x in r] == [2]
    assert http.post(f"{base}/positions/end", json={"partitions": [tp0]}).status_code == 204
    assert http.get(f"{base}/records", params={"timeout": 200}).json() == []

    assert http.delete(f"{base}/subscription").status_code == 204
    assert http.get(f"{base}/subscription").json() == {"topics": []}
    assert http.delete(base).status_code == 204
    wait_for(lambda: _describe(boot, "g1")["members"] == [], "the member to leave", timeout_s=15)
    assert _committed(boot, "g1")[0] == 3


def test_assignments_and_pattern(proxy_broker, http):
    make_topic(proxy_broker.bootstrap, "pat-a")
    make_topic(proxy_broker.bootstrap, "pat-b")
    name = new_consumer(http, "g2")
    base = f"/consumers/g2/instances/{name}"
    parts = [{"topic": "pat-a", "partition": 0}]
    assert http.post(f"{base}/assignments", json={"partitions": parts}).status_code == 204
    assert http.get(f"{base}/assignments").json() == {"partitions": parts}
    r = http.post(f"{base}/subscription", json={"topics": ["pat-a"]})
    assert (r.status_code, r.json()["error_code"]) == (409, 40903)
    assert http.delete(f"{base}/subscription").status_code == 204
    assert http.post(f"{base}/subscription", json={"topic_pattern": "pat-.*"}).status_code == 204
    wait_for(
        lambda: (
            http.get(f"{base}/records", params={"timeout": 200}).status_code == 200
            and sorted(
                TopicPartition(**p) for p in http.get(f"{base}/assignments").json()["partitions"]
            )
            == [TopicPartition("pat-a", 0), TopicPartition("pat-b", 0)]
        ),
        "the pattern's partitions",
        timeout_s=20,
    )
    assert http.delete(base).status_code == 204


def test_delete_waits_for_a_records_poll(proxy_broker, http):
    """A DELETE during a long records GET lets the GET answer (200, no records), then leaves."""
    import threading

    make_topic(proxy_broker.bootstrap, "quiet")
    name = new_consumer(http, "g3")
    base = f"/consumers/g3/instances/{name}"
    http.post(f"{base}/assignments", json={"partitions": [{"topic": "quiet", "partition": 0}]})
    result = {}

    def poll() -> None:
        result["r"] = http.get(f"{base}/records", params={"timeout": 1500})

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.3)
    assert http.delete(base).status_code == 204
    thread.join(10)
    assert result["r"].status_code == 200 and result["r"].json() == []
    r = http.get(f"{base}/assignments")
    assert (r.status_code, r.json()["error_code"]) == (404, 40403)


def test_topics_lists_user_topics(http):
    topics = http.get("/topics").json()
    assert "grp" in topics and "__consumer_offsets" not in topics
