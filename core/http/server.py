"""Start and stop an aiohttp application on the caller's event loop."""

from __future__ import annotations

import ssl

from aiohttp import web

from core.http.errors import error_middleware

MAX_BODY_BYTES = 1024 * 1024


def new_app(max_body_bytes: int = MAX_BODY_BYTES) -> web.Application:
    """An application whose errors, including 404/405/413, are JSON `{"message","code"}` bodies."""
    return web.Application(middlewares=[error_middleware], client_max_size=max_body_bytes)


class HttpServer:
    """A started site; `port` is the bound port (useful when asked for port 0)."""

    def __init__(self, runner: web.AppRunner, site: web.TCPSite, host: str, port: int) -> None:
        self._runner = runner
        self._site = site
        self.host = host
        self.port = port

    async def stop(self) -> None:
        await self._runner.cleanup()


async def start_http_server(
    app: web.Application, host: str, port: int, ssl_context: ssl.SSLContext | None = None
) -> HttpServer:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True, ssl_context=ssl_context)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = runner.addresses[0][1] if runner.addresses else port
    return HttpServer(runner, site, host, bound_port)
