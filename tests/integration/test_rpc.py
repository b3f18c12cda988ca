"""Broker RPC (core.rpc) over real sockets on 127.0.0.1 with ephemeral ports."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time
import uuid

import pytest

from core.raft.types import AppendRequest, Entry
from core.rpc import raft_codec
from core.rpc.client import ClientConfig, PeerClient
from core.rpc.errors import (
    HandshakeRefused,
    RpcConnectionLost,
    RpcStatusError,
    RpcTimeout,
    RpcUnavailable,
)
from core.rpc.frame import FLAG_RESPONSE, HEADER, Method, Status, decode_header, encode_header
from core.rpc.heartbeat import GroupHeartbeatError, HeartbeatBatcher, HeartbeatHandler
from core.rpc.hello import IdentityBook, NodeIdentity
from core.rpc.server import RpcServer
from tests.support.tcp_proxy import TcpProxy

CLUSTER = uuid.uuid4()
SLEEP, FAIL, BLOCK, BIG = 101, 102, 103, 104


def identity(node_id: int, cluster: uuid.UUID = CLUSTER) -> NodeIdentity:
    return NodeIdentity(node_id, uuid.uuid4(), cluster)


def _endpoint(me: NodeIdentity) -> RpcServer:
    """A node's RPC side that dials but does not listen."""
    return RpcServer(IdentityBook(me))


class Node:
    """One node's RPC side: a server with test methods, and its peer clients."""

    def __init__(self, node_id: int, **server_kw) -> None:
        self.book = IdentityBook(identity(node_id))
        self.server = RpcServer(self.book, **server_kw)
        self.calls = 0
        self.running = 0
        self.max_running = 0
        self.gate = asyncio.Event()
        for method, handler in [
            (Method.echo, self.echo),
            (SLEEP, self.sleep),
            (FAIL, self.fail),
            (BLOCK, self.block),
        ]:
            self.server.register(method, handler)
        self.port = 0

    async def start(self, port: int = 0) -> Node:
        self.port = await self.server.start("127.0.0.1", port)
        return self

    def client(self, other: Node, **config) -> PeerClient:
        return PeerClient(
            other.server, self.book.local.node_id, "127.0.0.1", self.port, ClientConfig(**config)
        )

    async def echo(self, meta, blob):
        self.calls += 1
        return meta, blob

    async def sleep(self, meta, blob):
        await asyncio.sleep(int(meta) / 1000)
        return meta, b""

    async def fail(self, meta, blob):
        raise RuntimeError("secret internal detail")

    async def block(self, meta, blob):
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            await self.gate.wait()
        finally:
            self.running -= 1
        return meta, b""


@pytest.fixture
async def pair():
    a, b = Node(1), Node(2)
    await a.start()
    client = a.client(b)
    yield a, b, client
    await client.close()
    await a.server.close()


async def test_round_trip_small_and_large(pair) -> None:
    a, _, client = pair
    assert await client.call(Method.echo, b"meta", b"blob", timeout_ms=2_000) == (b"meta", b"blob")
    big = bytes(range(256)) * 8192  # 2 MiB: read straight into its own buffer
    meta, blob = await client.call(Method.echo, b"m", [big[:1000], big[1000:]], timeout_ms=5_000)
    assert meta == b"m" and bytes(blob) == big
    assert await client.call(Method.echo, timeout_ms=2_000) == (b"", b"")
    assert client.peer == a.book.local


async def test_many_concurrent_requests_share_one_connection(pair) -> None:
    a, _, client = pair
    replies = await asyncio.gather(
        *[client.call(Method.echo, b"%d" % i, b"x" * i, timeout_ms=5_000) for i in range(2_000)]
    )
    assert [r[0] for r in replies] == [b"%d" % i for i in range(2_000)]
    assert [len(r[1]) for r in replies] == list(range(2_000))
    assert len(a.server.connections) == 1 and client.connect_attempts == 1


async def test_responses_out_of_order_reach_their_callers(pair) -> None:
    _, _, client = pair
    done: list[int] = []

    async def one(delay_ms: int) -> None:
        meta, _ = await client.call(SLEEP, b"%d" % delay_ms, timeout_ms=5_000)
        assert int(meta) == delay_ms
        done.append(delay_ms)

    await asyncio.gather(*[one(d) for d in (300, 200, 100, 0)])
    assert done == [0, 100, 200, 300]


async def test_client_timeout_then_the_late_response_is_dropped(pair) -> None:
    _, _, client = pair
    t0 = time.monotonic()
    with pytest.raises(RpcTimeout) as err:
        await client.call(SLEEP, b"300", timeout_ms=100)
    assert err.value.retriable and 0.09 < time.monotonic() - t0 < 0.5
    await asyncio.sleep(0.3)
    assert client._conn.late_responses == 1 and not client._conn.pending
    assert await client.call(Method.echo, b"ok", timeout_ms=2_000) == (b"ok", b"")


async def test_server_status_codes_never_carry_a_traceback(caplog) -> None:
    a, b = await Node(1, handler_timeout_ms=100).start(), Node(2)
    client = a.client(b)
    try:
        with pytest.raises(RpcStatusError) as err:
            await client.call(999, timeout_ms=2_000)
        assert err.value.status == Status.unknown_method and not err.value.retriable
        with caplog.at_level(logging.WARNING, "ailurus.rpc"):
            with pytest.raises(RpcStatusError) as err:
                await client.call(FAIL, timeout_ms=2_000)
        assert err.value.status == Status.handler_error
        assert "secret" not in str(err.value) and "Traceback" not in str(err.value)
        assert "RuntimeError: secret internal detail" in caplog.text  # the reason stays here
        with pytest.raises(RpcStatusError) as err:
            await client.call(SLEEP, b"1000", timeout_ms=2_000)
        assert err.value.status == Status.timeout and err.value.retriable
        assert await client.call(Method.echo, b"still", timeout_ms=2_000) == (b"still", b"")
    finally:
        await client.close()
        await a.server.close()


def _raw_hello(port: int, hello: bytes, version: int = 1) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.sendall(encode_header(Method.hello, 1, len(hello), 0, version=version) + hello)
    return s


def _read_frame(s: socket.socket) -> tuple:
    raw = b""
    while len(raw) < HEADER.size:
        chunk = s.recv(HEADER.size - len(raw))
        if not chunk:
            return None, b""
        raw += chunk
    h = decode_header(raw, 0, 1 << 20)
    body = b""
    while len(body) < h.body_len:
        body += s.recv(h.body_len - len(body))
    return h, body


async def test_version_mismatch_is_answered_with_our_version(pair) -> None:
    a, b, _ = pair
    s = await asyncio.to_thread(_raw_hello, a.port, b.book.local.encode(), 2)
    h, _ = await asyncio.to_thread(_read_frame, s)
    assert h.status == Status.version_mismatch and h.version == 1 and h.flags & FLAG_RESPONSE
    s.close()


async def test_garbage_closes_only_that_connection(pair, caplog) -> None:
    a, b, client = pair
    await client.call(Method.echo, timeout_ms=2_000)
    with caplog.at_level(logging.WARNING, "ailurus.rpc"):
        for garbage in [b"GET / HTTP/1.1\r\n\r\n" + b"x" * 20, None]:
            if garbage is None:  # a valid hello, then a frame whose checksum is wrong
                s = await asyncio.to_thread(_raw_hello, a.port, identity(3).encode())
                h, _ = await asyncio.to_thread(_read_frame, s)
                assert h.status == Status.ok
                bad = bytearray(encode_header(Method.echo, 2, 0, 0))
                bad[8] ^= 1
                s.sendall(bad)
            else:
                s = socket.create_connection(("127.0.0.1", a.port), timeout=2)
                s.sendall(garbage)
            h, _ = await asyncio.to_thread(_read_frame, s)
            assert h is None  # closed by the server
            s.close()
    lines = [r for r in caplog.records if "malformed" in r.getMessage()]
    assert len(lines) == 2, caplog.text
    assert await client.call(Method.echo, b"alive", timeout_ms=2_000) == (b"alive", b"")
    assert client.connect_attempts == 1


async def test_a_request_before_hello_closes_the_connection(pair) -> None:
    a, _, _ = pair
    s = socket.create_connection(("127.0.0.1", a.port), timeout=2)
    s.sendall(encode_header(Method.echo, 1, 0, 0))
    h, _ = await asyncio.to_thread(_read_frame, s)
    assert h is None
    s.close()


async def test_in_flight_bound_makes_callers_wait_for_a_slot(pair) -> None:
    a, b, _ = pair
    client = a.client(b, max_in_flight=4)
    try:
        calls = [asyncio.ensure_future(client.call(BLOCK, timeout_ms=5_000)) for _ in range(10)]
        await asyncio.sleep(0.2)
        assert a.running == 4 and client.in_flight == 4
        a.gate.set()
        await asyncio.gather(*calls)
        assert a.max_running == 4
        a.gate.clear()
        with pytest.raises(RpcTimeout):  # a slot never freed within the timeout
            blockers = [
                asyncio.ensure_future(client.call(BLOCK, timeout_ms=5_000)) for _ in range(4)
            ]
            await asyncio.sleep(0.1)
            await client.call(Method.echo, timeout_ms=100)
        a.gate.set()
        await asyncio.gather(*blockers)
    finally:
        await client.close()


async def test_server_killed_and_restarted(pair) -> None:
    a, b, _ = pair
    client = a.client(b, backoff_min_ms=40, backoff_max_ms=400)
    try:
        await client.call(Method.echo, timeout_ms=2_000)
        in_flight = asyncio.ensure_future(client.call(SLEEP, b"5000", timeout_ms=10_000))
        await asyncio.sleep(0.1)
        port = a.port
        await a.server.close()
        with pytest.raises(RpcConnectionLost) as err:
            await in_flight
        assert err.value.retriable
        failures = 0
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:  # callers fail fast, attempts back off
            with pytest.raises(RpcUnavailable) as err:
                await client.call(Method.echo, timeout_ms=1_000)
            assert err.value.retriable
            failures += 1
            await asyncio.sleep(0.005)
        assert failures > 20 and 3 <= client.connect_attempts <= 10, client.connect_attempts
        restarted = Node(1)
        restarted.book = a.book  # the same node (same UUID) comes back on the same port
        restarted.server.book = a.book
        await restarted.start(port)
        try:
            deadline = time.monotonic() + 3
            while True:
                try:
                    assert await client.call(Method.echo, b"x", timeout_ms=1_000) == (b"x", b"")
                    break
                except RpcUnavailable:
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.02)
            assert client.connect_failures == 0
        finally:
            await restarted.server.close()
    finally:
        await client.close()


async def test_changed_uuid_and_foreign_cluster_are_refused(pair) -> None:
    a, b, client = pair
    await client.call(Method.echo, timeout_ms=2_000)  # a now knows node 2's UUID
    wiped = NodeIdentity(2, uuid.uuid4(), CLUSTER)
    impostor = PeerClient(_endpoint(wiped), 1, "127.0.0.1", a.port)
    foreign = PeerClient(_endpoint(identity(5, uuid.uuid4())), 1, "127.0.0.1", a.port)
    wrong_id = PeerClient(_endpoint(identity(6)), 4, "127.0.0.1", a.port)  # 1 answers
    try:
        with pytest.raises(HandshakeRefused, match="node 2 is"):
            await impostor.call(Method.echo, timeout_ms=2_000)
        with pytest.raises(HandshakeRefused, match="cluster id"):
            await foreign.call(Method.echo, timeout_ms=2_000)
        with pytest.raises(HandshakeRefused, match="dialed node 4"):
            await wrong_id.call(Method.echo, timeout_ms=2_000)
        with pytest.raises(RpcUnavailable):  # then backoff applies to the refused client too
            await impostor.call(Method.echo, timeout_ms=2_000)
        for _ in range(100):  # the aborted ones are gone once the server sees the close
            if len(a.server.connections) == 1:
                break
            await asyncio.sleep(0.01)
        assert len(a.server.connections) == 1  # only the legitimate client's
    finally:
        for c in (impostor, foreign, wrong_id):
            await c.close()


async def test_heartbeats_batched_per_peer_and_routed_back() -> None:
    peers = [Node(2), Node(3)]
    seen: dict[int, list[int]] = {2: [], 3: []}
    batches = {2: 0, 3: 0}
    clients = _endpoint(identity(1)).peers
    for p in peers:
        node_id = p.book.local.node_id

        def handle(src, group_id, payload, node_id=node_id):
            assert src == 1
            seen[node_id].append(group_id)
            return None if group_id == 999 else payload + b"@%d" % node_id

        handler = HeartbeatHandler(handle)

        async def counting(meta, blob, node_id=node_id, handler=handler):
            batches[node_id] += 1
            return await handler(meta, blob)

        p.server.register(Method.heartbeat_batch, counting)
        await p.start()
        clients.set_peer(node_id, "127.0.0.1", p.port)

    async def send(node_id: int, meta: bytes) -> bytes:
        reply, _ = await clients.get(node_id).call(Method.heartbeat_batch, meta, timeout_ms=2_000)
        return reply

    batcher = HeartbeatBatcher(1, send, tick_ms=20)
    try:
        for tick in range(3):
            futs = {(n, g): batcher.submit(n, g, b"g%d" % g) for n in (2, 3) for g in range(500)}
            assert batcher.flush() == 2
            for (n, g), fut in futs.items():
                assert await fut == b"g%d@%d" % (g, n)
            assert batches == {2: tick + 1, 3: tick + 1}
        assert sorted(seen[2]) == sorted(list(range(500)) * 3)
        missing = batcher.submit(2, 999, b"")
        batcher.start()  # the timer flushes by itself
        with pytest.raises(GroupHeartbeatError, match="no such group"):
            await asyncio.wait_for(missing, 2)
        await peers[1].server.close()
        down = batcher.submit(3, 1, b"")
        with pytest.raises((RpcUnavailable, RpcTimeout)):
            await asyncio.wait_for(down, 2)
    finally:
        await batcher.close()
        await clients.close()
        for p in peers:
            await p.server.close()


async def test_raft_append_travels_with_its_batch_bytes_as_blob(pair) -> None:
    a, b, client = pair
    received = []

    async def raft_message(meta, blob):
        received.append(raft_codec.decode(meta, blob))
        return b"", b""

    a.server.register(Method.raft_message, raft_message)
    batches = [b"\x01" * 70_000, b"\x02" * 61]
    m = AppendRequest(
        2, 1, 4, (10, 3), (Entry(4, 10, 20, batches[0]), Entry(4, 21, 21, batches[1])), 9, 9, 1
    )
    meta, blob = raft_codec.encode(7, m)
    await client.call(Method.raft_message, meta, blob, timeout_ms=2_000)
    assert received == [(7, m)]


async def test_cut_links_through_the_tcp_proxy(pair) -> None:
    a, b, _ = pair
    with TcpProxy("127.0.0.1", a.port) as proxy:
        client = PeerClient(
            b.server, 1, "127.0.0.1", proxy.port, ClientConfig(backoff_min_ms=20, backoff_max_ms=50)
        )
        try:
            assert await client.call(Method.echo, b"1", timeout_ms=2_000) == (b"1", b"")
            proxy.blackhole()
            with pytest.raises(RpcTimeout):
                await client.call(Method.echo, b"2", timeout_ms=200)
            proxy.close_links()
            await asyncio.sleep(0.05)
            with pytest.raises(RpcUnavailable):
                await client.call(Method.echo, b"3", timeout_ms=500)
            proxy.forward()
            deadline = time.monotonic() + 2
            while True:
                try:
                    assert await client.call(Method.echo, b"4", timeout_ms=500) == (b"4", b"")
                    break
                except RpcUnavailable:
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.02)
        finally:
            await client.close()


def test_header_struct_is_stable() -> None:
    assert HEADER.size == 24 and struct.calcsize("<HBBHBBIIII") == 24


async def test_server_runs_at_most_its_in_flight_bound_per_connection() -> None:
    a, b = await Node(1, max_in_flight=3).start(), Node(2)
    client = a.client(b, max_in_flight=20)
    try:
        calls = [asyncio.ensure_future(client.call(BLOCK, timeout_ms=5_000)) for _ in range(20)]
        await _eventually(lambda: a.running == 3, timeout_s=10.0)  # connect + handshake first
        await asyncio.sleep(0.2)
        assert a.running == 3 and client.in_flight == 20  # the rest wait in the server's buffer
        a.gate.set()
        await asyncio.gather(*calls)
        assert a.max_running == 3
    finally:
        await client.close()
        await a.server.close()


async def test_an_answer_over_the_frame_bound_is_a_handler_error() -> None:
    a, b = Node(1, max_frame_bytes=64 * 1024), Node(2)

    async def big(meta, blob):
        return b"", bytes(int(meta))

    a.server.register(BIG, big)
    await a.start()
    client = a.client(b)
    try:
        assert len((await client.call(BIG, b"60000", timeout_ms=2_000))[1]) == 60_000
        with pytest.raises(RpcStatusError) as err:
            await client.call(BIG, b"70000", timeout_ms=2_000)
        assert err.value.status == Status.handler_error
        assert await client.call(Method.echo, b"ok", timeout_ms=2_000) == (b"ok", b"")
    finally:
        await client.close()
        await a.server.close()


async def _eventually(cond, timeout_s: float = 2.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)


async def test_one_connection_per_node_pair_carries_calls_both_ways() -> None:
    a, b = await Node(1).start(), await Node(2).start()
    try:
        b.server.peers.set_peer(1, "127.0.0.1", a.port)
        a.server.peers.set_peer(2, "127.0.0.1", b.port)
        assert await b.server.peers.get(1).call(Method.echo, b"b->a", timeout_ms=2_000)
        to_b = a.server.peers.get(2)
        assert await to_b.call(Method.echo, b"a->b", b"x", timeout_ms=2_000) == (b"a->b", b"x")
        assert to_b.connect_attempts == 0  # a used the connection b dialed
        assert len(a.server.connections) == 1 and len(b.server.connections) == 0
        assert (a.calls, b.calls) == (1, 1)
    finally:
        await a.server.close()
        await b.server.close()


@pytest.mark.parametrize("attempt", range(3))
async def test_simultaneous_dials_converge_on_the_lower_ids_connection(attempt: int) -> None:
    a, b = await Node(1).start(), await Node(2).start()
    try:
        a.server.peers.set_peer(2, "127.0.0.1", b.port)
        b.server.peers.set_peer(1, "127.0.0.1", a.port)
        to_b, to_a = a.server.peers.get(2), b.server.peers.get(1)
        await asyncio.gather(
            *[to_b.call(Method.echo, b"%d" % i, timeout_ms=2_000) for i in range(20)],
            *[to_a.call(Method.echo, b"%d" % i, timeout_ms=2_000) for i in range(20)],
        )
        assert to_b.connect_attempts == 1 and to_a.connect_attempts == 1  # both dialed
        await _eventually(lambda: len(a.server.connections) + len(b.server.connections) == 1)
        ca, cb = to_b.connection, to_a.connection
        assert ca.dialer_id == cb.dialer_id == 1
        assert ca.transport.get_extra_info("sockname") == cb.transport.get_extra_info("peername")
        assert await to_a.call(Method.echo, b"after", timeout_ms=2_000) == (b"after", b"")
        assert await to_b.call(Method.echo, b"after", timeout_ms=2_000) == (b"after", b"")
    finally:
        await a.server.close()
        await b.server.close()
