"""Host ports of each node's listeners, as rpk container picks them (rpk.md section 2.3).

With no flag a listener's list starts at its default for node 0 and counts up by 1000 per
node; a shorter list is sorted and extended by the same step; `any` (or --any-port) takes free
ports the kernel hands out. Every chosen port is test-bound before anything is created.
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass

from cli.errors import UsageError

STEP = 1000
LISTENERS = ("kafka", "admin", "proxy", "schema-registry", "rpc")
DEFAULTS = {"kafka": 9092, "admin": 9644, "proxy": 8082, "schema-registry": 8081, "rpc": 33145}
FLAGS = {name: f"--{name}-ports" for name in LISTENERS}


class PortTaken(UsageError):
    """A host port is already in use; the message names the flag that moves it."""


@dataclass(frozen=True, slots=True)
class NodePorts:
    kafka: int
    admin: int
    proxy: int
    schema_registry: int
    rpc: int

    def by_listener(self) -> dict[str, int]:
        return {
            "kafka": self.kafka,
            "admin": self.admin,
            "proxy": self.proxy,
            "schema-registry": self.schema_registry,
            "rpc": self.rpc,
        }


def parse_list(
    listener: str, values: list[str] | None, nodes: int, any_port: bool
) -> list[int] | None:
    """One listener's host ports for `nodes` nodes from its flag values (comma lists); None
    means any free ports."""
    items = [v.strip() for value in values or [] for v in value.split(",") if v.strip()]
    if any_port or items == ["any"]:
        return None
    if "any" in items:
        raise UsageError(f"{FLAGS[listener]}: 'any' cannot be combined with other ports")
    if not items:
        return [DEFAULTS[listener] + STEP * i for i in range(nodes)]
    try:
        ports = sorted(int(v) for v in items)
    except ValueError:
        raise UsageError(
            f"{FLAGS[listener]}: ports must be numbers or 'any', got {items}"
        ) from None
    for port in ports:
        if not 0 < port < 65536:
            raise UsageError(f"{FLAGS[listener]}: port {port} out of range")
    while len(ports) < nodes:
        ports.append(ports[-1] + STEP)
    return ports[:nodes]


def plan(flags: dict[str, list[str] | None], nodes: int, any_port: bool) -> list[NodePorts]:
    """Every node's host ports; duplicates across listeners are refused."""
    wanted = {name: parse_list(name, flags.get(name), nodes, any_port) for name in LISTENERS}
    pool = free_ports(nodes * sum(1 for ports in wanted.values() if ports is None))
    lists: dict[str, list[int]] = {}
    for name, ports in wanted.items():
        if ports is None:
            ports, pool = pool[:nodes], pool[nodes:]
        lists[name] = ports
    seen: dict[int, str] = {}
    for name, ports in lists.items():
        for port in ports:
            if port in seen:
                raise UsageError(
                    f"unable to start cluster: port {port} is given to both the {seen[port]} "
                    f"and the {name} listener; change {FLAGS[name]}"
                )
            seen[port] = name
    return [
        NodePorts(
            kafka=lists["kafka"][i],
            admin=lists["admin"][i],
            proxy=lists["proxy"][i],
            schema_registry=lists["schema-registry"][i],
            rpc=lists["rpc"][i],
        )
        for i in range(nodes)
    ]


def check_free(nodes: list[NodePorts]) -> None:
    """Test-bind every host port (as Docker will: all interfaces); the first taken one fails
    with the flag that moves it."""
    for ports in nodes:
        for name, port in ports.by_listener().items():
            if not port_free(port):
                raise PortTaken(
                    f"unable to start cluster: {name} port {port} already in use; choose "
                    f"other ports with {FLAGS[name]} (or --any-port for free ones)"
                )


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    """`count` distinct ports free now (held together while chosen, so none repeats)."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("0.0.0.0", 0))
            ports.append(sock.getsockname()[1])
        return ports
