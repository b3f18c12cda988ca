"""Raw sockets and admin calls for tests of the Kafka listener's limits (connections, budget)."""

from __future__ import annotations

import socket
import struct
import time

import httpx
import psutil

# ApiVersions v0: the smallest request every broker answers; any response proves service.
API_VERSIONS_V0 = struct.pack(">ihhih", 10, 18, 0, 1, -1)


def connect_from(port: int, source_ip: str = "127.0.0.1", timeout_s: float = 5.0) -> socket.socket:
    """A TCP connection to the broker from `source_ip` (any 127.x.y.z works on Linux loopback)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout_s)
    sock.bind((source_ip, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def answers(sock: socket.socket, timeout_s: float = 5.0) -> bool:
    """True if the broker answers an ApiVersions request on `sock` (False: closed)."""
    sock.settimeout(timeout_s)
    try:
        sock.sendall(API_VERSIONS_V0)
        head = _recv_exact(sock, 4)
        return head is not None and _recv_exact(sock, struct.unpack(">i", head)[0]) is not None
    except OSError:
        return False


def closed_by_peer(sock: socket.socket, timeout_s: float = 5.0) -> bool:
    """True once the broker has closed `sock` (EOF or reset) within `timeout_s`."""
    sock.settimeout(timeout_s)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def set_cluster_config(admin_url: str, remove: tuple[str, ...] = (), **upsert) -> None:
    r = httpx.put(
        f"{admin_url}/v1/cluster_config",
        json={"upsert": upsert, "remove": list(remove)},
        timeout=10,
    )
    assert r.status_code == 200, r.text


def metric(admin_url: str, name: str) -> float:
    """A sample's value from /metrics (0 when absent)."""
    text = httpx.get(f"{admin_url}/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def rss_bytes(pid: int) -> int:
    return psutil.Process(pid).memory_info().rss


def wait_until(predicate, timeout_s: float, interval_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return predicate()
