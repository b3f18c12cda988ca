"""The Kafka API listener (asyncio.start_server on the broker's event loop)."""

from __future__ import annotations

import asyncio
import logging

from core.common import metrics
from core.protocol.framing import MAX_FRAME_BYTES
from core.server.connection import KafkaConnection
from core.server.context import Services

log = logging.getLogger("ailurus.kafka")


class KafkaListener:
    def __init__(
        self,
        services: Services,
        host: str,
        port: int,
        *,
        max_connections: int | None = None,
        max_frame_bytes: int = MAX_FRAME_BYTES,
    ) -> None:
        self._services = services
        self._host = host
        self._port = port
        self._max_connections = max_connections
        self._max_frame_bytes = max_frame_bytes
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[asyncio.Task] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self._host, self._port, backlog=1024
        )

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._max_connections is not None and len(self._connections) >= self._max_connections:
            log.warning("refusing connection: %d connections open", len(self._connections))
            writer.close()
            return
        task = asyncio.current_task()
        self._connections.add(task)
        metrics.connection_opened()
        try:
            await KafkaConnection(
                reader, writer, self._services, max_frame_bytes=self._max_frame_bytes
            ).run()
        finally:
            metrics.connection_closed()
            self._connections.discard(task)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
