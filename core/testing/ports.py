"""Free loopback TCP ports for test brokers, handed out below the kernel's ephemeral range.

A port bound to 0 and released comes from the ephemeral range, where any outgoing connection
of another test may take it as its source port before the broker listens on it, or while a
killed broker is down before its restart on the same port (CI saw "address already in use"
both ways). Below that range only another reservation can take it, and each is checked by a
bind."""

from __future__ import annotations

import random
import socket
from pathlib import Path

HOST = "127.0.0.1"
_RESERVED_LOW = 20_000
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def reserve_ports(count: int) -> list[int]:
    """`count` distinct free TCP ports on loopback, below the ephemeral range where it leaves
    room (each checked by a bind, held together, released on return)."""
    try:
        low = int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 0
    rng = random.SystemRandom()
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            socks.append(_bound(rng, low))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _bound(rng: random.Random, ephemeral_low: int, attempts: int = 50) -> socket.socket:
    if ephemeral_low - _RESERVED_LOW >= 1_000:
        for _ in range(attempts):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind((HOST, rng.randrange(_RESERVED_LOW, ephemeral_low)))
                return s
            except OSError:
                s.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # no room: any free port
    s.bind((HOST, 0))
    return s
