"""CPU topology from sysfs: online CPUs, cores (hyperthread siblings), the allowed CPU set."""

from __future__ import annotations

from tuners.base import TunerError
from tuners.fs import RootFs
from tuners.units import parse_cpu_list

CPU_DIR = "/sys/devices/system/cpu"


def online_cpus(fs: RootFs) -> list[int]:
    text = fs.read_or(f"{CPU_DIR}/online", "")
    if text:
        return parse_cpu_list(text)
    found = [int(n[3:]) for n in fs.listdir(CPU_DIR) if n.startswith("cpu") and n[3:].isdigit()]
    if not found:
        raise TunerError(f"unable to find CPUs under {CPU_DIR}")
    return sorted(found)


def allowed_cpus(fs: RootFs, cpu_set: str) -> list[int]:
    """The online CPUs inside `cpu_set` ('all' or cpuset(7) syntax)."""
    online = online_cpus(fs)
    if cpu_set.strip() in ("", "all"):
        return online
    wanted = set(parse_cpu_list(cpu_set))
    chosen = [c for c in online if c in wanted]
    if not chosen:
        raise TunerError(f"--cpu-set {cpu_set!r} selects no online CPU (online: {len(online)})")
    return chosen


def cores(fs: RootFs, cpus: list[int]) -> list[list[int]]:
    """`cpus` grouped by physical core (package id, core id), in CPU order."""
    groups: dict[tuple[str, str], list[int]] = {}
    for cpu in cpus:
        topo = f"{CPU_DIR}/cpu{cpu}/topology"
        key = (
            fs.read_or(f"{topo}/physical_package_id", "0"),
            fs.read_or(f"{topo}/core_id", f"c{cpu}"),
        )
        groups.setdefault(key, []).append(cpu)
    return sorted(groups.values(), key=lambda g: g[0])


def cpufreq_policies(fs: RootFs) -> list[str]:
    """Host paths of /sys/devices/system/cpu/cpufreq/policy<N> that expose a governor."""
    base = f"{CPU_DIR}/cpufreq"
    names = [n for n in fs.listdir(base) if n.startswith("policy") and n[6:].isdigit()]
    names.sort(key=lambda n: int(n[6:]))
    return [f"{base}/{n}" for n in names if fs.exists(f"{base}/{n}/scaling_governor")]
