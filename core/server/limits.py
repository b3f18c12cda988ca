"""Admission of new Kafka connections: count limits, per-IP limits and the connection rate.

Every value is read from the cluster config when a connection is accepted, so a change through
the Admin API applies to the next connection without a restart (connections already open are
kept, as in Redpanda).

- `kafka_connections_max`: open connections on this broker.
- `kafka_connections_max_per_ip`: open connections from one client IP;
  `kafka_connections_max_overrides` ("IP:N" strings) replaces it for the IPs it names (an
  override applies even when the general per-IP limit is null).
- `kafka_connection_rate_limit`: new connections per second, applied *per client IP* as
  Redpanda does (each IP has its own token bucket holding at most one second's worth, so a
  burst of N is allowed, then N per second); `kafka_connection_rate_limit_overrides` ("IP:N")
  replaces the rate for the IPs it names. Redpanda delays an over-rate connection until a
  token frees up; here it is refused at once like the other limits (the client retries
  with its reconnect backoff), which holds no socket open for a flood.

A refused connection is closed right after accept. Refusals are counted in
`vectorized_kafka_rpc_connections_rejected` (count limits) and
`vectorized_kafka_rpc_connections_rejected_rate_limit` (Redpanda's names) and logged without
flooding the log: the first refusal of a quiet period gets its own line, the rest are summed
up in one line per `REFUSAL_LOG_INTERVAL_S`.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from core.common import metrics
from core.common.light_metrics import Counter

log = logging.getLogger("ailurus.kafka")

REFUSAL_LOG_INTERVAL_S = 10.0
MAX_RATE_BUCKETS = 65_536  # client IPs whose connection rate is tracked at once

_rejected = Counter(
    "vectorized_kafka_rpc_connections_rejected",
    "Kafka connections refused for the open connection limits",
    registry=metrics.REGISTRY,
)
_rejected_rate = Counter(
    "vectorized_kafka_rpc_connections_rejected_rate_limit",
    "Kafka connections refused for the connection rate limit",
    registry=metrics.REGISTRY,
)

CONNECTIONS_MAX = "kafka_connections_max"
PER_IP = "kafka_connections_max_per_ip"
RATE = "kafka_connection_rate_limit"


@lru_cache(maxsize=16)
def parse_overrides(entries: tuple[str, ...]) -> dict[str, int]:
    """{"IP": N} from "IP:N" strings (IPv6 as "::1:5" or "[::1]:5"); bad entries are logged once."""
    parsed: dict[str, int] = {}
    for entry in entries:
        host, _, count = str(entry).rpartition(":")
        try:
            ip = str(ipaddress.ip_address(host.strip().strip("[]")))
            limit = int(count)
            if limit < 0:
                raise ValueError(count)
        except ValueError:
            log.warning("ignoring connection limit override %r: expected 'IP:N'", entry)
            continue
        parsed[ip] = limit
    return parsed


def client_ip(peername: object) -> str:
    """The client IP of a socket's peername, canonical (an IPv4-mapped IPv6 address as IPv4),
    so that it matches the "IP:N" overrides."""
    host = peername[0] if isinstance(peername, tuple) and peername else peername
    try:
        addr = ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:
        return str(host)
    mapped = getattr(addr, "ipv4_mapped", None)
    return str(mapped or addr)


def _override(get: Callable[[str], Any], name: str, ip: str) -> int | None:
    entries = get(name)
    if not entries:
        return None
    return parse_overrides(tuple(entries)).get(ip)


class _Bucket:
    __slots__ = ("tokens", "at")

    def __init__(self, tokens: float, at: float) -> None:
        self.tokens = tokens
        self.at = at

    def take(self, rate: int, now: float) -> bool:
        self.tokens = min(float(rate), self.tokens + (now - self.at) * rate)
        self.at = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class RefusalLog:
    """One line for the first refusal of a quiet period, then one summary line per interval."""

    def __init__(self, interval_s: float = REFUSAL_LOG_INTERVAL_S) -> None:
        self._interval_s = interval_s
        self._window_start: float | None = None
        self._counts: dict[str, int] = {}
        self._last_ip = ""

    def refused(self, ip: str, reason: str, now: float) -> None:
        if self._window_start is None:
            self._window_start = now
            log.warning("refused Kafka connection from %s: %s", ip, reason)
            return
        key = reason.split(" (", 1)[0]  # the limit's name, without the numbers
        self._counts[key] = self._counts.get(key, 0) + 1
        self._last_ip = ip

    def flush(self, now: float) -> None:
        """Call periodically: writes the summary once the interval is over."""
        if self._window_start is None or now - self._window_start < self._interval_s:
            return
        if self._counts:
            total = sum(self._counts.values())
            detail = ", ".join(f"{n} {key}" for key, n in sorted(self._counts.items()))
            log.warning(
                "refused %d more Kafka connections in the last %.0f s (%s; last from %s)",
                total,
                now - self._window_start,
                detail,
                self._last_ip,
            )
            self._window_start = now  # still refusing: the next refusal is summed up too
        else:
            self._window_start = None  # quiet: the next refusal gets its own line
        self._counts = {}


class ConnectionLimits:
    """Open connection counts and rate buckets; `admit` on accept, `release` on close."""

    def __init__(self, get: Callable[[str], Any]) -> None:
        self._get = get
        self.open_total = 0
        self._open_by_ip: dict[str, int] = {}
        self._buckets: dict[str, _Bucket] = {}
        self.refusals = RefusalLog()

    def open_from(self, ip: str) -> int:
        return self._open_by_ip.get(ip, 0)

    def admit(self, ip: str, now: float | None = None) -> bool:
        """True (and counted open) if a new connection from `ip` may stay."""
        now = time.monotonic() if now is None else now
        reason = self._count_refusal(ip)
        if reason is not None:
            _rejected.inc()
        else:
            reason = self._rate_refusal(ip, now)
            if reason is not None:
                _rejected_rate.inc()
        if reason is not None:
            self.refusals.refused(ip, reason, now)
            return False
        self.open_total += 1
        self._open_by_ip[ip] = self._open_by_ip.get(ip, 0) + 1
        return True

    def release(self, ip: str) -> None:
        self.open_total -= 1
        left = self._open_by_ip.get(ip, 0) - 1
        if left > 0:
            self._open_by_ip[ip] = left
        else:
            self._open_by_ip.pop(ip, None)

    def _count_refusal(self, ip: str) -> str | None:
        total = self._get(CONNECTIONS_MAX)
        if total is not None and self.open_total >= total:
            return f"{CONNECTIONS_MAX} ({self.open_total} of {total} open)"
        per_ip = _override(self._get, "kafka_connections_max_overrides", ip)
        if per_ip is None:
            per_ip = self._get(PER_IP)
        if per_ip is not None and self.open_from(ip) >= per_ip:
            return f"{PER_IP} ({self.open_from(ip)} of {per_ip} open from this IP)"
        return None

    def _rate_refusal(self, ip: str, now: float) -> str | None:
        rate = _override(self._get, "kafka_connection_rate_limit_overrides", ip)
        if rate is None:
            rate = self._get(RATE)
        if rate is None:
            return None
        bucket = self._buckets.get(ip)
        if bucket is None:
            if len(self._buckets) >= MAX_RATE_BUCKETS:
                self.prune(now)
            if len(self._buckets) >= MAX_RATE_BUCKETS:
                return f"{RATE} (too many client IPs tracked)"
            bucket = self._buckets[ip] = _Bucket(float(rate), now)
        if bucket.take(rate, now):
            return None
        return f"{RATE} ({rate} new connections per second from this IP)"

    def prune(self, now: float) -> None:
        """Forget buckets untouched for a second: refilled, they hold nothing a new one would not."""
        full = [ip for ip, b in self._buckets.items() if now - b.at >= 1.0]
        for ip in full:
            del self._buckets[ip]

    def tick(self, now: float) -> None:
        self.refusals.flush(now)
        self.prune(now)
