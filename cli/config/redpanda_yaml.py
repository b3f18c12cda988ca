"""redpanda.yaml: the node config rpk reads (its `rpk:` section, listeners) and edits."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

from cli.config.files import ConfigFileError, read_yaml, write_yaml
from cli.errors import UsageError
from core.config.node import NODE_KEYS  # noqa: F401 - the one list of node properties, re-exported

DEFAULT_PATH = Path("/etc/redpanda/redpanda.yaml")
KAFKA_PORT, ADMIN_PORT, RPC_PORT, REGISTRY_PORT, PROXY_PORT = 9092, 9644, 33145, 8081, 8082

# What rpk recognises in redpanda.yaml (rpk.md §4.1, §4.2); `rpk cluster config lint` drops the rest.
SECTIONS = (
    "redpanda",
    "rpk",
    "pandaproxy",
    "pandaproxy_client",
    "schema_registry",
    "schema_registry_client",
    "audit_log_client",
)
TUNERS = (
    "tune_network",
    "tune_disk_scheduler",
    "tune_disk_nomerges",
    "tune_disk_write_cache",
    "tune_disk_irq",
    "tune_fstrim",
    "tune_cpu",
    "tune_aio_events",
    "tune_clocksource",
    "tune_swappiness",
    "tune_transparent_hugepages",
    "tune_coredump",
    "tune_ballast_file",
)
# The cluster properties `rpk redpanda start --mode dev-container` writes into the `redpanda:` section.
DEV_CONTAINER_PROPERTIES = {
    "auto_create_topics_enabled": True,
    "group_topic_partitions": 3,
    "storage_min_free_bytes": 10485760,
    "topic_partitions_per_shard": 1000,
    "fetch_reads_debounce_timeout": 10,
    "group_initial_rebalance_delay": 0,
    "log_segment_size_min": 1,
    "write_caching_default": "true",
}
RPK_KEYS = frozenset(
    {
        "kafka_api",
        "admin_api",
        "schema_registry",
        "additional_start_flags",
        "enable_memory_locking",
        "overprovisioned",
        "smp",
        "coredump_dir",
        "ballast_file_path",
        "ballast_file_size",
        "well_known_io",
        *TUNERS,
    }
)

_DEV_DEFAULT: dict = {
    "redpanda": {
        "data_directory": "/var/lib/redpanda/data",
        "seed_servers": [],
        "rpc_server": {"address": "0.0.0.0", "port": RPC_PORT},
        "kafka_api": [{"address": "0.0.0.0", "port": KAFKA_PORT}],
        "admin": [{"address": "0.0.0.0", "port": ADMIN_PORT}],
        "developer_mode": True,
    },
    "rpk": {"overprovisioned": True, "coredump_dir": "/var/lib/redpanda/coredump"},
    "pandaproxy": {},
    "schema_registry": {},
}


def dev_default() -> dict:
    """rpk's `DevDefault()`: what rpk assumes when no redpanda.yaml exists."""
    return copy.deepcopy(_DEV_DEFAULT)


def candidate_paths() -> list[Path]:
    return [Path.cwd() / "redpanda.yaml", DEFAULT_PATH]


def find_path(explicit: Path | None) -> Path | None:
    """The redpanda.yaml to read: --config, else $PWD/redpanda.yaml, else /etc/redpanda/redpanda.yaml."""
    if explicit is not None:
        return explicit
    for path in candidate_paths():
        if path.is_file():
            return path
    return None


def write_target(explicit: Path | None) -> Path:
    return find_path(explicit) or DEFAULT_PATH


def load(path: Path | None) -> dict | None:
    if path is None:
        return None
    doc = read_yaml(path)
    if doc is None:
        return None
    if not isinstance(doc, dict):
        raise ConfigFileError(f"unable to parse {path}: expected a YAML mapping")
    return doc


def load_or_default(path: Path) -> dict:
    doc = load(path)
    return dev_default() if doc is None else doc


def save(path: Path, doc: dict) -> bool:
    return write_yaml(path, doc)


_SEGMENT = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")


def _split_key(key: str) -> list[str | int]:
    steps: list[str | int] = []
    for part in key.split("."):
        match = _SEGMENT.fullmatch(part)
        if not match:
            raise UsageError(f"invalid config key {key!r}")
        steps.append(match.group(1))
        steps.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return steps


def parse_value(raw: str) -> Any:
    """Values are YAML (so JSON too); anything unparsable stays a string."""
    try:
        return yaml.safe_load(raw) if raw.strip() else raw
    except yaml.YAMLError:
        return raw


def set_key(doc: dict, key: str, value: Any) -> None:
    """Set `a.b[0].c` in `doc`, creating mappings and growing lists by one as needed."""
    steps = _split_key(key)
    node: Any = doc
    for step, nxt in zip(steps, steps[1:]):
        node = _child(node, step, [] if isinstance(nxt, int) else {}, key)
    _assign(node, steps[-1], value, key)


def _child(node: Any, step: str | int, empty: Any, key: str) -> Any:
    current = _read(node, step, key)
    if isinstance(current, (dict, list)):
        return current
    _assign(node, step, empty, key)
    return empty


def _read(node: Any, step: str | int, key: str) -> Any:
    if isinstance(step, int):
        if not isinstance(node, list):
            raise UsageError(f"invalid config key {key!r}: not a list")
        return node[step] if step < len(node) else None
    if not isinstance(node, dict):
        raise UsageError(f"invalid config key {key!r}: not a mapping")
    return node.get(step)


def _assign(node: Any, step: str | int, value: Any, key: str) -> None:
    if isinstance(step, int):
        if not isinstance(node, list) or step > len(node):
            raise UsageError(f"invalid config key {key!r}: index {step} out of range")
        if step == len(node):
            node.append(value)
        else:
            node[step] = value
        return
    if not isinstance(node, dict):
        raise UsageError(f"invalid config key {key!r}: not a mapping")
    node[step] = value


def listener_hosts(doc: dict, section: str, default_port: int) -> list[str]:
    """host:port of listeners in `redpanda.<section>`, local addresses first (0.0.0.0 → 127.0.0.1)."""
    listeners = (doc.get("redpanda") or {}).get(section) or []
    if isinstance(listeners, dict):
        listeners = [listeners]
    hosts = []
    for item in listeners:
        if not isinstance(item, dict):
            continue
        address = str(item.get("address") or "127.0.0.1")
        if address in ("0.0.0.0", "::", ""):
            address = "127.0.0.1"
        hosts.append(f"{address}:{item.get('port') or default_port}")
    return sorted(hosts, key=_locality)


def _locality(hostport: str) -> int:
    host = hostport.rsplit(":", 1)[0]
    if host == "localhost":
        return 0
    if host.startswith("127.") or host == "::1":
        return 1
    if host.startswith(("10.", "192.168.", "172.")):
        return 2
    return 3
