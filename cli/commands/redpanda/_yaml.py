"""Pure edits of a redpanda.yaml document: start-flag mapping (rpk.md §4.5) and modes (§3.3)."""

from __future__ import annotations

from dataclasses import dataclass

from cli.config.redpanda_yaml import (
    DEV_CONTAINER_PROPERTIES,
    KAFKA_PORT,
    PROXY_PORT,
    REGISTRY_PORT,
    RPC_PORT,
    TUNERS,
)
from cli.errors import UsageError

PRODUCTION_TUNERS = (
    "tune_network",
    "tune_disk_scheduler",
    "tune_disk_nomerges",
    "tune_disk_irq",
    "tune_cpu",
    "tune_aio_events",
    "tune_clocksource",
    "tune_swappiness",
    "tune_disk_write_cache",
    "tune_ballast_file",
)
DEV_KEEP = (
    "kafka_api",
    "admin_api",
    "schema_registry",
    "additional_start_flags",
    "coredump_dir",
    "ballast_file_path",
    "ballast_file_size",
)
MODES = ("development", "production", "recovery")


@dataclass(frozen=True)
class Address:
    host: str
    port: int
    name: str | None = None
    authn: str | None = None

    def listener(self) -> dict:
        out: dict = {"address": self.host, "port": self.port}
        if self.name:
            out["name"] = self.name
        if self.authn:
            out["authentication_method"] = self.authn
        return out


def parse_address(text: str, default_port: int) -> Address:
    """`[scheme://]host[:port][|authn]`; the scheme becomes the listener name."""
    raw, _, authn = text.strip().partition("|")
    name, sep, rest = raw.partition("://")
    if not sep:
        name, rest = "", raw
    host, port = rest, default_port
    if rest.startswith("["):
        end = rest.find("]")
        host, tail = rest[1:end], rest[end + 1 :]
        port = _port(tail[1:], text) if tail.startswith(":") else default_port
    elif ":" in rest:
        host, port_text = rest.rsplit(":", 1)
        port = _port(port_text, text)
    if not host:
        raise UsageError(f"invalid address {text!r}: missing host")
    return Address(host=host, port=port, name=name or None, authn=authn or None)


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise UsageError(f"invalid address {whole!r}: bad port {text!r}")
    return int(text)


def parse_addresses(text: str, default_port: int) -> list[Address]:
    return [parse_address(part, default_port) for part in text.split(",") if part.strip()]


@dataclass(frozen=True)
class StartFlags:
    kafka_addr: str | None = None
    advertise_kafka_addr: str | None = None
    rpc_addr: str | None = None
    advertise_rpc_addr: str | None = None
    seeds: str | None = None
    node_id: int | None = None
    pandaproxy_addr: str | None = None
    advertise_pandaproxy_addr: str | None = None
    schema_registry_addr: str | None = None


def apply_start_flags(doc: dict, flags: StartFlags) -> None:
    rp = section(doc, "redpanda")
    if flags.node_id is not None:
        if flags.node_id < 0:
            raise UsageError("--node-id must be >= 0")
        rp["node_id"] = flags.node_id
    if flags.seeds:
        rp["seed_servers"] = [
            {"host": {"address": a.host, "port": a.port}}
            for a in parse_addresses(flags.seeds, RPC_PORT)
        ]
    if flags.kafka_addr:
        rp["kafka_api"] = [a.listener() for a in parse_addresses(flags.kafka_addr, KAFKA_PORT)]
    if flags.advertise_kafka_addr:
        rp["advertised_kafka_api"] = [
            a.listener() for a in parse_addresses(flags.advertise_kafka_addr, KAFKA_PORT)
        ]
    if flags.rpc_addr:
        rp["rpc_server"] = _single(flags.rpc_addr, RPC_PORT)
    if flags.advertise_rpc_addr:
        rp["advertised_rpc_api"] = _single(flags.advertise_rpc_addr, RPC_PORT)
    if flags.pandaproxy_addr:
        section(doc, "pandaproxy")["pandaproxy_api"] = [
            a.listener() for a in parse_addresses(flags.pandaproxy_addr, PROXY_PORT)
        ]
    if flags.advertise_pandaproxy_addr:
        section(doc, "pandaproxy")["advertised_pandaproxy_api"] = [
            a.listener() for a in parse_addresses(flags.advertise_pandaproxy_addr, PROXY_PORT)
        ]
    if flags.schema_registry_addr:
        section(doc, "schema_registry")["schema_registry_api"] = [
            a.listener() for a in parse_addresses(flags.schema_registry_addr, REGISTRY_PORT)
        ]


def _single(text: str, default_port: int) -> dict:
    addr = parse_address(text, default_port)
    return {"address": addr.host, "port": addr.port}


def section(doc: dict, name: str) -> dict:
    value = doc.get(name)
    if not isinstance(value, dict):
        value = {}
        doc[name] = value
    return value


def apply_dev_container(doc: dict) -> None:
    rp = section(doc, "redpanda")
    rp["developer_mode"] = True
    rp.update(DEV_CONTAINER_PROPERTIES)


def resolve_mode(arg: str) -> str:
    low = arg.strip().lower()
    for mode in MODES:
        if low and mode.startswith(low):
            return mode
    raise UsageError(f'unknown mode "{arg}"')


def set_mode(doc: dict, mode: str) -> None:
    rp = section(doc, "redpanda")
    if mode == "recovery":
        rp["recovery_mode_enabled"] = True
        return
    rp["recovery_mode_enabled"] = False
    rpk = section(doc, "rpk")
    if mode == "development":
        rp["developer_mode"] = True
        kept = {k: v for k, v in rpk.items() if k in DEV_KEEP}
        rpk.clear()
        rpk.update(kept)
        rpk.update({name: False for name in TUNERS})
        rpk["overprovisioned"] = True
        return
    rp["developer_mode"] = False
    rpk["overprovisioned"] = False
    rpk.update({name: True for name in PRODUCTION_TUNERS})
    rpk["tune_fstrim"] = False
