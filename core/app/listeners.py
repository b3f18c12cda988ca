"""The listeners started beside the Kafka API and the Admin API.

The Schema Registry (`schema_registry.schema_registry_api`, 8081) and the HTTP proxy
(`pandaproxy.pandaproxy_api`, 8082) are served by this process on the same event loop, each
when its section is in redpanda.yaml (or its `--*-addr` flag is given), as Redpanda starts
them. Each is a package of its own that exposes one coroutine, named in `EXTRA_LISTENERS`:

    async def start(ctx: ListenerContext, address: Address) -> Served

It binds `address` (port 0 = any) and returns something with the bound `port` and an async
`stop()`. A listener that cannot bind raises OSError; the broker then stops with one line
naming the listener and its address (core.__main__).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from core.config.node import Address, NodeConfig
from core.server.context import Services

log = logging.getLogger("ailurus")


class Served(Protocol):
    port: int

    async def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ListenerContext:
    """What an extra listener may use of the broker."""

    node: NodeConfig  # node.raw holds its redpanda.yaml section (and `*_client` sections)
    services: Services  # cluster config, topics, metadata, partitions
    kafka_bootstrap: str  # host:port of this broker's bound Kafka listener, for its clients


@dataclass(frozen=True, slots=True)
class ExtraListener:
    name: str  # as in the ready line and errors: "schema_registry", "pandaproxy"
    node_field: str  # the NodeConfig attribute with its Address; None means not configured
    starter: str  # "package.module:function"

    def start_fn(self) -> Callable[[ListenerContext, Address], Awaitable[Served]]:
        module, _, function = self.starter.partition(":")
        return getattr(importlib.import_module(module), function)


EXTRA_LISTENERS: tuple[ExtraListener, ...] = (
    ExtraListener("pandaproxy", "pandaproxy_api", "core.proxy.server:start"),
    ExtraListener("schema_registry", "schema_registry_api", "core.schema_registry.server:start"),
)


async def start_extra_listeners(ctx: ListenerContext) -> dict[str, Served]:
    """Start every configured extra listener; on failure stop those started and re-raise."""
    started: dict[str, Served] = {}
    try:
        for spec in EXTRA_LISTENERS:
            address = getattr(ctx.node, spec.node_field)
            if address is None:
                continue
            try:
                started[spec.name] = await spec.start_fn()(ctx, address)
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, spec.name, None, str(address)) from None
    except BaseException:
        await stop_extra_listeners(started)
        raise
    return started


def ready_fields(started: dict[str, Served], node: NodeConfig) -> str:
    """`name=host:port ` for each started listener, for the broker's ready line."""
    fields = {spec.name: spec.node_field for spec in EXTRA_LISTENERS}
    return "".join(
        f"{name}={getattr(node, fields[name]).host}:{served.port} "
        for name, served in started.items()
    )


async def stop_extra_listeners(started: dict[str, Served]) -> None:
    for name, served in reversed(list(started.items())):
        try:
            await served.stop()
        except Exception as exc:  # one listener's failure to stop must not keep others open
            log.warning("stopping the %s listener failed: %s", name, exc)
