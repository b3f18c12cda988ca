"""Produce and fetch byte-rate quotas, enforced per client as Kafka does (KIP-13, KIP-219), and
the controller mutation rate, as Redpanda enforces it (KIP-599).

The quotas themselves live in the controller (core.cluster.quotas.QuotaStore: per client id,
per client-id prefix, and a default). Each budget is a token bucket refilled at the quota's
rate and holding at most one second of it (`BURST_S`), so a client may burst briefly and
averages the quota. A request that overdraws its bucket is still served, answered with
`throttle_time_ms` = the time the debt takes to repay (at most `max_kafka_throttle_delay_ms`),
and its connection is muted for that long: no further request is read from it (Kafka's
channel mute). Clients older than KIP-219 (Produce < v6, Fetch < v8) also get the response
only after the throttle time, as Kafka delays it for them.

- Every request also draws from this node's budget when `kafka_throughput_limit_node_in_bps`
  (Produce) or `_out_bps` (Fetch) is set: shared by all clients, read live.
- Produce counts the request's size.
- Fetch counts the response's size. A Fetch arriving while its budget is still in debt is
  answered at once with no records and the remaining throttle time, and counts nothing (Kafka's
  throttled, "unrecorded" fetch response).

- `controller_mutation_rate` (partitions per second) is drawn by CreateTopics (each topic's
  partition count) and CreatePartitions (the partitions added), topic by topic, as Redpanda
  does: a topic whose budget is already in debt is not created, answered
  THROTTLING_QUOTA_EXCEEDED (CreateTopics v6+, CreatePartitions v3+; UNKNOWN_SERVER_ERROR for
  older clients) "Too many partition mutations requested", and the response carries the
  largest throttle time; its partitions are still counted (Redpanda records before it
  decides). Validate-only requests count nothing. DeleteTopics is not limited (Redpanda does
  not limit it).

Buckets are kept for at most `MAX_BUCKETS` budgets (least recently used ones are dropped: a
dropped budget starts full again).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from core.protocol.fetch_wire import FileRegion, encode_fetch_response
from core.server.responses import NO_RESPONSE, RawResponse

PRODUCE_KEY, FETCH_KEY = 0, 1
PRODUCER_BYTE_RATE, CONSUMER_BYTE_RATE = "producer_byte_rate", "consumer_byte_rate"
CONTROLLER_MUTATION_RATE = "controller_mutation_rate"
MUTATIONS_REFUSED = "Too many partition mutations requested"
CLIENT_THROTTLES = {PRODUCE_KEY: 6, FETCH_KEY: 8}  # first version the client throttles itself
BURST_S = 1.0
MAX_BUCKETS = 10_000
MAX_THROTTLE_PROPERTY = "max_kafka_throttle_delay_ms"
NODE_LIMITS = {
    PRODUCER_BYTE_RATE: "kafka_throughput_limit_node_in_bps",
    CONSUMER_BYTE_RATE: "kafka_throughput_limit_node_out_bps",
}
_THROTTLE_AT = slice(8, 12)  # a Fetch response frame: size, correlation id, throttle_time_ms


class QuotaLookup(Protocol):
    """The replicated quota table (core.cluster.quotas.QuotaStore)."""

    @property
    def empty(self) -> bool: ...

    def limit(self, client_id: str | None, key: str) -> tuple[str, float] | None: ...


class Muteable(Protocol):
    """A connection that stops reading until `muted_until` (time.monotonic seconds)."""

    muted_until: float


@dataclasses.dataclass(slots=True)
class Bucket:
    rate: float
    tokens: float
    stamp: float

    def refill(self, rate: float, now: float) -> None:
        self.rate = rate
        self.tokens = min(rate * BURST_S, self.tokens + (now - self.stamp) * rate)
        self.stamp = now

    def debt_ms(self) -> int:
        return 0 if self.tokens >= 0 else int(-self.tokens * 1000 / self.rate) + 1


class ClientQuotas:
    """The quota table (`store`, for Describe/AlterClientQuotas) and its enforcement."""

    def __init__(
        self,
        store: Any,
        config_get: Callable[[str], Any],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._config_get = config_get
        self._clock = clock
        self._buckets: OrderedDict[tuple[str, str], Bucket] = OrderedDict()
        self.throttled_requests = 0

    def _limits(self, key: str, client_id: str | None) -> list[tuple[tuple[str, str], float]]:
        """The budgets a request draws from: its client's quota, and this node's throughput
        limit (kafka_throughput_limit_node_in_bps / _out_bps) shared by every client."""
        out = []
        if not self.store.empty:
            found = self.store.limit(client_id, key)
            if found is not None:
                out.append(((key, found[0]), found[1]))
        node = self._config_get(NODE_LIMITS[key]) if key in NODE_LIMITS else None
        if node:
            out.append(((key, "node"), float(node)))
        return out

    def applies(self, key: str, client_id: str | None) -> bool:
        return bool(self._limits(key, client_id))

    def _buckets_for(self, key: str, client_id: str | None) -> list[Bucket]:
        now = self._clock()
        buckets = []
        for name, rate in self._limits(key, client_id):
            bucket = self._buckets.get(name)
            if bucket is None:
                bucket = self._buckets[name] = Bucket(rate, rate * BURST_S, now)
                if len(self._buckets) > MAX_BUCKETS:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(name)
                bucket.refill(rate, now)
            buckets.append(bucket)
        return buckets

    def _cap(self, ms: int) -> int:
        return max(0, min(ms, int(self._config_get(MAX_THROTTLE_PROPERTY))))

    def debt_ms(self, key: str, client_id: str | None) -> int:
        """The throttle time the request's budgets owe now (0: none), recording nothing."""
        return self._cap(max((b.debt_ms() for b in self._buckets_for(key, client_id)), default=0))

    def record(self, key: str, client_id: str | None, nbytes: int) -> int:
        """Take `nbytes` from the request's budgets; the throttle time they now owe."""
        buckets = self._buckets_for(key, client_id)
        for bucket in buckets:
            bucket.tokens -= nbytes
        return self._cap(max((b.debt_ms() for b in buckets), default=0))

    def record_mutations(self, client_id: str | None, mutations: int) -> int:
        """Redpanda's record_partition_mutations: the throttle time the client's
        controller_mutation_rate budget owes before these mutations (0: they may go ahead),
        then the mutations taken from it, whether they go ahead or not, as Redpanda does."""
        if self.store.empty:
            return 0
        buckets = self._buckets_for(CONTROLLER_MUTATION_RATE, client_id)
        owed = self._cap(max((b.debt_ms() for b in buckets), default=0))
        for bucket in buckets:
            bucket.tokens -= mutations
        return owed


def mutations_owed_ms(ctx: Any, mutations: int) -> int:
    """For one topic of a CreateTopics or CreatePartitions: the throttle time its client's
    controller_mutation_rate owes (0: create it), its mutations recorded."""
    quotas: ClientQuotas | None = getattr(ctx.services, "client_quotas", None)
    return 0 if quotas is None else quotas.record_mutations(ctx.client_id, mutations)


def bound(ctx: Any) -> bool:
    """Whether a Produce or Fetch is under a byte-rate quota: its connection then reads its
    next request only once this one is answered (Kafka handles one request per connection at
    a time, so a throttle mutes what a pipelining client sends next)."""
    quotas: ClientQuotas | None = getattr(ctx.services, "client_quotas", None)
    if quotas is None or ctx.api_key not in CLIENT_THROTTLES:
        return False
    key = PRODUCER_BYTE_RATE if ctx.api_key == PRODUCE_KEY else CONSUMER_BYTE_RATE
    return quotas.applies(key, ctx.client_id)


async def throttle(ctx: Any, response: Any, request_bytes: int, conn: Muteable) -> Any:
    """Account a Produce or Fetch against its client's quota; return the response carrying
    the throttle time, mute `conn` for it, and delay it for clients that do not throttle
    themselves. Other requests pass through."""
    quotas: ClientQuotas | None = getattr(ctx.services, "client_quotas", None)
    if quotas is None or ctx.api_key not in CLIENT_THROTTLES:
        return response
    if ctx.api_key == PRODUCE_KEY:
        ms = quotas.record(PRODUCER_BYTE_RATE, ctx.client_id, request_bytes)
        if ms and response is not NO_RESPONSE and hasattr(response, "throttle_time"):
            response = dataclasses.replace(
                response, throttle_time=datetime.timedelta(milliseconds=ms)
            )
    elif isinstance(response, RawResponse):
        response, ms = _fetch(quotas, ctx, response)
    else:
        return response
    if ms <= 0:
        return response
    quotas.throttled_requests += 1
    conn.muted_until = max(conn.muted_until, time.monotonic() + ms / 1000)
    if ctx.api_version < CLIENT_THROTTLES[ctx.api_key]:
        await asyncio.sleep(ms / 1000)
    return response


def _fetch(quotas: ClientQuotas, ctx: Any, response: RawResponse) -> tuple[RawResponse, int]:
    owed = quotas.debt_ms(CONSUMER_BYTE_RATE, ctx.client_id)
    if owed > 0:  # still in debt: no records, nothing counted
        response.release()
        parts, _ = encode_fetch_response(
            ctx.api_version, ctx.correlation_id, [], throttle_time_ms=owed
        )
        return RawResponse(parts), owed
    size = sum(p.length if isinstance(p, FileRegion) else len(p) for p in response.parts)
    ms = quotas.record(CONSUMER_BYTE_RATE, ctx.client_id, size)
    if ms > 0 and response.parts and isinstance(response.parts[0], bytes):
        head = bytearray(response.parts[0])
        head[_THROTTLE_AT] = ms.to_bytes(4, "big", signed=True)
        response.parts[0] = bytes(head)
    return response, ms


async def wait_unmuted(conn: Muteable) -> None:
    """Kafka's channel mute: return once the connection's throttle time has passed."""
    delay = conn.muted_until - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)
