"""Run the Admin API over a services double on a background event loop, for synchronous CLI tests."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

from admin_api.server import start_admin_server
from tests.admin_api.doubles import ServicesDouble

START_TIMEOUT_S = 10


@contextlib.contextmanager
def threaded_admin_server(
    svc: ServicesDouble | None = None,
) -> Iterator[tuple[str, ServicesDouble]]:
    """Yields (admin URL, services). The loop thread is stopped and joined on exit."""
    svc = svc or ServicesDouble()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="admin-api-test", daemon=True)
    thread.start()
    try:
        server = asyncio.run_coroutine_threadsafe(
            start_admin_server(svc, "127.0.0.1", 0), loop
        ).result(START_TIMEOUT_S)
        try:
            yield f"http://127.0.0.1:{server.port}", svc
        finally:
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result(START_TIMEOUT_S)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(START_TIMEOUT_S)
        loop.close()
