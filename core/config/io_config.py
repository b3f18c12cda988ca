"""io-config.yaml (written by `rpk iotune`): the measured I/O capacity of each data disk.

load_io_config(path) returns the validated mapping, or None when the file does not exist.
"""

from __future__ import annotations

import os
from typing import Any

import yaml

DISK_FIELDS = ("read_iops", "read_bandwidth", "write_iops", "write_bandwidth")


class IoConfigError(ValueError):
    """io-config.yaml exists but is not valid."""


def load_io_config(path: str) -> dict[str, Any] | None:
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except yaml.YAMLError as exc:
        raise IoConfigError(f"{path}: invalid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict) or not isinstance(data.get("disks"), list) or not data["disks"]:
        raise IoConfigError(f"{path}: expected a 'disks' list with at least one entry")
    for index, disk in enumerate(data["disks"]):
        _validate_disk(path, index, disk)
    mountpoints = [d["mountpoint"] for d in data["disks"]]
    if len(set(mountpoints)) != len(mountpoints):
        raise IoConfigError(f"{path}: a mountpoint is listed more than once")
    return data


def _validate_disk(path: str, index: int, disk: Any) -> None:
    where = f"{path}: disks[{index}]"
    if not isinstance(disk, dict):
        raise IoConfigError(f"{where}: expected a mapping")
    mountpoint = disk.get("mountpoint")
    if not isinstance(mountpoint, str) or not mountpoint.startswith("/"):
        raise IoConfigError(f"{where}: mountpoint must be an absolute path")
    for field in DISK_FIELDS:
        value = disk.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise IoConfigError(f"{where}: {field} must be a positive integer, got {value!r}")
    unknown = set(disk) - {"mountpoint", *DISK_FIELDS}
    if unknown:
        raise IoConfigError(f"{where}: unknown keys {sorted(unknown)}")
