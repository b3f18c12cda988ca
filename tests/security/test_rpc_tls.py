"""TLS on broker RPC (`rpc_server_tls`, with `require_client_auth`): three broker processes form
a cluster whose Raft and controller traffic runs over mutually authenticated TLS (an RF 3 topic
takes writes acknowledged by every replica), a plaintext dialer gets no RPC answer, and a TLS
dialer without a client certificate is refused."""

from __future__ import annotations

import asyncio
import socket
import ssl
import uuid

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from core.config.node import TlsConfig
from core.rpc.client import ClientConfig, PeerClient
from core.rpc.errors import RpcUnavailable
from core.rpc.frame import Method
from core.rpc.hello import IdentityBook, NodeIdentity
from core.rpc.server import RpcServer
from core.security import tls
from core.testing.certs import make_certs, tls_set_arg
from core.testing.cluster import BrokerCluster


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("rpc-certs"))


def _config(certs) -> TlsConfig:
    return TlsConfig(str(certs.server_cert), str(certs.server_key), str(certs.ca), True)


@pytest.mark.cluster
def test_a_cluster_over_mutual_tls_rpc(tmp_path, certs):
    args = tls_set_arg(certs, require_client_auth=True, key="rpc_server_tls")
    with BrokerCluster(3, tmp_path, extra_args=args) as cluster:
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        admin.create_topics([NewTopic("rf3", 1, 3)])["rf3"].result(120)
        producer = ck.Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
        delivered: list = []
        for i in range(20):
            producer.produce("rf3", str(i).encode(), on_delivery=lambda e, m: delivered.append(e))
        producer.flush(120)
        assert delivered == [None] * 20
        rpc_port = cluster.nodes[0].rpc_port
        with socket.create_connection(("127.0.0.1", rpc_port), timeout=5) as raw:
            raw.sendall(b"\x00" * 64)  # not a TLS ClientHello: the handshake fails
            try:
                reply = raw.recv(64)
            except (ConnectionResetError, TimeoutError):
                reply = b""
        assert not reply or reply[0] == 0x15  # nothing, or a TLS alert record
        assert "Traceback" not in "".join(n.log_text() for n in cluster.nodes)


async def test_a_dialer_without_a_client_certificate_is_refused(certs):
    cfg = _config(certs)
    server = RpcServer(IdentityBook(NodeIdentity(1, uuid.uuid4(), uuid.uuid4())))
    server.register(Method.echo, _echo)
    port = await server.start("127.0.0.1", 0, tls.server_context(cfg))
    me = RpcServer(IdentityBook(NodeIdentity(2, uuid.uuid4(), server.book.local.cluster_id)))
    try:
        good = PeerClient(me, 1, "127.0.0.1", port, ClientConfig(tls=tls.client_context(cfg)))
        meta, _ = await good.call(Method.echo, b"hi", timeout_ms=5000)
        assert meta == b"hi"
        no_cert = ssl.create_default_context(cafile=str(certs.ca))
        no_cert.check_hostname = False
        bad = PeerClient(me, 1, "127.0.0.1", port, ClientConfig(tls=no_cert))
        with pytest.raises(RpcUnavailable):
            await bad.call(Method.echo, b"hi", timeout_ms=5000)
        await good.close()
        await bad.close()
    finally:
        await me.close()
        await server.close()


async def _echo(meta, blob):
    await asyncio.sleep(0)
    return meta, blob
