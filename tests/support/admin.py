"""The real broker for Admin API tests: in this process on a temporary directory (the Admin API,
controller, config frontend and users store exactly as core.app composes them), in a background
thread for synchronous CLI tests, or as a separate process (`run_broker`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from core.app import BrokerApp
from core.cluster.controller import REPLAY_CHUNK_BYTES
from core.config.node import Address, NodeConfig
from core.model.records import iter_batches
from tests.support.broker import BrokerProcess

T = TypeVar("T")
LOOP_TIMEOUT_S = 30
LOOPBACK = "127.0.0.1"


def loopback_node(data_dir: Path) -> NodeConfig:
    """Node 0 with every listener on an ephemeral loopback port."""
    return NodeConfig(
        data_directory=Path(data_dir),
        node_id=0,
        kafka_api=Address(LOOPBACK, 0),
        admin=Address(LOOPBACK, 0),
        rpc_server=Address(LOOPBACK, 0),
    )


def admin_url(app: BrokerApp) -> str:
    return f"http://{LOOPBACK}:{app.admin_port}"


@contextlib.asynccontextmanager
async def running_app(data_dir: Path) -> AsyncIterator[BrokerApp]:
    """A started BrokerApp on this event loop; stopped on the way out. Restart = enter again."""
    app = BrokerApp(loopback_node(data_dir))
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


def controller_commands(app: BrokerApp) -> list[tuple[str, dict[str, Any]]]:
    """Every committed command in the controller log, (type, payload), in log order."""
    log, end = app.cluster.controller_log, app.controller.consensus.commit_offset
    offset, commands = log.start_offset, []
    while offset < end:
        chunk = log.read_bytes(offset, REPLAY_CHUNK_BYTES, end)
        if not chunk:
            break
        for header, records in iter_batches(chunk):
            for record in records:
                commands.append(((record.key or b"").decode(), json.loads(record.value or b"{}")))
            offset = header.last_offset + 1
    return commands


class ThreadedApp:
    """A BrokerApp on its own event loop thread, for synchronous tests (rpk through CliRunner)."""

    def __init__(self, data_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="broker-app-test", daemon=True
        )
        self.app = BrokerApp(loopback_node(data_dir))

    @property
    def url(self) -> str:
        return admin_url(self.app)

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the broker's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(LOOP_TIMEOUT_S)

    def start(self) -> ThreadedApp:
        self._thread.start()
        try:
            self.call(self.app.start())
        except BaseException:
            self._end_loop()
            raise
        return self

    def stop(self) -> None:
        try:
            self.call(self.app.stop())
        finally:
            self._end_loop()

    def _end_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(LOOP_TIMEOUT_S)
        self.loop.close()


@contextlib.contextmanager
def threaded_app(data_dir: Path) -> Iterator[ThreadedApp]:
    running = ThreadedApp(data_dir).start()
    try:
        yield running
    finally:
        running.stop()


@dataclass(frozen=True)
class RunningBroker:
    kafka: str
    admin_url: str
    process: subprocess.Popen


@contextlib.contextmanager
def run_broker(data_dir: Path, *extra: str) -> Iterator[RunningBroker]:
    """A broker process (node 0) on `data_dir`/data; SIGTERM on the way out."""
    broker = BrokerProcess(Path(data_dir) / "data", *extra, "--node-id", "0").start()
    try:
        yield RunningBroker(broker.bootstrap, broker.admin_url, broker.proc)
    finally:
        broker.stop()
