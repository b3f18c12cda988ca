"""`rpk redpanda config set|bootstrap|init`: edit the local redpanda.yaml."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Optional

import psutil
import typer

from cli import options
from cli._app import new_group
from cli.commands.redpanda._yaml import parse_address, parse_addresses, section
from cli.config import redpanda_yaml
from cli.config.redpanda_yaml import ADMIN_PORT, KAFKA_PORT, RPC_PORT
from cli.errors import UsageError
from cli.options import with_globals


@with_globals
def config_set(
    key: Annotated[
        str, typer.Argument(help="YAML path, e.g. redpanda.kafka_api[0].port; or KEY=VALUE.")
    ],
    value: Annotated[Optional[str], typer.Argument(help="Value, parsed as YAML/JSON.")] = None,
) -> None:
    """Set a redpanda.yaml key (the raw file only, without env or flag overrides)."""
    if value is None:
        if "=" not in key:
            raise UsageError("missing value: use 'KEY VALUE' or 'KEY=VALUE'")
        key, value = key.split("=", 1)
    path = redpanda_yaml.write_target(options.current().config)
    doc = redpanda_yaml.load_or_default(path)
    redpanda_yaml.set_key(doc, key, redpanda_yaml.parse_value(value))
    redpanda_yaml.save(path, doc)


def private_ipv4() -> str:
    """The single private, non-loopback IPv4 address of this host."""
    found = sorted(
        {
            addr.address
            for addrs in psutil.net_if_addrs().values()
            for addr in addrs
            if addr.family.name == "AF_INET"
            and ipaddress.ip_address(addr.address).is_private
            and not ipaddress.ip_address(addr.address).is_loopback
        }
    )
    if len(found) != 1:
        raise UsageError(
            f"unable to pick a single private IPv4 address (found {found or 'none'}); use --self"
        )
    return found[0]


@with_globals
def config_bootstrap(
    ips: Annotated[
        Optional[str],
        typer.Option(
            "--ips", help="Comma-separated seed server IPs (host[:port]).", metavar="strings"
        ),
    ] = None,
    self_ip: Annotated[
        Optional[str],
        typer.Option(
            "--self", help="This node's IP to listen on (default: the single private IPv4)."
        ),
    ] = None,
    advertised_kafka: Annotated[
        Optional[str],
        typer.Option("--advertised-kafka", help="Advertised Kafka address host:port."),
    ] = None,
    advertised_rpc: Annotated[
        Optional[str], typer.Option("--advertised-rpc", help="Advertised RPC address host:port.")
    ] = None,
    node_id: Annotated[
        Optional[int],
        typer.Option("--id", help="This node's id (deprecated; the broker assigns one)."),
    ] = None,
) -> None:
    """Initialize the configuration to bootstrap a cluster: seeds and listener addresses."""
    own = self_ip or private_ipv4()
    path = redpanda_yaml.write_target(options.current().config)
    doc = redpanda_yaml.load_or_default(path)
    rp = section(doc, "redpanda")
    rp["seed_servers"] = [
        {"host": {"address": a.host, "port": a.port}} for a in parse_addresses(ips or "", RPC_PORT)
    ]
    rp["rpc_server"] = {"address": own, "port": _port_of(rp.get("rpc_server"), RPC_PORT)}
    rp["kafka_api"] = [{"address": own, "port": _first_port(rp.get("kafka_api"), KAFKA_PORT)}]
    rp["admin"] = [{"address": own, "port": _first_port(rp.get("admin"), ADMIN_PORT)}]
    if advertised_kafka:
        addr = parse_address(advertised_kafka, KAFKA_PORT)
        rp["advertised_kafka_api"] = [{"address": addr.host, "port": addr.port}]
    if advertised_rpc:
        addr = parse_address(advertised_rpc, RPC_PORT)
        rp["advertised_rpc_api"] = {"address": addr.host, "port": addr.port}
    if node_id is not None:
        rp["node_id"] = node_id
    redpanda_yaml.save(path, doc)


def _port_of(value: object, default: int) -> int:
    return int(value.get("port") or default) if isinstance(value, dict) else default


def _first_port(value: object, default: int) -> int:
    return _port_of(value[0], default) if isinstance(value, list) and value else default


@with_globals
def config_init() -> None:
    """Write rpk's default redpanda.yaml if none exists (deprecated in rpk; kept for scripts)."""
    path = redpanda_yaml.write_target(options.current().config)
    if redpanda_yaml.load(path) is None:
        redpanda_yaml.save(path, redpanda_yaml.dev_default())
        typer.echo(f"Wrote default configuration to {path}.")
    else:
        typer.echo(f"{path} already exists; left unchanged.")


def register(app: typer.Typer, hidden: bool = False) -> None:
    group = new_group("config", "Edit configuration.")
    group.command("set")(config_set)
    group.command("bootstrap")(config_bootstrap)
    group.command("init", hidden=True)(config_init)
    app.add_typer(group, name="config", hidden=hidden)
