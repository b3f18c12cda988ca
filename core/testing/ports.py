"""Free loopback TCP ports for test brokers, handed out below the kernel's ephemeral range.

A port bound to 0 and released comes from the ephemeral range, where any outgoing connection
of another test may take it as its source port before the broker listens on it, or while a
killed broker is down before its restart on the same port (CI saw "address already in use"
both ways). Below that range only another reservation can take it: each is checked by a bind,
and every process on the machine records what it handed out in one registry file (under an
flock), skipping ports another reservation handed out in the last HOLD_S seconds, so two test
processes never hand out the same port while its broker is still starting (CI saw a cluster
node's admin port taken so between its reservation and its bind)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import random
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HOST = "127.0.0.1"
_RESERVED_LOW = 20_000
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
HOLD_S = 120.0  # longer than a broker's start timeout: by then it is bound, or gave up
REGISTRY = Path(tempfile.gettempdir()) / "ailurus-reserved-ports.json"


def reserve_ports(count: int) -> list[int]:
    """`count` distinct free TCP ports on loopback, below the ephemeral range where it leaves
    room (each checked by a bind, held together, released on return), none handed out by any
    process in the last HOLD_S seconds."""
    try:
        low = int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 0
    rng = random.SystemRandom()
    socks: list[socket.socket] = []
    with _registry() as recent:
        try:
            for _ in range(count):
                socks.append(_bound(rng, low, recent))
                recent[socks[-1].getsockname()[1]] = time.time()
            return [s.getsockname()[1] for s in socks]
        finally:
            for s in socks:
                s.close()


@contextlib.contextmanager
def _registry() -> Iterator[dict[int, float]]:
    """The ports handed out in the last HOLD_S seconds, by port, under the registry's lock;
    what the block adds is written back (a registry that cannot be used is left out)."""
    try:
        lock = open(REGISTRY.with_suffix(".lock"), "a+")  # noqa: SIM115 - held for the block
    except OSError:
        yield {}
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            stored = json.loads(REGISTRY.read_text())
        except (OSError, ValueError):
            stored = {}
        now = time.time()
        recent = {
            int(port): float(at)
            for port, at in (stored.items() if isinstance(stored, dict) else ())
            if str(port).isdigit() and isinstance(at, int | float) and now - at < HOLD_S
        }
        yield recent
        with contextlib.suppress(OSError):
            tmp = REGISTRY.with_suffix(".tmp")
            tmp.write_text(json.dumps(recent))
            tmp.replace(REGISTRY)


def _bound(
    rng: random.Random, ephemeral_low: int, recent: dict[int, float], attempts: int = 50
) -> socket.socket:
    if ephemeral_low - _RESERVED_LOW >= 1_000:
        for _ in range(attempts):
            port = rng.randrange(_RESERVED_LOW, ephemeral_low)
            if port in recent:
                continue
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind((HOST, port))
                return s
            except OSError:
                s.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # no room: any free port
    s.bind((HOST, 0))
    return s
