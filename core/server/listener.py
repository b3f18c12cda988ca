"""The Kafka API listener (asyncio.start_server on the broker's event loop).

It admits connections (`ConnectionLimits`: kafka_connections_max, ..._per_ip, the rate limit),
shares one `RequestBudget` (kafka_request_max_inflight_bytes) among them, and runs a watchdog
that closes connections past the frame read deadline (kafka_request_read_timeout_ms) or idle
for kafka_connections_max_idle_ms. All limits are read from the live cluster config when they
apply, so Admin API changes take effect without a restart.

A broker serves every `kafka_api` entry (`KafkaListeners`): each listener has its name, its
authentication method and TLS; all share the broker's one budget and connection limits.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time

from core.common import metrics
from core.security.mtls import MappingError, identity_session
from core.security.sasl import SaslSession
from core.server.budget import RequestBudget
from core.server.connection import KafkaConnection, describe
from core.server.context import Services
from core.server.limits import ConnectionLimits, client_ip

log = logging.getLogger("ailurus.kafka")

INFLIGHT_BYTES = "kafka_request_max_inflight_bytes"
READ_TIMEOUT_MS = "kafka_request_read_timeout_ms"
IDLE_MS = "kafka_connections_max_idle_ms"
WATCH_INTERVAL_MIN_S = 0.05
WATCH_INTERVAL_MAX_S = 1.0


class KafkaListener:
    def __init__(
        self,
        services: Services,
        host: str,
        port: int,
        *,
        max_frame_bytes: int | None = None,
        authentication_method: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        name: str | None = None,
        budget: RequestBudget | None = None,
        limits: ConnectionLimits | None = None,
    ) -> None:
        """Limits are read live from the cluster config. `max_frame_bytes` caps frames below
        the live kafka_request_max_bytes (None: that property alone). `authentication_method`
        is the listener's (`none`, `sasl`; None follows the cluster's `enable_sasl`); `ssl_context`
        serves TLS (None: plaintext). `name` is the listener's (redpanda.yaml's kafka_api
        entry), given to each request; `budget` and `limits` are shared with the broker's
        other listeners (None: this listener's own)."""
        self.name = name
        self._services = services
        self._host = host
        self._port = port
        self._max_frame_bytes = max_frame_bytes
        self._authentication_method = authentication_method
        self._ssl_context = ssl_context
        config = services.cluster_config
        self._get = config.get
        self.budget = budget or RequestBudget(lambda: config.get(INFLIGHT_BYTES))
        self.limits = limits or ConnectionLimits(config.get)
        self._server: asyncio.base_events.Server | None = None
        self._connections: dict[asyncio.Task, KafkaConnection] = {}
        self._watchdog: asyncio.Task | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self._host, self._port, backlog=1024, ssl=self._ssl_context
        )
        self._watchdog = asyncio.create_task(self._watch(), name="kafka-listener-watchdog")

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ip = client_ip(writer.get_extra_info("peername"))
        try:
            session = self._sasl_session(ip, writer)
        except MappingError as exc:
            log.warning("closing connection from %s: mTLS identity: %s", ip, exc)
            writer.close()
            return
        if not self.limits.admit(ip):
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        connection = KafkaConnection(
            reader,
            writer,
            self._services,
            budget=self.budget,
            max_frame_bytes=self._max_frame_bytes,
            session=session,
            listener=self.name,
        )
        self._connections[task] = connection
        metrics.connection_opened()
        try:
            await connection.run()
        except asyncio.CancelledError:
            # stop() cancels connections. Ending normally keeps Python 3.11's streams callback
            # from logging the cancellation as an "Exception in callback" traceback.
            pass
        except Exception as exc:  # run() handles its own; never an asyncio traceback
            log.warning("connection from %s failed: %s", connection.peer, describe(exc))
        finally:
            metrics.connection_closed()
            self._connections.pop(task, None)
            self.limits.release(ip)

    def _sasl_session(self, ip: str, writer: asyncio.StreamWriter) -> SaslSession | None:
        sasl = self._services.sasl
        if sasl is not None and self._authentication_method == "mtls_identity":
            return identity_session(sasl, ip, writer.get_extra_info("ssl_object"))
        if sasl is None or not sasl.sasl_required(self._authentication_method):
            return None
        return SaslSession(sasl, ip)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._watch_interval_s())
            try:
                self.sweep(time.monotonic())
            except Exception as exc:  # a bug here must not stop the deadlines for good
                log.warning("Kafka connection watchdog failed: %s", describe(exc))

    def _watch_interval_s(self) -> float:
        shortest_ms = min(self._get(READ_TIMEOUT_MS), self._get(IDLE_MS))
        return min(max(shortest_ms / 4000, WATCH_INTERVAL_MIN_S), WATCH_INTERVAL_MAX_S)

    def sweep(self, now: float) -> None:
        """Enforce the read deadline and the idle time; flush refusal logs; wake budget waiters."""
        read_timeout_s = self._get(READ_TIMEOUT_MS) / 1000
        idle_s = self._get(IDLE_MS) / 1000
        for connection in list(self._connections.values()):
            connection.check_deadlines(now, read_timeout_s, idle_s)
        self.limits.tick(now)
        self.budget.wake()  # the budget may have grown through the Admin API

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    async def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()


class KafkaListeners:
    """The broker's Kafka listeners, first one first, sharing one RequestBudget and one set of
    ConnectionLimits (kafka_connections_max and the budget are per broker, as Redpanda's)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        config = services.cluster_config
        self.budget = RequestBudget(lambda: config.get(INFLIGHT_BYTES))
        self.limits = ConnectionLimits(config.get)
        self.listeners: list[KafkaListener] = []

    def make(
        self,
        host: str,
        port: int,
        *,
        name: str,
        authentication_method: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> KafkaListener:
        """A listener sharing this group's budget and limits (not started)."""
        return KafkaListener(
            self._services,
            host,
            port,
            name=name,
            authentication_method=authentication_method,
            ssl_context=ssl_context,
            budget=self.budget,
            limits=self.limits,
        )

    async def start(self, listener: KafkaListener) -> None:
        """Start `listener` and serve it with the others (an OSError if it cannot bind)."""
        await listener.start()
        self.listeners.append(listener)

    @property
    def port(self) -> int:
        """The first listener's bound port."""
        return self.listeners[0].port

    @property
    def connection_count(self) -> int:
        return sum(listener.connection_count for listener in self.listeners)

    async def stop(self) -> None:
        listeners, self.listeners = self.listeners, []
        await asyncio.gather(*(listener.stop() for listener in listeners))
