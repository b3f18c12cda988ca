"""`rpk container` on the real Docker engine. One node: start, the generated profile, rpk and
confluent-kafka from the host, the Schema Registry, stop/start with the data, errors, purge.
Three nodes: one cluster (rpk cluster info lists 3 brokers), an RF 3 topic through rpk and
confluent-kafka, served with rp-node-1 stopped, stop/start with the data, purge.

The tests build on each other in file order, one cluster at a time, in one module: rpk
container's names are fixed, so two modules on two xdist workers would collide."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
import uuid

import pytest

from cli.container import engine
from cli.container.profile import PROFILE_NAME

# The first test's setup builds the image: on a machine whose engine has no base image yet
# that includes the debootstrap of the base (several minutes, more on a loaded host), past
# the suite's 300 s default.
pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]

TOPIC = f"container-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def started(own_engine, rpk, start_cmd):
    """`rpk container start -n 1` with free ports; the result of that run."""
    result = rpk(*start_cmd("-n", "1"))
    assert result.exit_code == 0, result.stderr
    return result


def profile_of(rpk) -> dict:
    from cli.container.profile import load

    rpk_yaml = load()
    assert rpk_yaml.current_profile == PROFILE_NAME
    return rpk_yaml.require_profile(PROFILE_NAME)


def test_start_prints_the_table_and_selects_the_profile(started, own_engine, rpk):
    lines = started.stdout.splitlines()
    assert "Cluster ready!" in lines
    header = lines.index(
        "NODE-ID  STATUS   KAFKA-ADDRESS    ADMIN-ADDRESS    PROXY-ADDRESS    "
        "SCHEMA-REGISTRY-ADDRESS"
    )
    row = lines[header + 1].split()
    assert row[:2] == ["0", "running"]
    assert f'Created "{PROFILE_NAME}" profile.' in lines
    profile = profile_of(rpk)
    assert profile["kafka_api"]["brokers"] == [row[2]]
    assert profile["admin_api"]["addresses"] == [row[3]]
    assert profile["schema_registry"]["addresses"] == [row[5]]
    (node,) = engine.existing_nodes(own_engine)
    assert node.name == "rp-node-0"
    assert own_engine.networks.get("redpanda").attrs["IPAM"]["Config"][0]["Subnet"] == (
        "172.24.1.0/24"
    )
    node.container.reload()
    address = node.container.attrs["NetworkSettings"]["Networks"]["redpanda"]["IPAddress"]
    assert address == "172.24.1.2"
    assert "--dev" in node.container.attrs["Args"]  # developer container mode


def test_rpk_produces_and_consumes_through_the_profile(started, rpk):
    info = rpk("cluster", "info", "-b")
    assert info.exit_code == 0, info.stderr
    assert len(info.stdout.strip().splitlines()[1:]) == 1  # one broker under the header
    assert rpk("topic", "create", TOPIC).exit_code == 0
    produced = rpk("topic", "produce", TOPIC, "-k", "k", input="one\ntwo\n")
    assert produced.exit_code == 0, produced.stderr
    consumed = rpk("topic", "consume", TOPIC, "-n", "2", "-f", "%k=%v\n")
    assert consumed.exit_code == 0, consumed.stderr
    assert consumed.stdout.splitlines() == ["k=one", "k=two"]


def test_confluent_kafka_from_the_host(started, rpk):
    from confluent_kafka import Consumer, Producer

    brokers = ",".join(profile_of(rpk)["kafka_api"]["brokers"])
    producer = Producer({"bootstrap.servers": brokers})
    for i in range(3):
        producer.produce(TOPIC, value=f"ck-{i}".encode())
    assert producer.flush(20) == 0
    consumer = Consumer(
        {
            "bootstrap.servers": brokers,
            "group.id": f"container-test-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([TOPIC])
    values = []
    try:
        for _ in range(60):
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                values.append(msg.value().decode())
            if len(values) == 5:
                break
    finally:
        consumer.close()
    assert values == ["one", "two", "ck-0", "ck-1", "ck-2"]


def test_schema_registry_in_the_container_stores_a_schema(started, rpk):
    """The registry is a Kafka client of its own broker inside the container: the advertised
    address must reach it from there too."""
    (registry,) = profile_of(rpk)["schema_registry"]["addresses"]
    body = json.dumps({"schema": json.dumps({"type": "string"})}).encode()
    request = urllib.request.Request(
        f"http://{registry}/subjects/{TOPIC}-value/versions",
        data=body,
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert json.load(answer) == {"id": 1}


def test_profile_create_from_rpk_container(started, rpk):
    created = rpk("profile", "create", "container-test-copy", "--from-rpk-container")
    assert created.exit_code == 0, created.stderr
    from cli.container.profile import load

    rpk_yaml = load()
    copy = rpk_yaml.require_profile("container-test-copy")
    assert copy["kafka_api"] == rpk_yaml.require_profile(PROFILE_NAME)["kafka_api"]
    assert rpk("profile", "use", PROFILE_NAME).exit_code == 0
    assert rpk("profile", "delete", "container-test-copy").exit_code == 0


def test_start_on_a_running_cluster_says_so(started, rpk, start_cmd):
    again = rpk(*start_cmd("-n", "3"))
    assert again.exit_code == 0, again.stderr
    assert "The cluster is already running." in again.stdout
    assert "Found an existing cluster:" in again.stdout
    assert "first purge the existing cluster with 'rpk container purge'" in again.stdout


def test_stop_then_start_keeps_the_data(started, own_engine, rpk, start_cmd):
    stopped = rpk("container", "stop")
    assert stopped.exit_code == 0, stopped.stderr
    assert stopped.stdout.splitlines() == ["Stopping rp-node-0"]
    status = rpk("container", "status")
    assert status.stdout.splitlines()[1].split()[:2] == ["0", "exited"]
    assert rpk("container", "stop").stdout.splitlines() == ["rp-node-0 was stopped already."]
    restarted = rpk(*start_cmd())
    assert restarted.exit_code == 0, restarted.stderr
    assert "Found an existing cluster:" in restarted.stdout
    consumed = rpk("topic", "consume", TOPIC, "-n", "5", "-f", "%v\n")
    assert consumed.stdout.splitlines() == ["one", "two", "ck-0", "ck-1", "ck-2"]


def test_purge_leaves_nothing(started, own_engine, rpk):
    purged = rpk("container", "purge")
    assert purged.exit_code == 0, purged.stderr
    assert "Removed container rp-node-0" in purged.stdout
    assert "Deleted cluster data." in purged.stdout
    assert f'Deleted profile "{PROFILE_NAME}".' in purged.stdout
    assert engine.existing_nodes(own_engine) == []
    assert engine.find_network(own_engine) is None
    from cli.container.profile import load

    assert load().profile(PROFILE_NAME) is None
    again = rpk("container", "purge")
    assert again.stdout.startswith("No nodes to remove.")


def test_a_taken_port_names_its_flag(own_engine, rpk, start_cmd):
    with socket.socket() as holder:
        holder.bind(("0.0.0.0", 0))
        holder.listen()
        port = holder.getsockname()[1]
        args = [a for a in start_cmd() if a != "--any-port"]
        result = rpk(*args, "--kafka-ports", str(port), "--admin-ports", "any", "--rpc-ports", "any",
                     "--proxy-ports", "any", "--schema-registry-ports", "any")  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"unable to start cluster: kafka port {port} already in use; choose other ports with "
        "--kafka-ports (or --any-port for free ones)"
    )
    assert engine.existing_nodes(own_engine) == []


def test_a_node_that_fails_shows_its_log(own_engine, rpk, start_cmd):
    result = rpk(*start_cmd("--retries", "20", "--set", "redpanda.kafka_api=0.0.0.0:nine"))
    assert result.exit_code == 1
    first, *rest = result.stderr.splitlines()
    assert first.startswith("unable to start cluster: ")
    assert "rp-node-0 is exited" in first
    assert "ailurus: kafka_api: port 'nine' is not a number" in rest, result.stderr
    assert rpk("container", "purge").exit_code == 0


def test_no_docker_engine_is_one_line_with_the_fix(rpk, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    result = rpk("container", "status")
    assert result.exit_code == 1
    assert result.stderr.startswith("unable to connect to docker: ")
    assert len(result.stderr.strip().splitlines()) == 1


# Three nodes: one cluster formed by the founders (seed_servers = every node's RPC address).
RF3_TOPIC = f"container-rf3-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def started3(own_engine, rpk, start_cmd):
    """`rpk container start -n 3` on a clean engine (the one-node tests purged theirs)."""
    remove_leftovers(own_engine, rpk)
    result = rpk(*start_cmd("-n", "3"))
    assert result.exit_code == 0, result.stderr + result.stdout
    return result


def remove_leftovers(client, rpk) -> None:
    if engine.existing_nodes(client) or engine.find_network(client) is not None:
        assert rpk("container", "purge").exit_code == 0


def consume_all(brokers: str, topic: str, count: int, partitions: int = 3) -> list[str]:
    """Every value of the topic's partitions, read by assignment from the start (no group: the
    group coordinator's availability is not what these tests are about)."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": brokers,
            "group.id": f"container-test-{uuid.uuid4().hex[:6]}",  # required, never joined
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    values: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while len(values) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                values.append(msg.value().decode())
    finally:
        consumer.close()
    return sorted(values)


def produce(brokers: str, topic: str, values: list[str]) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": brokers, "acks": "all"})
    for value in values:
        producer.produce(topic, value=value.encode())
    assert producer.flush(30) == 0


def test_three_nodes_form_one_cluster(started3, own_engine, rpk):
    rows = started3.stdout.splitlines()
    header = next(i for i, line in enumerate(rows) if line.startswith("NODE-ID"))
    assert [r.split()[:2] for r in rows[header + 1 : header + 4]] == [
        ["0", "running"],
        ["1", "running"],
        ["2", "running"],
    ]
    brokers = rpk("cluster", "info", "-b")
    assert brokers.exit_code == 0, brokers.stderr
    assert len(brokers.stdout.strip().splitlines()[1:]) == 3
    addresses = {
        n.name: n.container.attrs["NetworkSettings"]["Networks"]["redpanda"]["IPAddress"]
        for n in engine.existing_nodes(own_engine)
    }
    limits = {n.container.attrs["HostConfig"]["Memory"] for n in engine.existing_nodes(own_engine)}
    assert limits == {1024**3}  # developer container mode: small memory
    assert addresses == {
        "rp-node-0": "172.24.1.2",
        "rp-node-1": "172.24.1.3",
        "rp-node-2": "172.24.1.4",
    }


def test_rf3_topic_through_rpk_and_confluent_kafka(started3, rpk):
    created = rpk("topic", "create", RF3_TOPIC, "-r", "3", "-p", "3")
    assert created.exit_code == 0, created.stderr + created.stdout
    produced = rpk("topic", "produce", RF3_TOPIC, input="r1\nr2\n")
    assert produced.exit_code == 0, produced.stderr
    brokers = ",".join(profile_of(rpk)["kafka_api"]["brokers"])
    produce(brokers, RF3_TOPIC, ["c1", "c2"])
    assert consume_all(brokers, RF3_TOPIC, 4) == ["c1", "c2", "r1", "r2"]
    consumed = rpk("topic", "consume", RF3_TOPIC, "-n", "4", "-f", "%v\n")
    assert sorted(consumed.stdout.splitlines()) == ["c1", "c2", "r1", "r2"]


def test_every_nodes_proxy_and_registry_reach_the_whole_cluster(started3, rpk):
    """The in-container HTTP proxy and Schema Registry start from the internal listener, so
    they reach partitions and the _schemas leader on the other nodes too."""
    profile = profile_of(rpk)
    for n, registry in enumerate(profile["schema_registry"]["addresses"]):
        body = json.dumps({"schema": json.dumps({"type": "string"})}).encode()
        request = urllib.request.Request(
            f"http://{registry}/subjects/node-{n}-value/versions",
            data=body,
            headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert "id" in json.load(answer)
    topic = "container-test-proxy"
    created = rpk("topic", "create", topic, "-r", "3", "-p", "3")
    assert created.exit_code == 0, created.stderr + created.stdout
    records = [{"value": f"p{i}", "partition": i} for i in range(3)]  # one led by each node
    rows = started3.stdout.splitlines()
    header = next(i for i, line in enumerate(rows) if line.startswith("NODE-ID"))
    proxies = [r.split()[4] for r in rows[header + 1 : header + 4]]
    for proxy in proxies:
        offsets = proxy_produce(proxy, topic, records)
        assert all("error_code" not in o or o["error_code"] is None for o in offsets), offsets


def proxy_produce(proxy: str, topic: str, records: list[dict]) -> list[dict]:
    """POST records to the HTTP proxy; a topic this proxy's client does not know yet (404, the
    create was just applied elsewhere) is retried for a while."""
    deadline = time.monotonic() + 20
    while True:
        request = urllib.request.Request(
            f"http://{proxy}/topics/{topic}",
            data=json.dumps({"records": records}).encode(),
            headers={"Content-Type": "application/vnd.kafka.json.v2+json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.load(answer)["offsets"]
        except urllib.error.HTTPError as exc:
            if exc.code != 404 or time.monotonic() > deadline:
                raise
        time.sleep(0.5)


def test_a_stopped_node_leaves_the_topic_served(started3, own_engine, rpk):
    node1 = next(n for n in engine.existing_nodes(own_engine) if n.node_id == 1)
    node1.container.stop(timeout=20)
    brokers = ",".join(profile_of(rpk)["kafka_api"]["brokers"])
    produce(brokers, RF3_TOPIC, ["d1", "d2"])
    assert consume_all(brokers, RF3_TOPIC, 6) == ["c1", "c2", "d1", "d2", "r1", "r2"]


def test_stop_and_start_bring_three_nodes_back_with_the_data(started3, rpk, start_cmd):
    assert rpk("container", "stop").exit_code == 0
    restarted = rpk(*start_cmd("-n", "3"))
    assert restarted.exit_code == 0, restarted.stderr
    assert "Found an existing cluster:" in restarted.stdout
    brokers = ",".join(profile_of(rpk)["kafka_api"]["brokers"])
    assert consume_all(brokers, RF3_TOPIC, 6) == ["c1", "c2", "d1", "d2", "r1", "r2"]


def test_purge_of_three_nodes_leaves_nothing(started3, own_engine, rpk):
    purged = rpk("container", "purge")
    assert purged.exit_code == 0, purged.stderr
    assert [line for line in purged.stdout.splitlines() if line.startswith("Removed")] == [
        "Removed container rp-node-0",
        "Removed container rp-node-1",
        "Removed container rp-node-2",
    ]
    assert engine.existing_nodes(own_engine) == []
    assert engine.find_network(own_engine) is None
    from cli.container.profile import load

    assert load().profile(PROFILE_NAME) is None
