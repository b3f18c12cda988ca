"""tests/support/tcp_proxy.py: forward, delay, blackhole and close, against a real echo
server on 127.0.0.1 (the cluster tests cut links with it)."""

from __future__ import annotations

import socket
import socketserver
import threading
import time

import pytest

from tests.support.tcp_proxy import TcpProxy


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture(scope="module")
def echo_port():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(echo_port):
    with TcpProxy("127.0.0.1", echo_port) as p:
        yield p


def _connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.settimeout(2)
    return s


def _echo(s: socket.socket, data: bytes) -> bytes:
    s.sendall(data)
    out = b""
    while len(out) < len(data):
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    return out


def test_forward_and_delay(proxy) -> None:
    s = _connect(proxy.port)
    assert _echo(s, b"x" * 200_000) == b"x" * 200_000
    proxy.delay(200)
    t0 = time.monotonic()
    assert _echo(s, b"hello") == b"hello"
    assert time.monotonic() - t0 >= 0.39  # delayed both ways
    proxy.forward()
    t0 = time.monotonic()
    assert _echo(s, b"again") == b"again"
    assert time.monotonic() - t0 < 0.2


def test_blackhole_drops_bytes_but_keeps_the_connection(proxy) -> None:
    s = _connect(proxy.port)
    proxy.blackhole()
    s.sendall(b"lost")
    s.settimeout(0.2)
    with pytest.raises(TimeoutError):
        s.recv(10)
    assert proxy.open_connections == 1
    proxy.forward()
    s.settimeout(2)
    assert _echo(s, b"back") == b"back"
    assert proxy.bytes_dropped == 4


def test_close_resets_links_and_refuses_new_ones_until_forward(proxy) -> None:
    s = _connect(proxy.port)
    assert _echo(s, b"a") == b"a"
    proxy.close_links()
    with pytest.raises((ConnectionError, OSError)):
        s.sendall(b"b")
        if not s.recv(10):
            raise ConnectionResetError
    s2 = _connect(proxy.port)
    with pytest.raises((ConnectionError, OSError)):
        s2.sendall(b"c")
        if not s2.recv(10):
            raise ConnectionResetError
    proxy.forward()
    assert _echo(_connect(proxy.port), b"d") == b"d"


def test_connections_are_bounded(echo_port) -> None:
    with TcpProxy("127.0.0.1", echo_port, max_connections=2) as p:
        kept = [_connect(p.port) for _ in range(2)]
        for s in kept:
            assert _echo(s, b"k") == b"k"
        extra = _connect(p.port)
        extra.sendall(b"z")
        with pytest.raises((ConnectionError, OSError)):
            if not extra.recv(10):
                raise ConnectionResetError
