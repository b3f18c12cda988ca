"""The Admin API listener, bound at start and loaded at its first connection.

The Admin API's modules (aiohttp, the routes, their models) cost the broker about a fifth of
its start and 13 MB of memory, and a broker that only serves Kafka never needs them. So the
start binds and listens on the Admin API's socket (a busy port still fails the start, naming
the listener), and the first connection to it, which waits in the listen backlog meanwhile,
loads the modules in a worker thread (the event loop keeps serving Kafka) and starts the
aiohttp application on that same socket. Every request is then served as before.

    lazy = await LazyAdmin.bind(host, port, ssl_context, build)   # build() -> AdminServices
    lazy.port                                                     # the bound port
    await lazy.stop()
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import socket
import ssl
from collections.abc import Callable
from typing import Any

log = logging.getLogger("ailurus")

BACKLOG = 128
MODULES = ("aiohttp.web", "admin_api.server", "core.app.admin_services")


class LazyAdmin:
    def __init__(
        self, sock: socket.socket, ssl_context: ssl.SSLContext | None, services: Callable[[], Any]
    ) -> None:
        self._sock = sock
        self._ssl_context = ssl_context
        self._services = services  # builds the AdminServices when the API is first used
        self.host, self.port = sock.getsockname()[:2]
        self._loop = asyncio.get_running_loop()
        self._loading: asyncio.Task | None = None
        self._runner: Any = None  # aiohttp AppRunner once started
        self._loop.add_reader(sock.fileno(), self._first_connection)

    @classmethod
    async def bind(
        cls,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None,
        services: Callable[[], Any],
    ) -> LazyAdmin:
        """Listen on host:port (port 0: any); OSError when it cannot."""
        return cls(listening_socket(host, port), ssl_context, services)

    @property
    def started(self) -> bool:
        """True once the aiohttp application serves the socket."""
        return self._runner is not None

    def _first_connection(self) -> None:
        self._loop.remove_reader(self._sock.fileno())
        self._loading = self._loop.create_task(self._start())

    async def start_now(self) -> None:
        """Load and serve at once (without waiting for a connection)."""
        if self._loading is None:
            self._first_connection()
        assert self._loading is not None
        await asyncio.shield(self._loading)

    async def _start(self) -> None:
        try:
            await asyncio.to_thread(_import_modules)
            from aiohttp import web

            from admin_api.server import build_app

            runner = web.AppRunner(build_app(self._services()), access_log=None)
            await runner.setup()
            site = web.SockSite(runner, self._sock, ssl_context=self._ssl_context)
            await site.start()
            self._runner = runner
        except Exception:
            log.exception("the Admin API could not start on %s:%s", self.host, self.port)
            self._sock.close()

    async def stop(self) -> None:
        if self._loading is None:
            self._loop.remove_reader(self._sock.fileno())
        else:
            await asyncio.gather(self._loading, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._sock.close()


def _import_modules() -> None:
    for name in MODULES:
        importlib.import_module(name)


def listening_socket(host: str, port: int) -> socket.socket:
    """A non-blocking TCP socket listening on host:port, as aiohttp's TCPSite binds it
    (SO_REUSEADDR; the first address host resolves to)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock
