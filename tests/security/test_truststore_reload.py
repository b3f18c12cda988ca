"""A rotated truststore that drops a CA stops trusting it, on every TLS listener, without a
restart: one broker serves Kafka, the Admin API, the HTTP proxy, the Schema Registry and broker
RPC with `require_client_auth`, all trusting the file `trust.pem` (the old CA). After that file
is replaced by one holding only a new CA, a client whose certificate the old CA signed is refused
on new connections and one the new CA signed is accepted, on each listener, while connections
made before keep working. The broker's own RPC dials (the client side) follow the same file: a
peer whose certificate the old CA signed is refused once its CA is dropped."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import struct
import time
import uuid
from pathlib import Path

import pytest

from core.config.node import TlsConfig
from core.rpc.client import ClientConfig, PeerClient
from core.rpc.frame import Method
from core.rpc.hello import IdentityBook, NodeIdentity
from core.rpc.server import RpcServer
from core.security import tls
from core.testing.certs import CertFiles, make_certs
from core.testing.ports import reserve_ports
from tests.support.broker import BrokerProcess

LISTENERS = ("kafka", "admin", "pandaproxy", "schema_registry", "rpc")
API_VERSIONS = struct.pack(">hhih", 18, 0, 7, -1)  # ApiVersions v0, correlation id 7, null client
WAIT_S = 15.0


def _replace(src: Path, dst: Path) -> None:
    tmp = dst.with_suffix(".new")
    shutil.copyfile(src, tmp)
    tmp.replace(dst)  # renamed into place, as cert-manager and certbot do


def _entry(server: CertFiles, trust: Path) -> str:
    return (
        f"{{enabled: true, cert_file: '{server.server_cert}', key_file: '{server.server_key}', "
        f"truststore_file: '{trust}', require_client_auth: true}}"
    )


def _client_context(client: CertFiles) -> ssl.SSLContext:
    """Presents `client`'s certificate; TLS 1.2 so a refused certificate fails the handshake
    itself (with 1.3 the server's verdict arrives after the client's handshake ends)."""
    context = ssl.create_default_context(cafile=str(client.ca))
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the servers' certificate is not under test here
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(client.client_cert, client.client_key)
    return context


def _connect(port: int, client: CertFiles) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        return _client_context(client).wrap_socket(raw)
    except BaseException:
        raw.close()
        raise


def _accepted(port: int, client: CertFiles) -> bool:
    try:
        _connect(port, client).close()
    except (ssl.SSLError, ConnectionError):
        return False
    return True


def _still_serves(name: str, held: ssl.SSLSocket) -> None:
    """The connection made before the rotation still answers (broker RPC: still open)."""
    if name == "kafka":
        held.sendall(struct.pack(">i", len(API_VERSIONS)) + API_VERSIONS)
        size = struct.unpack(">i", held.recv(4))[0]
        assert size > 0 and struct.unpack(">i", held.recv(4))[0] == 7
    elif name == "rpc":
        held.setblocking(False)
        with pytest.raises(ssl.SSLWantReadError):  # no EOF, no alert: nothing to read yet
            held.recv(1)
    else:
        held.sendall(b"GET /status/ready HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert held.recv(64).startswith(b"HTTP/1.1 ")
    held.close()


@pytest.fixture(scope="module")
def rotation(tmp_path_factory):
    base = tmp_path_factory.mktemp("ca-rotation")
    old, new = make_certs(base / "old"), make_certs(base / "new")
    trust = base / "trust.pem"
    shutil.copyfile(old.ca, trust)
    entry = _entry(old, trust)
    rpc_port = reserve_ports(1)[0]
    http = "[{address: 127.0.0.1, port: 0}]"
    args = [
        *["--set", f"redpanda.kafka_api_tls={entry}"],
        *["--set", f"redpanda.admin_api_tls={entry}"],
        *["--set", f"redpanda.rpc_server_tls={entry}"],
        *["--set", f"pandaproxy.pandaproxy_api={http}"],
        *["--set", f"pandaproxy.pandaproxy_api_tls=[{entry}]"],
        *["--set", f"schema_registry.schema_registry_api={http}"],
        *["--set", f"schema_registry.schema_registry_api_tls=[{entry}]"],
        *["--rpc-addr", f"127.0.0.1:{rpc_port}"],
    ]
    broker = BrokerProcess(base / "broker", *args).start()
    try:
        ports = {
            "kafka": broker.kafka_port,
            "admin": broker.admin_port,
            "pandaproxy": int(broker.listener_url("pandaproxy").rsplit(":", 1)[1]),
            "schema_registry": int(broker.listener_url("schema_registry").rsplit(":", 1)[1]),
            "rpc": rpc_port,
        }
        yield broker, ports, old, new, trust
    finally:
        broker.stop()
    assert "Traceback" not in broker.log_text(), broker.log_text()[-3000:]


def test_a_dropped_ca_is_refused_on_every_listener(rotation):
    broker, ports, old, new, trust = rotation
    for name in LISTENERS:
        assert _accepted(ports[name], old), name
        assert not _accepted(ports[name], new), name
    held = {name: _connect(ports[name], old) for name in LISTENERS}
    _replace(new.ca, trust)
    deadline = time.monotonic() + WAIT_S
    pending = set(LISTENERS)
    while pending:
        assert time.monotonic() < deadline, f"still trusting the old CA: {sorted(pending)}"
        pending = {n for n in pending if _accepted(ports[n], old)}
        time.sleep(0.2)
    for name in LISTENERS:
        assert not _accepted(ports[name], old), name
        assert _accepted(ports[name], new), name
        _still_serves(name, held[name])


async def test_rpc_dials_follow_the_truststore(tmp_path):
    """The client side: this broker's RPC dials verify peers against the current truststore."""
    old, new = make_certs(tmp_path / "old"), make_certs(tmp_path / "new")
    trust = tmp_path / "trust.pem"
    shutil.copyfile(old.ca, trust)
    book = IdentityBook(NodeIdentity(2, uuid.uuid4(), uuid.uuid4()))
    me = RpcServer(book)
    dial = tls.client_context(
        TlsConfig(str(old.client_cert), str(old.client_key), str(trust), False)
    )
    servers: list[RpcServer] = []
    clients: list[PeerClient] = []
    try:
        ports = {}
        peer_identity = NodeIdentity(1, uuid.uuid4(), book.local.cluster_id)
        for name, certs in (("old", old), ("new", new)):  # one node 1, serving either certificate
            server = RpcServer(IdentityBook(peer_identity))
            server.register(Method.echo, _echo)
            cfg = TlsConfig(str(certs.server_cert), str(certs.server_key), None, False)
            ports[name] = await server.start("127.0.0.1", 0, tls.server_context(cfg))
            servers.append(server)

        held = PeerClient(me, 1, "127.0.0.1", ports["old"], ClientConfig(tls=dial))
        clients.append(held)
        assert (await held.call(Method.echo, b"a", timeout_ms=5000))[0] == b"a"
        assert not await _dials(ports["new"], dial)
        _replace(new.ca, trust)
        deadline = time.monotonic() + WAIT_S
        while await _dials(ports["old"], dial):
            assert time.monotonic() < deadline, "the RPC dialer still trusts the dropped CA"
            await asyncio.sleep(0.2)
        assert await _dials(ports["new"], dial)
        assert (await held.call(Method.echo, b"d", timeout_ms=5000))[0] == b"d"
    finally:
        for c in clients:
            await c.close()
        await me.close()
        for s in servers:
            await s.close()


async def _dials(port: int, context: ssl.SSLContext) -> bool:
    """Whether a TLS connection with `context` to the port completes its handshake."""
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
    except (ssl.SSLError, ConnectionError):
        return False
    writer.close()
    return True


async def _echo(meta, blob):
    await asyncio.sleep(0)
    return meta, blob
