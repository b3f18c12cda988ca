"""Block devices behind directories, and their sysfs queue files."""

from __future__ import annotations

import os

from tuners.base import TunerError
from tuners.fs import RootFs


def devices_for_dir(fs: RootFs, host_dir: str) -> list[str]:
    """The whole-disk device names holding `host_dir` (dm/md devices are followed to slaves)."""
    try:
        st_dev = os.stat(fs.path(host_dir)).st_dev
    except FileNotFoundError:
        raise TunerError(f"directory {host_dir} does not exist") from None
    node = f"/sys/dev/block/{os.major(st_dev)}:{os.minor(st_dev)}"
    if not fs.exists(node):
        raise TunerError(f"unable to find the block device of {host_dir} ({node} is missing)")
    return _whole_disks(fs, fs.realpath(node), depth_left=8)


def _whole_disks(fs: RootFs, syspath: str, depth_left: int) -> list[str]:
    if fs.exists(f"{syspath}/partition"):
        syspath = syspath.rsplit("/", 1)[0]
    slaves = fs.listdir(f"{syspath}/slaves")
    if not slaves or depth_left == 0:
        return [syspath.rsplit("/", 1)[1]]
    found: list[str] = []
    for slave in slaves:
        found.extend(_whole_disks(fs, fs.realpath(f"{syspath}/slaves/{slave}"), depth_left - 1))
    return sorted(set(found))


def all_devices(fs: RootFs, disks: list[str], dirs: list[str]) -> list[str]:
    found = set(disks)
    for host_dir in dirs:
        found.update(devices_for_dir(fs, host_dir))
    return sorted(found)


def queue_file(fs: RootFs, device: str, feature: str) -> str:
    """/sys/block/<dev>/queue/<feature>, falling back to the parent (whole) device."""
    own = f"/sys/block/{device}/queue/{feature}"
    if fs.exists(own) or not fs.exists(f"/sys/class/block/{device}/partition"):
        return own
    parent = fs.realpath(f"/sys/class/block/{device}").rsplit("/", 2)[1]
    return f"/sys/block/{parent}/queue/{feature}"


def device_path(device: str) -> str:
    return f"/sys/class/block/{device}"


def is_nvme(device: str) -> bool:
    return device.startswith("nvme")


def active_choice(text: str) -> str:
    """The [bracketed] entry of a sysfs choice file ('[none] mq-deadline' -> 'none')."""
    for word in text.split():
        if word.startswith("[") and word.endswith("]"):
            return word[1:-1]
    return text.strip()


def choices(text: str) -> list[str]:
    return [w.strip("[]") for w in text.split()]
