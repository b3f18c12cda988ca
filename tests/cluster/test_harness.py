"""The cluster harness itself: the link proxies, the node files BrokerCluster writes, and a
cluster of one driven through every operation (these run without the multi-node cluster)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import yaml

from core.model.records import Record, build_batch
from tests.cluster.replicas import batches, committed_prefix, first_difference
from tests.support.cluster import (
    BrokerCluster,
    ClusterError,
    LinkProxies,
    create_topic,
    fetch_metadata,
    running_cluster,
)
from tests.support.wait import wait_for


@pytest.fixture
def echo_port():
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(4096):
                conn.sendall(data)

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    server.close()


def roundtrip(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    try:
        return sock.recv(4096)
    except TimeoutError:
        return b"<silence>"


def test_a_link_forwards_goes_silent_when_cut_and_resets_at_mend(echo_port) -> None:
    links = LinkProxies().start()
    try:
        port = links.add("127.0.0.1", echo_port)
        before = socket.create_connection(("127.0.0.1", port), timeout=0.5)
        assert roundtrip(before, b"a") == b"a"
        links.cut(port)
        assert roundtrip(before, b"b") == b"<silence>"
        during = socket.create_connection(("127.0.0.1", port), timeout=0.5)  # accepted, held
        assert roundtrip(during, b"c") == b"<silence>"
        links.mend(port)
        for stale in (before, during):  # both lived through the cut: reset, never resumed
            try:
                assert stale.recv(16) == b""
            except ConnectionResetError:
                pass
        after = socket.create_connection(("127.0.0.1", port), timeout=0.5)
        assert roundtrip(after, b"d") == b"d"
        # a, a back, d, d back (counted once written: poll); b and c dropped
        wait_for(lambda: links.stats(port) == (4, 2), "the link's byte counts", timeout_s=2)
    finally:
        links.stop()


def test_each_node_file_names_every_seed_through_its_own_links(tmp_path) -> None:
    cluster = BrokerCluster(
        3, tmp_path, rpc_proxies=True, properties={"raft_election_timeout_ms": 900}
    )
    try:
        rpc = [node.rpc_port for node in cluster.nodes]
        assert len(set(rpc + [n.kafka_port for n in cluster.nodes])) == 6
        for node in cluster.nodes:
            doc = yaml.safe_load(node.config_path.read_text())["redpanda"]
            assert doc["node_id"] == node.node_id
            assert doc["rpc_server"] == {"address": "127.0.0.1", "port": node.rpc_port}
            assert doc["raft_election_timeout_ms"] == 900
            seeds = [s["host"]["port"] for s in doc["seed_servers"]]
            assert seeds[node.node_id] == node.rpc_port  # itself: a founder
            for j, port in enumerate(seeds):
                if j != node.node_id:
                    assert port == cluster.link_ports[(node.node_id, j)] not in rpc
        assert len(set(cluster.link_ports.values())) == 6  # one proxy per directed link
    finally:
        cluster.stop()


def test_a_cluster_of_one_through_every_operation(tmp_path) -> None:
    with running_cluster(tmp_path / "cluster", 1) as cluster:
        (node,) = cluster.nodes
        assert cluster.bootstrap == f"127.0.0.1:{node.kafka_port}"
        create_topic(cluster, "t", 2, 1)
        assert cluster.leader_of("t", 1) == 0
        assert cluster.partition_dirs("t", 1)[0].name.startswith("1_")
        cluster.pause(0)
        with pytest.raises(OSError):
            fetch_metadata(node.kafka_port, [], timeout_s=0.5)
        assert cluster.running() == []
        cluster.resume(0)
        assert fetch_metadata(node.kafka_port, ["t"]).partition("t", 0).leader == 0
        cluster.kill(0)
        assert not node.alive
        cluster.start_node(0)
        cluster.wait_formed()
        started = time.monotonic()
        cluster.restart(0)
        assert time.monotonic() - started < 20
        assert cluster.leader_of("t", 0) == 0


def test_a_node_that_cannot_start_fails_with_its_log(tmp_path) -> None:
    cluster = BrokerCluster(1, tmp_path, properties={"node_id": "not-a-number"})
    try:
        with pytest.raises(ClusterError, match=r"(?s)node 0 failed to start.*--- node 0 \(down\)"):
            cluster.start(timeout_s=20)
    finally:
        cluster.stop()


def write_segment(directory, base: int, term: int, batches: list[bytes], tail: bytes = b"") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{base}-{term}-v1.log").write_bytes(b"".join(batches) + tail)


def test_replica_bytes_are_compared_batch_by_batch_up_to_the_high_watermark(tmp_path) -> None:
    def batch(base: int, n: int, term: int, tag: str) -> bytes:
        records = [Record(key=None, value=f"{tag}{base + i}".encode()) for i in range(n)]
        return bytes(build_batch(records, base_offset=base, leader_epoch=term, timestamp_ms=1))

    common = [batch(0, 3, 1, "v"), batch(3, 2, 1, "v")]
    # node a rolled a segment at the term change, node b did not: same batches, other files
    write_segment(tmp_path / "a", 0, 1, common)
    write_segment(tmp_path / "a", 5, 2, [batch(5, 1, 2, "v")], tail=b"\0" * 64)
    write_segment(tmp_path / "b", 0, 1, [*common, batch(5, 1, 2, "v"), batch(6, 4, 2, "x")])
    write_segment(tmp_path / "c", 0, 1, [common[0], batch(3, 2, 2, "w")])

    assert [(b, last) for b, last, _ in batches(tmp_path / "a")] == [(0, 2), (3, 4), (5, 5)]
    a, next_a = committed_prefix(tmp_path / "a", 6)
    b, next_b = committed_prefix(tmp_path / "b", 6)  # b's uncommitted tail (6..9) is left out
    assert (a, next_a) == (b, next_b) and next_a == 6
    c, next_c = committed_prefix(tmp_path / "c", 5)
    assert next_c == 5 and c != committed_prefix(tmp_path / "a", 5)[0]
    diff = first_difference(tmp_path / "a", tmp_path / "c", 5)
    assert diff.startswith("batch 3-4") and "leader epochs 00000001 vs 00000002" in diff
