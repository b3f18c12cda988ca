"""Checkers about the host and the config itself (the ones with no tuner behind them)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil

from tuners.base import Checker, Severity, at_least_checker
from tuners.config import section
from tuners.fs import RootFs
from tuners.system.cpu import online_cpus
from tuners.units import parse_cpu_list

MIN_FREE_GB = 10
MIN_MEMORY_PER_CPU_MB = 2048
MIN_KERNEL = (3, 19)
TIME_ERROR = 5  # adjtimex() state when the clock is not synchronised


def config_problems(config: dict) -> list[str]:
    redpanda, rpk = section(config, "redpanda"), section(config, "rpk")
    problems = []
    if not redpanda.get("data_directory"):
        problems.append("redpanda.data_directory is empty")
    node_id = redpanda.get("node_id")
    if node_id is not None and (not isinstance(node_id, int) or node_id < 0):
        problems.append("redpanda.node_id must be an integer >= 0")
    rpc = redpanda.get("rpc_server")
    if not isinstance(rpc, dict) or not rpc.get("address") or not rpc.get("port"):
        problems.append("redpanda.rpc_server needs an address and a port")
    kafka = redpanda.get("kafka_api")
    first = kafka[0] if isinstance(kafka, list) and kafka else kafka
    if not isinstance(first, dict) or not first.get("address") or not first.get("port"):
        problems.append("redpanda.kafka_api needs an address and a port")
    if rpk.get("tune_coredump") is True and not rpk.get("coredump_dir"):
        problems.append("rpk.coredump_dir is required when rpk.tune_coredump is true")
    return problems


def config_checker(config: dict) -> Checker:
    return Checker(
        "config_file",
        "Config file valid",
        Severity.FATAL,
        "valid",
        lambda: (config_problems(config) or ["valid"])[0],
        lambda v: v == "valid",
    )


def data_dir_writable(fs: RootFs, data_dir: str) -> Checker:
    def read() -> str:
        real = fs.path(data_dir)
        return "writable" if os.path.isdir(real) and os.access(real, os.W_OK) else "not writable"

    return Checker(
        "data_dir_writable",
        "Data directory is writable",
        Severity.FATAL,
        "writable",
        read,
        lambda v: v == "writable",
    )


def free_space_gb(fs: RootFs, data_dir: str) -> Checker:
    read = lambda: round(shutil.disk_usage(fs.path(data_dir)).free / 1e9, 2)
    return at_least_checker("free_space", "Data partition free space [GB]", MIN_FREE_GB, read)


def meminfo_kb(fs: RootFs) -> dict[str, int]:
    found = {}
    for line in fs.read_or("/proc/meminfo", "").splitlines():
        key, _, rest = line.partition(":")
        if rest.split() and rest.split()[0].isdigit():
            found[key.strip()] = int(rest.split()[0])
    return found


def _cgroup_memory_bytes(fs: RootFs) -> int | None:
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        text = fs.read_or(path, "max")
        if text.isdigit():
            return int(text)
    return None


def _cpu_count(fs: RootFs) -> int:
    effective = fs.read_or("/sys/fs/cgroup/cpuset.cpus.effective", "")
    return len(parse_cpu_list(effective)) if effective else len(online_cpus(fs))


def memory_per_cpu_mb(fs: RootFs) -> Checker:
    def read() -> int:
        total = meminfo_kb(fs).get("MemTotal")
        if total is None:
            raise ValueError("MemTotal missing from /proc/meminfo")
        limit = _cgroup_memory_bytes(fs)
        usable = min(total * 1024, limit) if limit else total * 1024
        return usable // _cpu_count(fs) // (1024 * 1024)

    return at_least_checker(
        "memory_per_cpu", "Free memory per CPU [MB]", MIN_MEMORY_PER_CPU_MB, read
    )


def swap_enabled(fs: RootFs) -> Checker:
    return Checker(
        "swap",
        "Swap enabled",
        Severity.WARNING,
        "true",
        lambda: str(meminfo_kb(fs).get("SwapTotal", 0) > 0).lower(),
        lambda v: v == "true",
    )


def filesystem_type(fs: RootFs, data_dir: str) -> Checker:
    def read() -> str:
        target, best, kind = fs.realpath(data_dir), "", ""
        for line in fs.read("/proc/mounts").splitlines():
            fields = line.split()
            if len(fields) < 3:
                continue
            mount = fields[1].replace("\\040", " ")
            inside = target == mount or target.startswith(mount.rstrip("/") + "/")
            if inside and len(mount) >= len(best):
                best, kind = mount, fields[2]
        return kind or "unknown"

    return Checker(
        "fs_type",
        "Data directory filesystem type",
        Severity.WARNING,
        "xfs",
        read,
        lambda v: v == "xfs",
    )


def io_config_present(config_path: str) -> Checker:
    path = os.path.join(os.path.dirname(os.path.abspath(config_path)), "io-config.yaml")
    return Checker(
        "io_config",
        "I/O config file present",
        Severity.WARNING,
        path,
        lambda: path if os.path.exists(path) else "missing",
        lambda v: v == path,
    )


def kernel_version(fs: RootFs) -> Checker:
    def read() -> str:
        return fs.read("/proc/sys/kernel/osrelease")

    def accept(release: str) -> bool:
        numbers = [int(p) for p in release.split("-")[0].split(".")[:2] if p.isdigit()]
        return tuple(numbers) >= MIN_KERNEL

    return Checker("kernel_version", "Kernel Version", Severity.WARNING, ">= 3.19", read, accept)


def ntp_synced(fs: RootFs) -> Checker:
    def read() -> str:
        if not fs.is_host:
            raise OSError(f"the clock state is read from the host, not from root {fs.root}")
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        timex = ctypes.create_string_buffer(512)  # struct timex; modes = 0 only reads
        state = libc.adjtimex(timex)
        if state < 0:
            raise OSError(ctypes.get_errno(), "adjtimex failed")
        return "false" if state == TIME_ERROR else "true"

    return Checker("ntp", "NTP Synced", Severity.WARNING, "true", read, lambda v: v == "true")
