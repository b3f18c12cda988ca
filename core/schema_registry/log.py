"""The `_schemas` topic through a Kafka client to this broker: tail it into the Store, and write.

Reads are served from memory; a background task keeps applying records. A write first catches
up to the topic's end (so it validates against everything written before), then produces, then
waits until its own record has been read back and applied before the caller answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from core.schema_registry import errors
from core.schema_registry.records import TOPIC
from core.security.client_auth import ClientAuth

log = logging.getLogger("ailurus.schema_registry")

FETCH_WAIT_MS = 200
CATCH_UP_TIMEOUT_S = 10.0
CLIENT_ID = "schema_registry"


class SchemasLog:
    def __init__(
        self,
        bootstrap: str,
        apply: Callable[[bytes | None, bytes | None], None],
        replication_factor: int = 1,
        auth: ClientAuth = ClientAuth(),
    ) -> None:
        self._bootstrap = bootstrap
        self._auth = auth
        self._kwargs: dict[str, Any] = {"bootstrap_servers": bootstrap, "client_id": CLIENT_ID}
        self._kwargs.update(auth.kafka_kwargs())  # schema_registry_client's SASL / TLS
        self._apply = apply
        self._replication = replication_factor
        self._tp = TopicPartition(TOPIC, 0)
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._tail: asyncio.Task | None = None
        self._applied = 0  # next offset to apply
        # End offsets go on a connection of their own: a broker answers one connection's
        # requests in order, so behind the tail's long-poll fetch they would wait it out.
        self._offsets: AIOKafkaConsumer | None = None
        self._progress = asyncio.Condition()
        self._started = False
        self._start_lock = asyncio.Lock()

    async def ensure_started(self) -> None:
        """Connect on first use; a failure (SCRAM user not created yet, wrong credentials,
        the listener down) closes what was opened and answers 50001 saying why, and the next
        request tries again."""
        if self._started:
            return
        async with self._start_lock:
            if self._started:
                return
            try:
                await self._connect()
            except KafkaError as exc:
                await self._close_clients()
                raise errors.backend(
                    f"the registry's Kafka client cannot connect to {self._bootstrap} "
                    f"{self._auth.describe()}: {type(exc).__name__}: {exc} "
                    "(schema_registry_client: sasl_mechanism, scram_username, scram_password)"
                ) from None
            self._tail = asyncio.create_task(self._tail_loop(), name="schemas-tail")
            self._started = True
        await self.catch_up()

    async def _connect(self) -> None:
        await self._create_topic()
        self._consumer = AIOKafkaConsumer(
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=FETCH_WAIT_MS,
            **self._kwargs,
        )
        await self._consumer.start()
        self._consumer.assign([self._tp])
        await self._consumer.seek_to_beginning(self._tp)
        self._producer = AIOKafkaProducer(acks="all", linger_ms=0, **self._kwargs)
        await self._producer.start()
        self._offsets = AIOKafkaConsumer(**self._kwargs)
        await self._offsets.start()

    async def _create_topic(self) -> None:
        admin = AIOKafkaAdminClient(**self._kwargs)
        try:
            await admin.start()
            topic = NewTopic(
                TOPIC, 1, self._replication, topic_configs={"cleanup.policy": "compact"}
            )
            await admin.create_topics([topic])
        except TopicAlreadyExistsError:
            pass
        finally:
            with contextlib.suppress(Exception):
                await admin.close()

    async def _tail_loop(self) -> None:
        assert self._consumer is not None
        while True:
            try:
                batches = await self._consumer.getmany(self._tp, timeout_ms=FETCH_WAIT_MS)
                for message in batches.get(self._tp, []):
                    try:
                        self._apply(message.key, message.value)
                    except Exception:  # one bad record must not stop the registry
                        log.exception("applying _schemas offset %d failed", message.offset)
                position = await self._consumer.position(self._tp)
            except asyncio.CancelledError:
                raise
            except KafkaError as exc:
                log.warning("reading _schemas failed: %s", exc)
                await asyncio.sleep(FETCH_WAIT_MS / 1000)
                continue
            if position != self._applied:
                async with self._progress:
                    self._applied = position
                    self._progress.notify_all()

    async def _wait_applied(self, offset: int) -> None:
        async with self._progress:
            await asyncio.wait_for(
                self._progress.wait_for(lambda: self._applied >= offset), CATCH_UP_TIMEOUT_S
            )

    async def catch_up(self) -> None:
        """Wait until every record written before this call has been applied."""
        assert self._offsets is not None
        end = (await self._offsets.end_offsets([self._tp]))[self._tp]
        await self._wait_applied(end)

    async def write(self, records: Sequence[tuple[bytes, bytes | None]]) -> None:
        """Produce `records` in order and wait until they are applied."""
        assert self._producer is not None
        last = -1
        for key, value in records:
            metadata = await self._producer.send_and_wait(TOPIC, value=value, key=key, partition=0)
            last = metadata.offset
        await self._wait_applied(last + 1)

    async def stop(self) -> None:
        if self._tail is not None:
            self._tail.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._tail
        await self._close_clients()

    async def _close_clients(self) -> None:
        clients = (self._producer, self._consumer, self._offsets)
        self._producer = self._consumer = self._offsets = None
        for client in clients:
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.stop()
