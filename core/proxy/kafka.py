"""The proxy's Kafka clients: a pool of producers, one metadata client and one group-less
reader, shared by every request (and one such set per authenticated user with http_basic,
core.proxy.user_clients).

Partitions this broker leads skip these clients: produce goes into them directly
(core.proxy.local_produce) and reads come from their logs (core.proxy.local_read); these
clients serve the partitions led elsewhere and the metadata.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.protocol.metadata import MetadataRequest

from core.proxy.errors import (
    BAD_REQUEST,
    BROKER_NOT_AVAILABLE,
    PARTITION_NOT_FOUND,
    TOPIC_NOT_FOUND,
    ProxyError,
    from_kafka,
)
from core.security.client_auth import ClientAuth

log = logging.getLogger(__name__)
READER_LOCK_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class ClientSettings:
    bootstrap: str
    linger_ms: int = 2
    max_batch_bytes: int = 1024 * 1024
    request_timeout_ms: int = 30_000
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    producers: int = 4  # aiokafka keeps one Produce in flight per broker, so a pool
    auth: ClientAuth = ClientAuth()  # pandaproxy_client's SASL / TLS settings


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    partition: int
    leader: int
    replicas: list[int]
    isr: list[int]

    def as_json(self) -> dict[str, Any]:
        return {
            "partition": self.partition,
            "leader": self.leader,
            "replicas": [
                {"broker": b, "leader": b == self.leader, "in_sync": b in self.isr}
                for b in self.replicas
            ],
        }


class KafkaSide:
    """The clients connect at start when they can; otherwise (SCRAM users not created yet,
    wrong credentials, the listener down) the first request needing Kafka retries and answers
    a clear error while it fails."""

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self._build()
        self._next_producer = 0
        self._sticky = 0
        self._reader_lock = asyncio.Lock()
        self._start_lock = asyncio.Lock()
        self._started = False
        self._partitions_cache: dict[str, tuple[float, int]] = {}
        self._counting: dict[str, asyncio.Future[list[PartitionInfo]]] = {}

    def _build(self) -> None:
        settings = self.settings
        auth = settings.auth.kafka_kwargs()
        self.producers = [
            AIOKafkaProducer(
                bootstrap_servers=settings.bootstrap,
                client_id=f"ailurus-pandaproxy-{i}",
                acks="all",
                linger_ms=settings.linger_ms,
                max_batch_size=settings.max_batch_bytes,
                request_timeout_ms=settings.request_timeout_ms,
                **auth,
            )
            for i in range(max(1, settings.producers))
        ]
        self.admin = AIOKafkaAdminClient(
            bootstrap_servers=settings.bootstrap,
            client_id="ailurus-pandaproxy-admin",
            request_timeout_ms=settings.request_timeout_ms,
            **auth,
        )
        self.reader = AIOKafkaConsumer(
            bootstrap_servers=settings.bootstrap,
            client_id="ailurus-pandaproxy-reader",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="none",
            request_timeout_ms=settings.request_timeout_ms,
            **auth,
        )

    async def start(self) -> None:
        try:
            await self.ensure_started()
        except ProxyError as exc:  # retried by requests; the reason is in each answer
            log.warning("pandaproxy: %s", exc.message)

    async def ensure_started(self) -> None:
        if self._started:
            return
        async with self._start_lock:
            if self._started:
                return
            try:
                await self.admin.start()
                for producer in self.producers:
                    await producer.start()
                await self.reader.start()
            except Exception as exc:
                await self._close_all()
                self._build()  # aiokafka clients do not start again once closed
                raise ProxyError(BROKER_NOT_AVAILABLE, self.connect_error(exc)) from None
            self._started = True

    def connect_error(self, exc: BaseException) -> str:
        s = self.settings
        return (
            f"the proxy's Kafka client cannot connect to {s.bootstrap} {s.auth.describe()}: "
            f"{type(exc).__name__}: {exc} (pandaproxy_client: sasl_mechanism, scram_username, "
            "scram_password, broker_tls)"
        )

    async def stop(self) -> None:
        await self._close_all()

    async def _close_all(self) -> None:
        closers = [self.reader.stop, *(p.stop for p in self.producers), self.admin.close]
        for close in closers:
            try:
                await close()
            except Exception:  # closing: nothing to report to a client
                pass

    def producer(self) -> AIOKafkaProducer:
        """The next producer of the pool: one request's records all go through one, in order;
        concurrent requests spread over several in-flight Produce requests."""
        self._next_producer = (self._next_producer + 1) % len(self.producers)
        return self.producers[self._next_producer]

    def sticky_partition(self, count: int) -> int:
        self._sticky = (self._sticky + 1) % max(1, count)
        return self._sticky

    async def _metadata(self, topics: list[str] | None) -> dict[str, Any]:
        await self.ensure_started()
        request = MetadataRequest(topics, allow_auto_topic_creation=False)
        client = self.admin._client  # the admin client's connection pool
        try:
            response = await client.send(client.get_random_node(), request)
        except Exception as exc:
            raise from_kafka(exc) from None
        return response.to_object()

    async def brokers(self) -> list[int]:
        md = await self._metadata([])
        return sorted(b["node_id"] for b in md["brokers"])

    async def topics(self) -> list[str]:
        md = await self._metadata(None)
        return sorted(
            t["topic"] for t in md["topics"] if t["error_code"] == 0 and not t.get("is_internal")
        )

    async def partitions(self, topic: str) -> list[PartitionInfo]:
        """The topic's partitions; 40401 when it does not exist."""
        md = await self._metadata([topic])
        for t in md["topics"]:
            if t["topic"] == topic and t["error_code"] == 0:
                infos = [
                    PartitionInfo(p["partition"], p["leader"], list(p["replicas"]), list(p["isr"]))
                    for p in t["partitions"]
                ]
                self._partitions_cache[topic] = (time.monotonic(), len(infos))
                return sorted(infos, key=lambda i: i.partition)
        self._partitions_cache.pop(topic, None)
        raise ProxyError(TOPIC_NOT_FOUND, f"Topic {topic} not found.")

    async def partition_count(self, topic: str, max_age_s: float = 1.0) -> int:
        """The partition count, cached briefly for the produce path; 40401 when unknown. The
        requests that find it stale together share one metadata request."""
        cached = self._partitions_cache.get(topic)
        if cached is not None and time.monotonic() - cached[0] < max_age_s:
            return cached[1]
        asking = self._counting.get(topic)
        if asking is None:
            asking = self._counting[topic] = asyncio.ensure_future(self.partitions(topic))
            asking.add_done_callback(lambda _: self._counting.pop(topic, None))
        return len(await asyncio.shield(asking))

    async def check_partition(self, topic: str, partition: int) -> None:
        count = await self.partition_count(topic)
        if not 0 <= partition < count:
            raise ProxyError(PARTITION_NOT_FOUND, f"Partition {partition} of {topic} not found.")

    async def topic_configs(self, topic: str) -> dict[str, Any]:
        await self.ensure_started()
        resource = ConfigResource(ConfigResourceType.TOPIC, topic)
        try:
            responses = await self.admin.describe_configs([resource])
        except Exception as exc:
            raise from_kafka(exc) from None
        configs: dict[str, Any] = {}
        for response in responses:
            for res in response.resources:
                for entry in res[4]:
                    configs[entry[0]] = entry[1]
        return configs

    async def offsets(self, topic: str, partition: int) -> tuple[int, int]:
        await self.check_partition(topic, partition)
        tp = TopicPartition(topic, partition)
        try:
            first = await self.reader.beginning_offsets([tp])
            end = await self.reader.end_offsets([tp])
        except Exception as exc:
            raise from_kafka(exc) from None
        return first[tp], end[tp]

    async def read(
        self, topic: str, partition: int, offset: int, timeout_ms: int, max_records: int
    ) -> list[Any]:
        """Records of one partition from `offset` (Redpanda's partition records GET).

        One shared reader, so reads are serialised; used for partitions led elsewhere only."""
        await self.check_partition(topic, partition)
        tp = TopicPartition(topic, partition)
        try:
            async with asyncio.timeout(READER_LOCK_TIMEOUT_S):
                await self._reader_lock.acquire()
        except TimeoutError:
            raise ProxyError(50003, "the partition reader is busy; retry") from None
        try:
            self.reader.assign([tp])
            self.reader.seek(tp, offset)
            batches = await self.reader.getmany(tp, timeout_ms=timeout_ms, max_records=max_records)
        except Exception as exc:
            raise from_kafka(exc) from None
        finally:
            self.reader.unsubscribe()  # no background prefetch of a partition nobody reads
            self._reader_lock.release()
        records = batches.get(tp, [])
        if not records:
            first, end = await self.offsets(topic, partition)
            if not first <= offset <= end:
                raise ProxyError(
                    BAD_REQUEST,
                    f"offset {offset} is out of range [{first}, {end}] of {topic}/{partition}",
                )
        return records
