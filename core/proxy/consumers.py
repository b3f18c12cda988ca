"""Consumer instances: real Kafka group members (aiokafka consumers), bounded in number and
closed when idle for `consumer_instance_timeout_ms` (Redpanda's name)."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer

from core.proxy.errors import (
    BROKER_NOT_AVAILABLE,
    CONSUMER_EXISTS,
    CONSUMER_NOT_FOUND,
    INVALID_CONSUMER_CONFIG,
    TOO_MANY_INSTANCES,
    ProxyError,
)
from core.proxy.kafka import ClientSettings
from core.proxy.media import SERVED_FORMATS

log = logging.getLogger(__name__)

NAME_RE = re.compile(r"^[A-Za-z0-9._\-]{1,249}$")
OFFSET_RESETS = {
    "earliest": "earliest",
    "latest": "latest",
    "none": "none",
    "smallest": "earliest",
    "largest": "latest",
}
MAX_REQUEST_TIMEOUT_MS = 60_000
LOCK_TIMEOUT_S = 65.0
FETCH_MAX_BYTES = 4 * 1024 * 1024  # per instance: 100 instances buffer at most ~400 MiB
PARTITION_FETCH_MAX_BYTES = 1024 * 1024


@dataclass
class InstanceConfig:
    name: str
    fmt: str = "binary"
    offset_reset: str = "latest"
    auto_commit: bool = True
    fetch_min_bytes: int = 1
    request_timeout_ms: int = 1_000


@dataclass
class Instance:
    group: str
    config: InstanceConfig
    consumer: AIOKafkaConsumer
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_used: float = field(default_factory=time.monotonic)
    pattern: str | None = None
    manual: bool = False  # partitions were assigned by hand on this consumer
    owner: str | None = None  # the principal that created it (http_basic); None: the proxy's
    settings: ClientSettings | None = None  # its client's (the owner's credentials), or default

    @property
    def name(self) -> str:
        return self.config.name

    def touch(self) -> None:
        self.last_used = time.monotonic()

    async def locked(self) -> Instance:
        try:
            async with asyncio.timeout(LOCK_TIMEOUT_S):
                await self.lock.acquire()
        except TimeoutError:
            raise ProxyError(50003, "the consumer instance is busy; retry") from None
        self.touch()
        return self

    def release(self) -> None:
        self.touch()
        self.lock.release()


def _int_setting(body: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    raw = body.get(key)
    if raw is None:
        return default
    try:
        value = int(raw) if not isinstance(raw, bool) else None
    except (TypeError, ValueError):
        value = None
    if value is None or not lo <= value <= hi:
        raise ProxyError(INVALID_CONSUMER_CONFIG, f"{key} must be an integer in [{lo}, {hi}]")
    return value


def _bool_setting(body: dict[str, Any], key: str, default: bool) -> bool:
    raw = body.get(key)
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise ProxyError(INVALID_CONSUMER_CONFIG, f"{key} must be true or false")


def parse_instance_config(body: Any) -> InstanceConfig:
    """The body of POST /consumers/{group}; 42204 for anything it cannot use."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ProxyError(INVALID_CONSUMER_CONFIG, "expected a JSON object")
    name = body.get("name")
    if name is None:
        name = f"rest-consumer-{secrets.token_hex(8)}"
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ProxyError(INVALID_CONSUMER_CONFIG, "name must be 1-249 of [A-Za-z0-9._-]")
    fmt = body.get("format", "binary")
    if fmt not in SERVED_FORMATS:
        raise ProxyError(INVALID_CONSUMER_CONFIG, f"format must be one of {SERVED_FORMATS}")
    reset = body.get("auto.offset.reset", "latest")
    if reset not in OFFSET_RESETS:
        raise ProxyError(
            INVALID_CONSUMER_CONFIG, "auto.offset.reset must be earliest, latest or none"
        )
    return InstanceConfig(
        name=name,
        fmt=fmt,
        offset_reset=OFFSET_RESETS[reset],
        auto_commit=_bool_setting(body, "auto.commit.enable", True),
        fetch_min_bytes=_int_setting(body, "fetch.min.bytes", 1, 0, 64 * 1024 * 1024),
        request_timeout_ms=_int_setting(
            body, "consumer.request.timeout.ms", 1_000, 0, MAX_REQUEST_TIMEOUT_MS
        ),
    )


class ConsumerManager:
    def __init__(self, settings: ClientSettings, max_instances: int, idle_timeout_ms: int):
        self._settings = settings
        self.max_instances = max_instances
        self.idle_timeout_ms = idle_timeout_ms
        self._instances: dict[tuple[str, str], Instance] = {}
        self._creating = 0
        self._sweeper: asyncio.Task[None] | None = None

    def start(self) -> None:
        one_line_coordinator_errors()
        self._sweeper = asyncio.create_task(self._sweep_loop(), name="pandaproxy-expiry")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        instances, self._instances = list(self._instances.values()), {}
        await asyncio.gather(*(self._close(i) for i in instances), return_exceptions=True)

    def get(self, group: str, name: str, owner: str | None = None) -> Instance:
        """The instance; 40403 when there is none, or it belongs to another user."""
        instance = self._instances.get((group, name))
        if instance is None or instance.owner != owner:
            raise ProxyError(CONSUMER_NOT_FOUND, "Consumer instance not found.")
        return instance

    async def create(
        self,
        group: str,
        config: InstanceConfig,
        settings: ClientSettings | None = None,
        owner: str | None = None,
    ) -> Instance:
        """A started instance; with `settings` (a user's credentials) its consumer is that
        user's Kafka client, and only `owner` finds it again."""
        key = (group, config.name)
        if key in self._instances:
            raise ProxyError(
                CONSUMER_EXISTS,
                f"Consumer with specified consumer ID "
                f"{config.name} already exists in the specified consumer group.",
            )
        if len(self._instances) + self._creating >= self.max_instances:
            raise ProxyError(
                TOO_MANY_INSTANCES,
                f"at most {self.max_instances} consumer instances; delete one or let one expire",
            )
        self._creating += 1
        try:
            consumer = self._consumer(group, config, settings)
            try:
                await consumer.start()
            except Exception as exc:
                await _stop_quietly(consumer)
                s = settings or self._settings
                raise ProxyError(
                    BROKER_NOT_AVAILABLE,
                    f"the consumer cannot connect to {s.bootstrap} {s.auth.describe()}: "
                    f"{type(exc).__name__}: {exc}",
                ) from None
        finally:
            self._creating -= 1
        if key in self._instances:  # created meanwhile by a concurrent request
            await consumer.stop()
            raise ProxyError(CONSUMER_EXISTS, f"Consumer {config.name} already exists.")
        instance = Instance(group, config, consumer, owner=owner, settings=settings)
        self._instances[key] = instance
        return instance

    def _consumer(
        self, group: str, config: InstanceConfig, settings: ClientSettings | None = None
    ) -> AIOKafkaConsumer:
        s = settings or self._settings
        return AIOKafkaConsumer(
            bootstrap_servers=s.bootstrap,
            client_id=config.name,
            group_id=group,
            enable_auto_commit=config.auto_commit,
            auto_offset_reset=config.offset_reset,
            fetch_min_bytes=max(1, config.fetch_min_bytes),
            fetch_max_bytes=FETCH_MAX_BYTES,
            max_partition_fetch_bytes=PARTITION_FETCH_MAX_BYTES,
            fetch_max_wait_ms=min(500, max(10, config.request_timeout_ms)),
            session_timeout_ms=s.session_timeout_ms,
            heartbeat_interval_ms=s.heartbeat_interval_ms,
            max_poll_interval_ms=max(self.idle_timeout_ms + 60_000, 300_000),
            request_timeout_ms=s.request_timeout_ms,
            **s.auth.kafka_kwargs(),
        )

    async def renew(self, instance: Instance) -> None:
        """A fresh consumer for an instance whose partitions were assigned by hand: aiokafka's
        coordinator does not survive switching a consumer from assign() to subscribe()."""
        await self._close(instance)
        instance.consumer = self._consumer(instance.group, instance.config, instance.settings)
        instance.manual = False
        await instance.consumer.start()

    async def delete(self, group: str, name: str, owner: str | None = None) -> None:
        """Waits for the instance's request in progress (a records GET ends within its
        timeout), so that request answers normally before the consumer leaves its group."""
        instance = await self.get(group, name, owner).locked()
        try:
            if self._instances.get((group, name)) is not instance:
                raise ProxyError(CONSUMER_NOT_FOUND, "Consumer instance not found.")
            del self._instances[(group, name)]
            await self._close(instance)
        finally:
            instance.release()

    async def _close(self, instance: Instance) -> None:
        try:
            await instance.consumer.stop()
        except Exception as exc:  # a consumer that fails to leave still goes
            log.warning(
                "pandaproxy: closing consumer %s/%s: %s", instance.group, instance.name, exc
            )
        failure = _coordination_failure(instance.consumer)
        if failure is not None:
            log.warning(
                "pandaproxy: consumer %s/%s had lost its group coordination: %s",
                instance.group,
                instance.name,
                failure,
            )

    async def _sweep_loop(self) -> None:
        period_s = max(0.1, min(1.0, self.idle_timeout_ms / 4000))
        while True:
            await asyncio.sleep(period_s)
            await self.expire_idle()

    async def expire_idle(self) -> None:
        limit = time.monotonic() - self.idle_timeout_ms / 1000
        for key, instance in list(self._instances.items()):
            if instance.last_used < limit and not instance.lock.locked():
                self._instances.pop(key, None)
                log.info("pandaproxy: consumer %s/%s expired", instance.group, instance.name)
                await self._close(instance)


async def _stop_quietly(consumer: AIOKafkaConsumer) -> None:
    try:
        await consumer.stop()
    except Exception:  # it never started: nothing to report
        pass


def _coordination_failure(consumer: AIOKafkaConsumer) -> BaseException | None:
    """The exception aiokafka's coordination task ended with, retrieved (its close() does not:
    asyncio then logs 'Task exception was never retrieved' with a traceback). aiokafka's own
    assertion fails there when a subscription changes during a rebalance."""
    task = getattr(getattr(consumer, "_coordinator", None), "_coordination_task", None)
    if not isinstance(task, asyncio.Task) or not task.done() or task.cancelled():
        return None
    return task.exception()


class _OneLine(logging.Filter):
    """aiokafka logs its group-coordination task's unexpected failure with a traceback (its
    own assertion, when a subscription changes during a rebalance); the proxy reports that
    failure itself (_coordination_failure), so aiokafka's record is kept to one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()}: {type(exc).__name__}: {exc!r}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


_COORDINATOR_LOGGER = "aiokafka.consumer.group_coordinator"


def one_line_coordinator_errors() -> None:
    logger = logging.getLogger(_COORDINATOR_LOGGER)
    if not any(isinstance(f, _OneLine) for f in logger.filters):
        logger.addFilter(_OneLine())
