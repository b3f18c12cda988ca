"""Produce straight into the partitions this broker leads: one uncompressed v2 record batch
per partition per request (producer id -1, CRC32C), handed to the partition facade
(ctx.services.partitions) as the Kafka Produce handler does, then acks=all awaited. No
loopback socket, no Produce request encode/decode, no client-side accumulator. Partitions led
elsewhere still go through the aiokafka producers (core.proxy.kafka).

The direct path skips the Kafka listener's authentication and authorization, so it is taken
only when the aiokafka path would have been allowed too: with SASL on, only when
pandaproxy_client has credentials; with authorization on, only when that principal may WRITE
the topic (the ACL check the Produce handler makes, from the client's address). Otherwise the
partition goes through the aiokafka producers, and the answer is the listener's own (40301
for a denied topic, 50302 when the client cannot authenticate)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from core.cluster.errors import ClusterErrc, ClusterError, error_message
from core.common import metrics
from core.model.batch import BatchError
from core.proxy.batch import record_batch
from core.proxy.errors import (
    INVALID_DATA,
    KAFKA_ERROR,
    KAFKA_RETRIABLE,
    UNAUTHORIZED,
    ProxyError,
)
from core.proxy.formats import Records
from core.proxy.produce import failed, ok_offsets
from core.security.sasl import ANONYMOUS

ACKS_ALL = -1
BATCH_OVERHEAD_BYTES = 61 + 64  # the v2 header, and slack for a chunk's last record's framing
RECORD_OVERHEAD_BYTES = 24  # length, attributes, deltas, key/value lengths, header count


LOOPBACK = "127.0.0.1"


def client_host(bootstrap: str) -> str:
    """The address the aiokafka clients connect from to `bootstrap`'s first broker when it is
    this one: the address itself (loopback for a wildcard or localhost)."""
    host = bootstrap.split(",")[0].rpartition(":")[0].strip("[]")
    return LOOPBACK if host in ("", "0.0.0.0", "::", "localhost") else host


class LocalAppender:
    def __init__(
        self,
        services: Any,
        ack_timeout_ms: int,
        principal: str = ANONYMOUS,
        host: str = LOOPBACK,
    ) -> None:
        self._services = services
        self._ack_timeout_s = ack_timeout_ms / 1000
        self._principal = principal
        self._host = host

    def leader(
        self, topic: str, partition: int, operation: str = "WRITE", principal: str | None = None
    ) -> Any | None:
        """The local partition when this broker leads it and the Kafka path would have let
        `principal` (default: the proxy's own client) do `operation` (WRITE, READ) on the
        topic; None sends it over Kafka."""
        if self._services is None:
            return None
        found = self._services.partitions.get(topic, partition)
        if found is None or not found.is_leader:
            return None
        return found if self._may(operation, topic, principal or self._principal) else None

    def _may(self, operation: str, topic: str, principal: str) -> bool:
        services = self._services
        if principal == ANONYMOUS and services.cluster_config.get("enable_sasl"):
            return False  # the listener would not let the client in
        authorizer = services.authorizer
        if authorizer is None:
            return True
        return authorizer.authorize(principal, self._host, operation, "TOPIC", topic)

    def check_topic(self, topic: str) -> None:
        """Topics in `kafka_noproduce_topics` refuse produce, as the Kafka handler does."""
        refused = self._services.cluster_config.get("kafka_noproduce_topics") or ()
        if topic in refused:
            raise ProxyError(UNAUTHORIZED, f"produce to topic {topic} is not allowed")

    async def append(
        self, part: Any, records: Records, members: Sequence[int], out: list[str]
    ) -> None:
        """Append the records at `members` (in order) and set out[i] to each one's offset or
        error. The appends happen before the first await, so one request's batches keep
        their order."""
        waits = []
        for chunk in _chunks(records, members, part.max_message_bytes):
            keys, values = records.keys, records.values
            if isinstance(chunk, range) and len(chunk) == len(values):
                batch = record_batch(list(zip(keys, values)))
            else:
                batch = record_batch([(keys[i], values[i]) for i in chunk])
            try:
                result = part.produce(batch, ACKS_ALL)
            except (ClusterError, BatchError) as exc:
                failed(out, chunk, _error(exc))
                continue
            metrics.add_bytes_produced(part.topic, len(batch))
            waits.append((result, chunk))
        for result, chunk in waits:
            if result.acked is not None:
                try:
                    async with asyncio.timeout(self._ack_timeout_s):
                        await asyncio.shield(result.acked)
                except TimeoutError:
                    failed(out, chunk, ProxyError(KAFKA_RETRIABLE, "timed out waiting for acks"))
                    continue
                except Exception as exc:  # replication failed (e.g. leadership lost)
                    failed(out, chunk, _error(exc))
                    continue
            ok_offsets(out, chunk, part.index, result.base_offset)


def _size(data: bytes | None) -> int:
    return 0 if data is None else len(data)


def _chunks(records: Records, members: Sequence[int], max_bytes: int) -> list[Sequence[int]]:
    """`members` split so that each chunk's batch stays within max.message.bytes (whole when
    it fits, without looking at records one by one)."""
    keys, values = records.keys, records.values
    if isinstance(members, range) and len(members) == len(values):
        total = sum(map(_size, keys)) + sum(map(_size, values))
        if BATCH_OVERHEAD_BYTES + RECORD_OVERHEAD_BYTES * len(values) + total <= max_bytes:
            return [members]
    chunks: list[list[int]] = [[]]
    size = BATCH_OVERHEAD_BYTES
    for i in members:
        n = RECORD_OVERHEAD_BYTES + _size(keys[i]) + _size(values[i])
        if chunks[-1] and size + n > max_bytes:
            chunks.append([])
            size = BATCH_OVERHEAD_BYTES
        chunks[-1].append(i)
        size += n
    return [c for c in chunks if c]


def _error(exc: BaseException) -> ProxyError:
    if isinstance(exc, ClusterError) and exc.errc == ClusterErrc.message_too_large:
        return ProxyError(INVALID_DATA, error_message(exc))
    if isinstance(exc, BatchError):
        return ProxyError(INVALID_DATA, str(exc))
    return ProxyError(KAFKA_ERROR, error_message(exc) or type(exc).__name__)
