"""Produce straight into the partitions this broker leads: one uncompressed v2 record batch
per partition per event-loop turn, coalesced across requests (core.proxy.coalesce; producer
id -1, CRC32C), handed to the partition facade
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

from core.proxy.coalesce import Coalescer
from core.proxy.errors import UNAUTHORIZED, ProxyError
from core.proxy.formats import Records
from core.security.sasl import ANONYMOUS

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
        self._coalescer = Coalescer(ack_timeout_ms)
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

    def append(
        self, part: Any, records: Records, members: Sequence[int], out: list[str]
    ) -> asyncio.Future:
        """Queue the records at `members` (in order) for `part`, coalesced with what other
        requests append to it in this event-loop turn (core.proxy.coalesce); the future is
        done once out[i] holds each one's offset or error."""
        return self._coalescer.enqueue(part, records, members, out)
