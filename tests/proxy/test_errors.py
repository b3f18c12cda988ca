"""Every endpoint's error cases: Confluent's error bodies, the right status, never a 5xx."""

from __future__ import annotations

import pytest

from tests.support.proxy import BINARY, JSON, V2, b64, new_consumer
from tests.support.topics import make_topic

MISSING = "/consumers/nog/instances/nobody"


@pytest.fixture(scope="module")
def topic(proxy_broker):
    make_topic(proxy_broker.bootstrap, "err", partitions=2)
    return "err"


def _err(r, status: int, code: int, message: str = "") -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error_code"] == code and isinstance(body["message"], str), body
    assert body["message"].startswith(message), body
    assert r.headers["Content-Type"].startswith(V2)


EXCLUSIVE = "Illegal state: Subscription to topics, partitions and pattern are mutually exclusive"


@pytest.mark.parametrize(
    "path",
    [
        "/topics/nope",
        "/topics/nope/partitions",
        "/topics/nope/partitions/0",
        "/topics/nope/partitions/0/offsets",
    ],
)
def test_unknown_topic(http, path):
    _err(http.get(path), 404, 40401)


@pytest.mark.parametrize(
    "path",
    [
        "/topics/err/partitions/2",
        "/topics/err/partitions/x",
        "/topics/err/partitions/-1",
        "/topics/err/partitions/5/offsets",
        "/topics/err/partitions/9/records?offset=0",
    ],
)
def test_unknown_partition(http, topic, path):
    _err(http.get(path), 404, 40402)


def test_produce_errors(http, topic):
    ok = {"records": [{"value": b64("v")}]}
    _err(http.post("/topics/nope", json=ok, headers={"Content-Type": BINARY}), 404, 40401)
    _err(
        http.post("/topics/err/partitions/7", json=ok, headers={"Content-Type": BINARY}), 404, 40402
    )
    bad_partition = {"records": [{"value": b64("v"), "partition": 5}]}
    _err(http.post("/topics/err", json=bad_partition, headers={"Content-Type": BINARY}), 404, 40402)
    for body in (
        {"records": [{"value": "!!not base64"}]},
        {"records": "x"},
        [1],
        {"records": [{"value": b64("v"), "partition": "0"}]},
        {"records": [7]},
        {"records": [{"key": None}]},
    ):
        _err(http.post("/topics/err", json=body, headers={"Content-Type": BINARY}), 422, 42205)
    _err(http.post("/topics/err", content=b"{not json", headers={"Content-Type": JSON}), 422, 42205)
    _err(http.post("/topics/err", json=ok, headers={"Content-Type": "text/plain"}), 415, 415)
    _err(http.post("/topics/err", content=b'{"records": []}'), 415, 415)  # no Content-Type
    avro = {"Content-Type": "application/vnd.kafka.avro.v2+json"}
    _err(http.post("/topics/err", json={"records": [{"value": 1}]}, headers=avro), 422, 42202)
    with_schema = {"value_schema": '"int"', "records": [{"value": 1}]}
    r = http.post("/topics/err", json=with_schema, headers=avro)
    _err(r, 408, 40801)  # this broker runs no Schema Registry and none is configured
    assert "Schema Registry" in r.json()["message"]
    xml = {"Content-Type": "application/vnd.kafka.xml.v2+json"}
    _err(http.post("/topics/err", json=ok, headers=xml), 415, 415)
    _err(
        http.post("/topics/err", json=ok, headers={"Content-Type": BINARY, "Accept": "text/html"}),
        406,
        406,
    )
    big = b'{"records": [{"value": "' + b"A" * (9 * 1024 * 1024) + b'"}]}'
    r = http.post("/topics/err", content=big, headers={"Content-Type": BINARY})
    _err(r, 422, 42205)
    assert "request body too large" in r.json()["message"]


def test_accept_and_method_errors(http, topic):
    _err(http.get("/brokers", headers={"Accept": "text/html"}), 406, 406)
    _err(http.get("/nowhere"), 404, 404)
    _err(http.put("/brokers"), 405, 405)
    r = http.get(
        "/topics/err/partitions/0/records?offset=0",
        headers={"Accept": "application/vnd.kafka.xml.v2+json"},
    )
    _err(r, 406, 406)
    for query in ("", "?offset=x", "?offset=-1", "?offset=0&timeout=-5", "?offset=0&max_bytes=abc"):
        _err(http.get(f"/topics/err/partitions/0/records{query}"), 400, 40002)


def test_consumer_create_errors(http):
    for body in (
        {"format": "xml"},
        {"auto.offset.reset": "soon"},
        {"auto.commit.enable": "maybe"},
        {"fetch.min.bytes": "many"},
        {"consumer.request.timeout.ms": -1},
        {"name": "bad name/x"},
        [1],
    ):
        _err(http.post("/consumers/g-err", json=body), 422, 42204)
    new_consumer(http, "g-err", name="dup")
    _err(http.post("/consumers/g-err", json={"name": "dup"}), 409, 40902)
    _err(http.post("/consumers/g-err", json={}, headers={"Content-Type": "text/plain"}), 415, 415)
    assert http.delete("/consumers/g-err/instances/dup").status_code == 204
    _err(http.delete("/consumers/g-err/instances/dup"), 404, 40403)


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("DELETE", "", None),
        ("GET", "/subscription", None),
        ("POST", "/subscription", {"topics": ["err"]}),
        ("DELETE", "/subscription", None),
        ("GET", "/assignments", None),
        ("POST", "/assignments", {"partitions": [{"topic": "err", "partition": 0}]}),
        ("POST", "/positions", {"offsets": [{"topic": "err", "partition": 0, "offset": 0}]}),
        ("POST", "/positions/beginning", {"partitions": [{"topic": "err", "partition": 0}]}),
        ("POST", "/positions/end", {"partitions": [{"topic": "err", "partition": 0}]}),
        ("POST", "/offsets", None),
        ("GET", "/offsets", {"partitions": [{"topic": "err", "partition": 0}]}),
        ("GET", "/records", None),
    ],
)
def test_unknown_instance(http, method, suffix, body):
    _err(http.request(method, MISSING + suffix, json=body), 404, 40403)


def test_instance_state_errors(http, topic):
    name = new_consumer(http, "g-state", format="json")
    base = f"/consumers/g-state/instances/{name}"
    _err(http.get(f"{base}/records"), 409, 40903, "Illegal state: ")  # not subscribed/assigned
    _err(http.get(f"{base}/records", headers={"Accept": BINARY}), 406, 40601)
    illegal = ({"topics": ["a b"]}, {"topics": [".."]}, {"topics": ["x" * 250]})
    neither_or_both = ({}, {"topics": ["err"], "topic_pattern": "e.*"})
    for body in ({"topics": []}, {"topics": [1]}, {"topic_pattern": "("}, [1], *illegal):
        _err(http.post(f"{base}/subscription", json=body), 422, 42205)
    for body in neither_or_both:  # Confluent ignores such a body (topics win); refused here
        _err(http.post(f"{base}/subscription", json=body), 422, 42205, "give exactly one")
    tp = {"topic": "err", "partition": 0}
    unassigned = "Illegal state: No current assignment for partition err-0"
    _err(http.post(f"{base}/positions", json={"offsets": [{**tp, "offset": 1}]}), 409, 40903)
    _err(http.post(f"{base}/positions/end", json={"partitions": [tp]}), 409, 40903, unassigned)
    for body in (
        {"partitions": [{"topic": "err"}]},
        {"partitions": "x"},
        {"partitions": [{"topic": "err", "partition": -1}]},
        {"partitions": [{"topic": "é", "partition": 0}]},
    ):
        _err(http.post(f"{base}/assignments", json=body), 422, 42205)
        _err(http.request("GET", f"{base}/offsets", json=body), 422, 42205)
    _err(http.post(f"{base}/offsets", json={"offsets": [{**tp, "offset": "x"}]}), 422, 42205)
    missing = {"partitions": [{"topic": "no-such-topic", "partition": 0}]}
    _err(http.post(f"{base}/assignments", json=missing), 404, 40401)  # not a forever-wait later
    assert http.post(f"{base}/subscription", json={"topics": ["err"]}).status_code == 204
    _err(http.post(f"{base}/assignments", json={"partitions": [tp]}), 409, 40903, EXCLUSIVE)
    _err(http.get(f"{base}/records", params={"timeout": "x"}), 400, 40002)
    assert http.delete(base).status_code == 204


def test_instance_limit(proxy_broker, http):
    """consumer_instances_max is 100 by default; the test broker keeps the default."""
    made = [new_consumer(http, "g-many") for _ in range(100)]
    try:
        _err(http.post("/consumers/g-many", json={}), 429, 42901)
    finally:
        for name in made:
            http.delete(f"/consumers/g-many/instances/{name}")
    new_consumer(http, "g-many", name="after")


def test_partition_records_past_the_end(http, topic):
    http.post(
        "/topics/err/partitions/1",
        json={"records": [{"value": b64("v")}]},
        headers={"Content-Type": BINARY},
    )
    r = http.get("/topics/err/partitions/1/records", params={"offset": 1, "timeout": 100})
    assert (r.status_code, r.json()) == (200, [])
    _err(
        http.get("/topics/err/partitions/1/records", params={"offset": 50, "timeout": 100}),
        400,
        40002,
    )
    r = http.get("/topics/err/partitions/1/records", params={"offset": 0, "timeout": 100})
    assert [x["offset"] for x in r.json()] == [0]


def test_subscription_kinds_are_exclusive(http, topic):
    """As the Java consumer Confluent's proxy drives: a topic list replaces a topic list and a
    pattern a pattern, but one kind does not replace the other (40903) until DELETE
    subscription; a duplicate instance name is the only 40902, and nothing answers 40901."""
    name = new_consumer(http, "g-kinds")
    base = f"/consumers/g-kinds/instances/{name}"
    sub = f"{base}/subscription"
    assert http.post(sub, json={"topic_pattern": "nothing-matches-.*"}).status_code == 204
    _err(http.post(sub, json={"topics": ["err"]}), 409, 40903, EXCLUSIVE)
    assert http.post(sub, json={"topic_pattern": "e.*"}).status_code == 204
    assert http.delete(sub).status_code == 204
    assert http.post(sub, json={"topics": ["err"]}).status_code == 204
    assert http.post(sub, json={"topics": ["err", "other"]}).status_code == 204
    assert http.get(sub).json() == {"topics": ["err", "other"]}
    _err(http.post(sub, json={"topic_pattern": "e.*"}), 409, 40903, EXCLUSIVE)
    assert http.delete(sub).status_code == 204
    tp = {"topic": "err", "partition": 0}
    assert http.post(f"{base}/assignments", json={"partitions": [tp]}).status_code == 204
    _err(http.post(sub, json={"topic_pattern": "e.*"}), 409, 40903, EXCLUSIVE)
    _err(http.post("/consumers/g-kinds", json={"name": name}), 409, 40902)
    assert http.delete(base).status_code == 204
