"""Named Kafka listeners (redpanda.yaml `kafka_api` entries with `name`): the broker serves every
entry, each with its own authentication method and TLS, and Metadata and FindCoordinator answer
each client with the brokers' advertised addresses on the listener its request came in on (a
broker without that listener is left out), on one broker and across a three-node cluster."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import ssl
import struct
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import confluent_kafka as ck
import pytest
import yaml
from confluent_kafka.admin import AdminClient, NewTopic
from kio.index import load_response_schema
from kio.schema.find_coordinator.v3.request import FindCoordinatorRequest
from kio.serial import entity_reader, entity_writer
from kio.static.primitive import i8, i32

from core.app import BrokerApp
from core.cluster.metadata import KafkaEndpoint
from core.config.node import Address, KafkaListenerConfig
from core.testing.certs import make_certs
from core.testing.cluster import BrokerCluster
from core.testing.cluster_node import ClusterNode
from core.testing.metadata import fetch_metadata
from core.testing.ports import reserve_ports
from tests.support.admin import loopback_node

HOST = "127.0.0.1"
ALIAS = "localhost"  # the other listeners' advertised host: resolves to 127.0.0.1 as well
TIMEOUT_S = 20.0
SASL_CLOSED = (ConnectionError, OSError)


def _entry(name: str, host: str, port: int, **extra: Any) -> dict[str, Any]:
    return {"name": name, "address": host, "port": port, **extra}


def _find_coordinator(port: int, group: str) -> tuple[int, str, int]:
    """(node id, host, port) of `group`'s coordinator as the broker at HOST:port answers
    FindCoordinator v3 (retried while __consumer_offsets has no leader)."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        response = _exchange(port, FindCoordinatorRequest(key=group, key_type=i8(0)))
        if response.error_code.value == 0:
            return int(response.node_id), str(response.host), int(response.port)
        if time.monotonic() > deadline:
            raise AssertionError(f"FindCoordinator on {port}: {response.error_code}")
        time.sleep(0.2)


def _exchange(port: int, request: Any) -> Any:
    header_cls = request.__header_schema__
    header = header_cls(
        request_api_key=request.__api_key__,
        request_api_version=request.__version__,
        correlation_id=i32(7),
        client_id="named-listeners-test",
    )
    buf = io.BytesIO()
    entity_writer(header_cls)(buf, header)
    entity_writer(type(request))(buf, request)
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(struct.pack(">i", len(buf.getvalue())) + buf.getvalue())
        size = struct.unpack(">i", _recv(sock, 4))[0]
        frame = _recv(sock, size)
    response_cls = load_response_schema(request.__api_key__, request.__version__)
    _, used = entity_reader(response_cls.__header_schema__)(frame, 0)
    return entity_reader(response_cls)(frame, used)[0]


def _recv(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


@pytest.fixture(scope="module")
def one_broker(tmp_path_factory):
    """One broker, four listeners: `plain` (advertised as bound), `alias` (advertised as
    localhost), `secure` (TLS, advertised as localhost) and `sasl` (SASL before anything)."""
    tmp = tmp_path_factory.mktemp("listeners")
    certs = make_certs(tmp / "certs")
    plain, alias, secure, sasl, admin, rpc = reserve_ports(6)
    doc = {
        "redpanda": {
            "node_id": 0,
            "data_directory": str(tmp / "node0"),
            "rpc_server": {"address": HOST, "port": rpc},
            "admin": [{"address": HOST, "port": admin}],
            "kafka_api": [
                _entry("plain", HOST, plain),
                _entry("alias", HOST, alias),
                _entry("secure", HOST, secure),
                _entry("sasl", HOST, sasl, authentication_method="sasl"),
            ],
            "advertised_kafka_api": [
                _entry("alias", ALIAS, alias),
                _entry("secure", ALIAS, secure),
            ],
            "kafka_api_tls": [
                {
                    "name": "secure",
                    "enabled": True,
                    "cert_file": str(certs.server_cert),
                    "key_file": str(certs.server_key),
                }
            ],
            "auto_create_topics_enabled": True,
        }
    }
    config = tmp / "node0.yaml"
    config.write_text(yaml.safe_dump(doc))
    node = ClusterNode(0, config, tmp / "node0").start()
    try:
        yield node, {"plain": plain, "alias": alias, "secure": secure, "sasl": sasl}, certs
    finally:
        node.stop()


def test_metadata_on_each_listener_gives_its_advertised_address(one_broker):
    node, ports, _ = one_broker
    assert node.kafka_port == ports["plain"]  # the ready line names the first listener
    assert fetch_metadata(ports["plain"], []).brokers == {0: (HOST, ports["plain"])}
    assert fetch_metadata(ports["alias"], []).brokers == {0: (ALIAS, ports["alias"])}
    assert _find_coordinator(ports["plain"], "g") == (0, HOST, ports["plain"])
    assert _find_coordinator(ports["alias"], "g") == (0, ALIAS, ports["alias"])


def test_each_listener_has_its_own_security(one_broker):
    _, ports, certs = one_broker
    with pytest.raises(SASL_CLOSED):  # Metadata before SASL: the connection is closed
        fetch_metadata(ports["sasl"], [])
    with pytest.raises(SASL_CLOSED):  # plaintext to the TLS listener
        fetch_metadata(ports["secure"], [])
    admin = AdminClient(
        {
            "bootstrap.servers": f"{HOST}:{ports['secure']}",
            "security.protocol": "SSL",
            "ssl.ca.location": str(certs.ca),
        }
    )
    brokers = admin.list_topics(timeout=10).brokers
    assert {b.id: (b.host, b.port) for b in brokers.values()} == {0: (ALIAS, ports["secure"])}
    context = ssl.create_default_context(cafile=str(certs.ca))
    with socket.create_connection((HOST, ports["secure"])) as raw:
        with context.wrap_socket(raw, server_hostname=ALIAS) as tls:
            assert tls.version() is not None


def test_a_client_on_the_alias_listener_produces_and_consumes_through_it(one_broker):
    _, ports, _ = one_broker
    bootstrap = f"{HOST}:{ports['alias']}"  # every later connection goes to localhost:<alias>
    producer = ck.Producer({"bootstrap.servers": bootstrap})
    for i in range(5):
        producer.produce("alias-topic", value=f"v{i}".encode())
    assert producer.flush(TIMEOUT_S) == 0
    consumer = ck.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "alias-group",
            "auto.offset.reset": "earliest",
        }
    )
    try:
        consumer.subscribe(["alias-topic"])
        values: list[bytes] = []
        deadline = time.monotonic() + TIMEOUT_S
        while len(values) < 5 and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                values.append(msg.value())
        assert values == [f"v{i}".encode() for i in range(5)]
        consumer.commit(asynchronous=False)  # through the coordinator at its alias address
    finally:
        consumer.close()


def _add_listeners(cluster: BrokerCluster, ports: list[int]) -> dict[int, dict[str, int]]:
    """Every node gets listeners `a` (as written, advertised 127.0.0.1) and `b` (advertised
    localhost); nodes 0 and 1 also `c` (advertised localhost). Returns node -> name -> port."""
    out = {}
    for node in cluster.nodes:
        i = node.node_id
        named = {"a": node.kafka_port, "b": ports[2 * i]}
        if i < 2:
            named["c"] = ports[2 * i + 1]
        doc = yaml.safe_load(Path(node.config_path).read_text())
        rp = doc["redpanda"]
        rp["kafka_api"] = [_entry(name, HOST, port) for name, port in named.items()]
        rp["advertised_kafka_api"] = [
            _entry(name, HOST if name == "a" else ALIAS, port) for name, port in named.items()
        ]
        node.config_path.write_text(yaml.safe_dump(doc, sort_keys=False))
        out[i] = named
    return out


def test_a_cluster_answers_with_every_nodes_address_on_the_requests_listener(tmp_path):
    cluster = BrokerCluster(3, tmp_path)
    listeners = _add_listeners(cluster, reserve_ports(6))
    with cluster:  # started: every node lists three brokers on listener a
        for named in listeners.values():
            on_a = fetch_metadata(named["a"], []).brokers
            assert on_a == {j: (HOST, listeners[j]["a"]) for j in range(3)}
            on_b = fetch_metadata(named["b"], []).brokers
            assert on_b == {j: (ALIAS, listeners[j]["b"]) for j in range(3)}
            if "c" in named:  # node 2 has no listener c: it is left out there
                on_c = fetch_metadata(named["c"], []).brokers
                assert on_c == {j: (ALIAS, listeners[j]["c"]) for j in range(2)}
        coordinator, host, port = _find_coordinator(listeners[2]["b"], "cluster-group")
        assert (host, port) == (ALIAS, listeners[coordinator]["b"])
        coordinator, host, port = _find_coordinator(listeners[0]["a"], "cluster-group")
        assert (host, port) == (HOST, listeners[coordinator]["a"])


async def test_ephemeral_listeners_are_advertised_and_registered_with_their_bound_ports(tmp_path):
    node = loopback_node(tmp_path / "data")
    node.kafka_extra_listeners = [
        KafkaListenerConfig("b", Address(HOST, 0), Address(ALIAS, 0)),
    ]
    app = BrokerApp(node)
    await app.start()
    try:
        first, second = (listener.port for listener in app.listener.listeners)
        assert app.kafka_port == first and 0 not in (first, second)
        member = app.controller.members.get(app.node_id)
        assert member is not None
        assert member.kafka_listeners == (
            KafkaEndpoint("", HOST, first),
            KafkaEndpoint("b", ALIAS, second),
        )
        on_b = await asyncio.to_thread(fetch_metadata, second, [])
        assert on_b.brokers == {app.node_id: (ALIAS, second)}
        on_first = await asyncio.to_thread(fetch_metadata, first, [])
        assert on_first.brokers == {app.node_id: (HOST, first)}
    finally:
        await app.stop()
    assert not app.listener.listeners  # both stopped


def test_a_listener_that_cannot_bind_stops_the_broker_naming_its_address(tmp_path):
    first, admin, rpc = reserve_ports(3)
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        busy = taken.getsockname()[1]
        doc = {
            "redpanda": {
                "data_directory": str(tmp_path / "data"),
                "rpc_server": {"address": HOST, "port": rpc},
                "admin": [{"address": HOST, "port": admin}],
                "kafka_api": [_entry("a", HOST, first), _entry("b", HOST, busy)],
            }
        }
        config = tmp_path / "node.yaml"
        config.write_text(yaml.safe_dump(doc))
        node = ClusterNode(0, config, tmp_path / "data")
        with pytest.raises(RuntimeError, match=f"kafka listener on {HOST}:{busy}"):
            node.start()


def _proxy_produce(port: int, topic: str, partitions: int) -> tuple[int, dict]:
    """POST one JSON record to each partition through the HTTP proxy: (status, body)."""
    records = [{"value": {"n": p}, "partition": p} for p in range(partitions)]
    request = urllib.request.Request(
        f"http://{HOST}:{port}/topics/{topic}",
        data=json.dumps({"records": records}).encode(),
        headers={"Content-Type": "application/vnd.kafka.json.v2+json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_in_process_clients_pointed_at_the_internal_listener_reach_every_leader(tmp_path):
    """As in containers: the first listener (`external`) advertises addresses the nodes cannot
    reach (host ports), `internal` their own. The HTTP proxy's Kafka client learns leaders from
    Metadata on the listener it bootstraps from: with pandaproxy_client.brokers naming the
    internal listener (node 0) it produces to partitions led anywhere; from the first listener
    (node 1, the default) a partition led elsewhere is unreachable."""
    cluster = BrokerCluster(3, tmp_path)
    ports, unreachable = reserve_ports(6), reserve_ports(3)
    proxy_ports = {}
    for node in cluster.nodes:
        i = node.node_id
        internal, proxy_ports[i] = ports[2 * i], ports[2 * i + 1]
        doc = yaml.safe_load(node.config_path.read_text())
        doc["redpanda"]["kafka_api"] = [
            _entry("external", HOST, node.kafka_port),
            _entry("internal", HOST, internal),
        ]
        doc["redpanda"]["advertised_kafka_api"] = [
            _entry("external", HOST, unreachable[i]),
            _entry("internal", HOST, internal),
        ]
        doc["pandaproxy"] = {"pandaproxy_api": [{"address": HOST, "port": proxy_ports[i]}]}
        if i == 0:
            doc["pandaproxy_client"] = {"brokers": [{"address": HOST, "port": internal}]}
        node.config_path.write_text(yaml.safe_dump(doc, sort_keys=False))
    with cluster:
        admin = AdminClient({"bootstrap.servers": f"{HOST}:{ports[0]}"})
        admin.create_topics([NewTopic("spread", 3, 1)])["spread"].result(TIMEOUT_S)
        leaders = {cluster.leader_of("spread", p) for p in range(3)}
        assert leaders - {1}, leaders  # some partition is led by a node other than 1
        status, body = _proxy_produce(proxy_ports[0], "spread", 3)
        assert status == 200, body
        assert [o["partition"] for o in body["offsets"]] == [0, 1, 2]
        status, body = _proxy_produce(proxy_ports[1], "spread", 3)
        assert status == 503, body  # a leader at its unreachable external address
