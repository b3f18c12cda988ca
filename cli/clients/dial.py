"""Connection failures worded as Go's net package words them (what rpk prints), not Python's.

`dial tcp 127.0.0.1:1: connect: connection refused` rather than `[Errno 111] Connection refused`.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterable

_CONNECT_ERRNO = {
    errno.ECONNREFUSED: "connect: connection refused",
    errno.EHOSTUNREACH: "connect: no route to host",
    errno.ENETUNREACH: "connect: network is unreachable",
    errno.ECONNRESET: "read: connection reset by peer",
    errno.ETIMEDOUT: "i/o timeout",
    errno.EADDRNOTAVAIL: "connect: cannot assign requested address",
}


def split_host_port(address: str, default_port: int) -> tuple[str, int]:
    address = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        return address.strip("[]"), default_port
    return host.strip("[]"), int(port)


def go_text(host: str, port: int, exc: BaseException) -> str:
    """Go's text for a failed dial of host:port."""
    cause = os_error(exc)
    if isinstance(cause, socket.gaierror):
        return f"dial tcp: lookup {host}: no such host"
    if isinstance(cause, (TimeoutError, socket.timeout)):
        return f"dial tcp {host}:{port}: i/o timeout"
    code = getattr(cause, "errno", None)
    detail = _CONNECT_ERRNO.get(code)
    if detail is None:
        reason = getattr(cause, "strerror", None) or str(cause) or "connection failed"
        detail = f"connect: {reason[:1].lower()}{reason[1:]}"
    return f"dial tcp {host}:{port}: {detail}"


def os_error(exc: BaseException) -> BaseException:
    """The OSError under a wrapped client exception (httpx, kafka-python), else `exc`."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, OSError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return exc


def first_dial_failure(addresses: Iterable[str], default_port: int, timeout_s: float) -> str | None:
    """Go's text for the first failure when no address accepts a connection, else None."""
    failures = []
    for address in addresses:
        host, port = split_host_port(address, default_port)
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                return None
        except OSError as exc:
            failures.append(go_text(host, port, exc))
    return failures[0] if failures else None
