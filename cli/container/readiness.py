"""Readiness as rpk container judges it: a Metadata request from the host, seeded with every
node's host Kafka address, lists at least N brokers. One raw Metadata v1 request per try (no
topics), so a try costs a round trip, not a client's start-up."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable

METADATA_KEY = 3
METADATA_VERSION = 1
CLIENT_ID = b"rpk"
DIAL_TIMEOUT_S = 1.0
MAX_RESPONSE_BYTES = 1 << 20


class NotReady(Exception):
    pass


def metadata_brokers(
    address: str, timeout_s: float = DIAL_TIMEOUT_S
) -> tuple[list[tuple[int, str, int]], int]:
    """(node_id, host, port) of every broker in the Metadata answer of `address`, and the
    controller id it names (-1: none)."""
    host, _, port = address.rpartition(":")
    # header v1: api key, version, correlation id, client id; body: topics = [] (none)
    body = struct.pack(">hhih", METADATA_KEY, METADATA_VERSION, 1, len(CLIENT_ID)) + CLIENT_ID
    body += struct.pack(">i", 0)
    with socket.create_connection((host, int(port)), timeout=timeout_s) as sock:
        sock.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", _read(sock, 4))[0]
        if not 0 < size <= MAX_RESPONSE_BYTES:
            raise NotReady(f"bad Metadata response size {size} from {address}")
        data = _read(sock, size)
    pos = 4  # correlation id
    (count,) = struct.unpack_from(">i", data, pos)
    pos += 4
    brokers = []
    for _ in range(max(count, 0)):
        node_id, host_len = struct.unpack_from(">ih", data, pos)
        pos += 6
        broker_host = data[pos : pos + host_len].decode()
        pos += host_len
        (broker_port, rack_len) = struct.unpack_from(">ih", data, pos)
        pos += 6 + max(rack_len, 0)
        brokers.append((node_id, broker_host, broker_port))
    (controller,) = struct.unpack_from(">i", data, pos)
    return brokers, controller


def http_answers(address: str, timeout_s: float = DIAL_TIMEOUT_S) -> bool:
    """True once something speaks HTTP at `address` (any status). A TCP connect is not enough:
    Docker's port proxy accepts connections before the container listens."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s) as sock:
            sock.sendall(b"GET / HTTP/1.0\r\nHost: " + host.encode() + b"\r\n\r\n")
            return sock.recv(5) == b"HTTP/"
    except OSError:
        return False


def _read(sock: socket.socket, n: int) -> bytes:
    chunks = []
    while n:
        chunk = sock.recv(n)
        if not chunk:
            raise NotReady("connection closed by the broker")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def wait_ready(
    addresses: list[str],
    nodes: int,
    retries: int,
    delay_s: float = 1.0,
    poll_s: float = 0.1,
    sleep: Callable[[float], None] = time.sleep,
    gone: Callable[[], str | None] = lambda: None,
    http: tuple[str, ...] = (),
) -> None:
    """Return once every address answers Metadata with >= `nodes` brokers and a controller
    (rpk asks any one node for the brokers only: a node that answers before it knows the
    controller, or a node not yet listening, would fail the user's first command). rpk retries
    `retries` times a second apart; the same time budget is polled every `poll_s` here, so a
    cluster ready in 1.2 s is seen then, not at 2 s. Raises NotReady with the last error, or
    at once when `gone()` (asked every `delay_s`) names a node that stopped. The `http`
    addresses (the HTTP proxy and Schema Registry, which a broker starts after its Kafka
    listener) must answer too: a broker still starting them is busy, and slow to the user's
    first command on a loaded machine."""
    deadline = time.monotonic() + max(retries, 1) * delay_s
    next_check = time.monotonic() + delay_s
    pending = [*addresses, *http]
    last = "no answer yet"
    while True:
        for address in [a for a in pending if a not in http]:
            try:
                brokers, controller = metadata_brokers(address)
            except (OSError, struct.error, UnicodeDecodeError, NotReady) as exc:
                last = f"{address}: {exc or type(exc).__name__}"
                continue
            if len(brokers) < nodes:
                last = f"{address} lists {len(brokers)} of {nodes} brokers"
            elif controller < 0:
                last = f"{address} knows no controller yet"
            else:
                pending.remove(address)
        for address in [a for a in pending if a in http]:
            if http_answers(address):
                pending.remove(address)
            else:
                last = f"{address} does not answer HTTP yet"
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise NotReady(last)
        if time.monotonic() >= next_check:
            next_check += delay_s
            reason = gone()
            if reason:
                raise NotReady(reason)
        sleep(poll_s)
