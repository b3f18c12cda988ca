"""Node configuration: Redpanda's `redpanda.yaml` format with Redpanda's broker defaults.

Only the node-level settings live here. Cluster-wide settings are in
`cluster_properties.py` and are persisted through the controller log.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = "/var/lib/redpanda/data"  # with a redpanda.yaml that names none (Redpanda's)


def user_data_dir() -> Path:
    """The developer broker's data directory (no --config, no --data-dir): under the user's
    data home, $XDG_DATA_HOME/ailurus or ~/.local/share/ailurus."""
    home = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(home) / "ailurus"


class NodeConfigError(ValueError):
    """The node configuration file or an override is invalid."""


@dataclass(frozen=True, slots=True)
class Address:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class TlsConfig:
    """A listener's TLS settings (`kafka_api_tls` entries, as Redpanda names them)."""

    cert_file: str
    key_file: str
    truststore_file: str | None = None
    require_client_auth: bool = False


@dataclass(frozen=True, slots=True)
class KafkaListenerConfig:
    """One `kafka_api` entry with what redpanda.yaml gives it by name: the address clients are
    told (`advertised_kafka_api`), its `authentication_method` and TLS (`kafka_api_tls`)."""

    name: str  # "" for an unnamed entry
    address: Address
    advertised: Address
    authentication_method: str | None = None  # none, sasl; None: follow enable_sasl
    tls: TlsConfig | None = None  # None: plaintext


@dataclass(slots=True)
class NodeConfig:
    data_directory: Path
    node_id: int | None = None
    kafka_api: Address = Address("127.0.0.1", 9092)
    kafka_api_authentication_method: str | None = None  # none, sasl; None: follow enable_sasl
    kafka_api_tls: TlsConfig | None = None  # None: plaintext
    admin_api_tls: TlsConfig | None = None  # None: plain HTTP
    rpc_server_tls: TlsConfig | None = None  # None: plain TCP between brokers
    advertised_kafka_api: Address | None = None
    kafka_api_name: str = ""  # the first listener's name
    # The kafka_api entries after the first (the fields above are the first's)
    kafka_extra_listeners: list[KafkaListenerConfig] = field(default_factory=list)
    admin: Address = Address("127.0.0.1", 9644)
    rpc_server: Address = Address("127.0.0.1", 33145)
    advertised_rpc_api: Address | None = None
    seed_servers: list[Address] = field(default_factory=list)
    developer_mode: bool = False
    rack: str | None = None
    pandaproxy_api: Address | None = None
    schema_registry_api: Address | None = None
    cluster_overrides: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def kafka_advertised(self) -> Address:
        return self.advertised_kafka_api or self.kafka_api

    @property
    def kafka_listeners(self) -> list[KafkaListenerConfig]:
        """Every Kafka listener, the first one (the `kafka_api*` fields) first."""
        first = KafkaListenerConfig(
            self.kafka_api_name,
            self.kafka_api,
            self.kafka_advertised,
            self.kafka_api_authentication_method,
            self.kafka_api_tls,
        )
        return [first, *self.kafka_extra_listeners]

    def as_dict(self) -> dict[str, Any]:
        """The effective node configuration, shaped like redpanda.yaml's `redpanda:` section."""

        def addr(a: Address | None, name: str = "") -> dict[str, Any] | None:
            if a is None:
                return None
            named = {"name": name} if name else {}
            return {**named, "address": a.host, "port": a.port}

        listeners = self.kafka_listeners
        return {
            "data_directory": str(self.data_directory),
            "node_id": self.node_id,
            "rack": self.rack,
            "kafka_api": [addr(x.address, x.name) for x in listeners],
            "advertised_kafka_api": [addr(x.advertised, x.name) for x in listeners],
            "admin": [addr(self.admin)],
            "rpc_server": addr(self.rpc_server),
            "advertised_rpc_api": addr(self.advertised_rpc_api or self.rpc_server),
            "seed_servers": [{"host": addr(s)} for s in self.seed_servers],
            "developer_mode": self.developer_mode,
        }


def parse_address(value: str | dict | list, default_port: int, what: str) -> Address:
    """Accept `host:port`, `host`, `{address, port}` or a one-element list of those."""
    if isinstance(value, list):
        if not value:
            raise NodeConfigError(f"{what}: empty listener list")
        value = value[0]
    if isinstance(value, dict):
        if "host" in value and isinstance(value["host"], dict):
            value = value["host"]
        host = str(value.get("address", "127.0.0.1"))
        port = value.get("port", default_port)
    elif isinstance(value, str):
        text = value.strip()
        if "://" in text:
            text = text.split("://", 1)[1]
        host, sep, port_text = text.rpartition(":")
        if not sep:
            host, port_text = text, str(default_port)
        port = port_text
    else:
        raise NodeConfigError(f"{what}: cannot parse address {value!r}")
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise NodeConfigError(f"{what}: port {port!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise NodeConfigError(f"{what}: port {port} out of range")
    return Address(host or "0.0.0.0", port)


AUTHENTICATION_METHODS = ("none", "sasl", "mtls_identity")


def tls_config(value: Any, what: str) -> TlsConfig | None:
    """The first enabled entry of a `*_tls` list (or a single mapping); None if none is enabled."""
    entries = value if isinstance(value, list) else [value]
    for entry in entries:
        if not isinstance(entry, dict):
            raise NodeConfigError(f"{what}: each entry must be a mapping")
        if not entry.get("enabled", False):
            continue
        if not entry.get("cert_file") or not entry.get("key_file"):
            raise NodeConfigError(f"{what}: an enabled entry needs cert_file and key_file")
        require = bool(entry.get("require_client_auth", False))
        if require and not entry.get("truststore_file"):
            raise NodeConfigError(f"{what}: require_client_auth needs a truststore_file")
        return TlsConfig(
            str(entry["cert_file"]),
            str(entry["key_file"]),
            entry.get("truststore_file"),
            require,
        )
    return None


def authentication_method(value: Any) -> str | None:
    """A kafka_api listener's `authentication_method` (the first listener's, as the address)."""
    if isinstance(value, list):
        value = value[0] if value else None
    method = value.get("authentication_method") if isinstance(value, dict) else None
    if method is None:
        return None
    if method not in AUTHENTICATION_METHODS:
        raise NodeConfigError(
            f"kafka_api: authentication_method must be one of {', '.join(AUTHENTICATION_METHODS)}"
            f", got {method!r}"
        )
    return str(method)


KAFKA_PORT = 9092


def _named_entries(value: Any, what: str) -> list[tuple[str, Address, dict]]:
    """A listener list (or one entry) as (name, address, entry) in file order; names are
    unique ("" for an unnamed entry; `name://host:port` names a string entry)."""
    entries = value if isinstance(value, list) else [value]
    if not entries:
        raise NodeConfigError(f"{what}: empty listener list")
    out: list[tuple[str, Address, dict]] = []
    for entry in entries:
        name = ""
        if isinstance(entry, dict):
            name = str(entry.get("name") or "")
        elif isinstance(entry, str) and "://" in entry:
            name = entry.split("://", 1)[0].strip()
        if any(name == seen for seen, _, _ in out):
            raise NodeConfigError(f"{what}: two listeners named {name!r}")
        address = parse_address(entry, KAFKA_PORT, what)
        out.append((name, address, entry if isinstance(entry, dict) else {}))
    return out


def _tls_by_name(value: Any, names: list[str]) -> dict[str, TlsConfig]:
    """kafka_api_tls: with one listener, the first enabled entry whatever its name (as
    before listeners had names); with several, each enabled entry serves the listener of its
    name (an entry naming no listener is refused: it would leave that listener plaintext)."""
    if not value:
        return {}
    if len(names) == 1:
        first = tls_config(value, "kafka_api_tls")
        return {} if first is None else {names[0]: first}
    out: dict[str, TlsConfig] = {}
    for entry in value if isinstance(value, list) else [value]:
        tls = tls_config(entry, "kafka_api_tls")
        if tls is None:
            continue
        name = str(entry.get("name") or "")
        if name not in names:
            raise NodeConfigError(f"kafka_api_tls: no kafka_api listener is named {name!r}")
        out.setdefault(name, tls)
    return out


def kafka_listeners(rp: dict[str, Any]) -> list[KafkaListenerConfig]:
    """Every `kafka_api` entry (default 127.0.0.1:9092) with its advertised address: the
    `advertised_kafka_api` entry of the same name; with one listener and one advertised
    entry, that entry whatever the names (as before listeners had names); else the
    listener's own address. TLS from `kafka_api_tls` by name (`_tls_by_name`)."""
    default = {"address": "127.0.0.1", "port": KAFKA_PORT}
    listeners = _named_entries(rp.get("kafka_api", default), "kafka_api")
    advertised: dict[str, Address] = {}
    if rp.get("advertised_kafka_api"):
        entries = _named_entries(rp["advertised_kafka_api"], "advertised_kafka_api")
        advertised = {name: address for name, address, _ in entries}
        if len(listeners) == 1 and len(entries) == 1:
            advertised = {listeners[0][0]: entries[0][1]}
    tls = _tls_by_name(rp.get("kafka_api_tls"), [name for name, _, _ in listeners])
    for name, _, entry in listeners:
        needs_cert = authentication_method(entry) == "mtls_identity"
        if needs_cert and not (tls.get(name) and tls[name].require_client_auth):
            raise NodeConfigError(
                f"kafka_api {name!r}: mtls_identity needs kafka_api_tls with "
                "require_client_auth: true"
            )
    return [
        KafkaListenerConfig(
            name,
            address,
            advertised.get(name, address),
            authentication_method(entry),
            tls.get(name),
        )
        for name, address, entry in listeners
    ]


def load_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    import yaml  # only with a file: a broker started without one need not load it

    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise NodeConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise NodeConfigError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise NodeConfigError(f"{path}: top level must be a mapping")
    return doc


def from_document(doc: dict[str, Any]) -> NodeConfig:
    """Build a NodeConfig from a parsed redpanda.yaml document."""
    rp = doc.get("redpanda") or {}
    if not isinstance(rp, dict):
        raise NodeConfigError("`redpanda:` must be a mapping")
    node_id = rp.get("node_id")
    if node_id is not None and (not isinstance(node_id, int) or node_id < 0):
        raise NodeConfigError(f"node_id must be a non-negative integer, got {node_id!r}")
    cfg = NodeConfig(
        data_directory=Path(rp.get("data_directory") or DEFAULT_DATA_DIR), node_id=node_id
    )
    first, *extra = kafka_listeners(rp)
    cfg.kafka_api_name, cfg.kafka_api = first.name, first.address
    cfg.kafka_api_authentication_method, cfg.kafka_api_tls = first.authentication_method, first.tls
    if rp.get("advertised_kafka_api"):
        cfg.advertised_kafka_api = first.advertised
    cfg.kafka_extra_listeners = extra
    if rp.get("admin_api_tls"):
        cfg.admin_api_tls = tls_config(rp["admin_api_tls"], "admin_api_tls")
    if rp.get("rpc_server_tls"):
        cfg.rpc_server_tls = tls_config(rp["rpc_server_tls"], "rpc_server_tls")
    if "admin" in rp:
        cfg.admin = parse_address(rp["admin"], 9644, "admin")
    if "rpc_server" in rp:
        cfg.rpc_server = parse_address(rp["rpc_server"], 33145, "rpc_server")
    if rp.get("advertised_rpc_api"):
        cfg.advertised_rpc_api = parse_address(
            rp["advertised_rpc_api"], 33145, "advertised_rpc_api"
        )
    cfg.seed_servers = [
        parse_address(s, 33145, "seed_servers") for s in rp.get("seed_servers") or []
    ]
    cfg.developer_mode = bool(rp.get("developer_mode", False))
    cfg.rack = rp.get("rack")
    proxy = doc.get("pandaproxy")
    if isinstance(proxy, dict):
        cfg.pandaproxy_api = parse_address(
            proxy.get("pandaproxy_api") or "0.0.0.0:8082", 8082, "pandaproxy_api"
        )
    registry = doc.get("schema_registry")
    if isinstance(registry, dict):
        cfg.schema_registry_api = parse_address(
            registry.get("schema_registry_api") or "0.0.0.0:8081", 8081, "schema_registry_api"
        )
    # Cluster properties set in the node file (Redpanda's bootstrap overrides), e.g. via --set.
    cfg.cluster_overrides = {k: v for k, v in rp.items() if k not in NODE_KEYS}
    cfg.raw = copy.deepcopy(doc)
    return cfg


# The node properties of redpanda.yaml's `redpanda:` section (rpk.md section 4.1); anything
# else there is a cluster property override. rpk's `cluster config lint` uses the same list.
NODE_KEYS = frozenset(
    {
        "data_directory",
        "node_id",
        "kafka_api",
        "advertised_kafka_api",
        "admin",
        "rpc_server",
        "rpc_server_tls",
        "advertised_rpc_api",
        "seed_servers",
        "developer_mode",
        "rack",
        "empty_seed_starts_cluster",
        "kafka_api_tls",
        "admin_api_tls",
        "recovery_mode_enabled",
        "crash_loop_limit",
        "cloud_storage_cache_directory",
        "admin_api_doc_dir",
        "dashboard_dir",
    }
)


def apply_set(doc: dict[str, Any], assignment: str) -> None:
    """Apply `--set redpanda.key=value` (or `key=value`, meaning `redpanda.key`) to a document."""
    key, sep, raw = assignment.partition("=")
    if not sep or not key.strip():
        raise NodeConfigError(f"--set expects key=value, got {assignment!r}")
    path = key.strip().split(".")
    sections = ("redpanda", "pandaproxy", "schema_registry", "rpk")
    if path[0] not in (*sections, "pandaproxy_client", "schema_registry_client"):
        path = ["redpanda", *path]
    import yaml

    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    node = doc
    for part in path[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise NodeConfigError(f"--set {key}: {part} is not a mapping")
    node[path[-1]] = value
