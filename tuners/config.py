"""redpanda.yaml as the tuners need it: the `rpk:` tune_* switches, data directory, listeners."""

from __future__ import annotations

import copy
import os
from typing import Any

import yaml

DEFAULT_CONFIG_PATH = "/etc/redpanda/redpanda.yaml"
DEFAULT_DATA_DIR = "/var/lib/redpanda/data"
DEFAULT_COREDUMP_DIR = "/var/lib/redpanda/coredump"
DEFAULT_BALLAST_PATH = "/var/lib/redpanda/data/ballast"
DEFAULT_BALLAST_SIZE = "1GiB"

# Tuner name -> its switch in the `rpk:` section.
TUNER_SWITCHES = {
    "aio_events": "tune_aio_events",
    "ballast_file": "tune_ballast_file",
    "clocksource": "tune_clocksource",
    "coredump": "tune_coredump",
    "cpu": "tune_cpu",
    "disk_irq": "tune_disk_irq",
    "disk_nomerges": "tune_disk_nomerges",
    "disk_scheduler": "tune_disk_scheduler",
    "disk_write_cache": "tune_disk_write_cache",
    "fstrim": "tune_fstrim",
    "net": "tune_network",
    "swappiness": "tune_swappiness",
    "transparent_hugepages": "tune_transparent_hugepages",
}

# What rpk uses when no redpanda.yaml exists: development mode, every tuner off.
_DEV_DEFAULT: dict[str, Any] = {
    "redpanda": {
        "data_directory": DEFAULT_DATA_DIR,
        "seed_servers": [],
        "rpc_server": {"address": "0.0.0.0", "port": 33145},
        "kafka_api": [{"address": "0.0.0.0", "port": 9092}],
        "admin": [{"address": "0.0.0.0", "port": 9644}],
        "developer_mode": True,
    },
    "rpk": {"overprovisioned": True, "coredump_dir": DEFAULT_COREDUMP_DIR},
}


def load_config(path: str = DEFAULT_CONFIG_PATH) -> dict[str, Any]:
    """The parsed redpanda.yaml; rpk's development defaults when the file does not exist."""
    if not os.path.exists(path):
        return copy.deepcopy(_DEV_DEFAULT)
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except yaml.YAMLError as exc:
        raise ValueError(f"unable to parse {path}: {str(exc).splitlines()[0]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def section(config: dict[str, Any], name: str) -> dict[str, Any]:
    value = config.get(name)
    return value if isinstance(value, dict) else {}


def tuner_enabled(config: dict[str, Any], tuner: str) -> bool:
    return section(config, "rpk").get(TUNER_SWITCHES[tuner]) is True


def data_directory(config: dict[str, Any]) -> str:
    return str(section(config, "redpanda").get("data_directory") or "")


def listen_addresses(config: dict[str, Any]) -> list[str]:
    """The addresses of rpc_server and the first kafka_api listener (where NICs are found)."""
    redpanda = section(config, "redpanda")
    found = []
    rpc = redpanda.get("rpc_server")
    if isinstance(rpc, dict) and rpc.get("address") is not None:
        found.append(str(rpc["address"]))
    kafka = redpanda.get("kafka_api")
    if isinstance(kafka, dict):
        kafka = [kafka]
    if isinstance(kafka, list) and kafka and isinstance(kafka[0], dict):
        if kafka[0].get("address") is not None:
            found.append(str(kafka[0]["address"]))
    return found
