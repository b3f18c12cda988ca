"""`rpk redpanda check` and the pre-start check: run every checker, sorted by description.

`run_checks(config, root)` returns CheckResults; `fatal_failures(results)` lists the ones that
must stop `rpk redpanda start` unless --check=false.
"""

from __future__ import annotations

from tuners import (
    aio_events,
    ballast_file,
    clocksource,
    disk_write_cache,
    fstrim,
    host_checks,
    swappiness,
    transparent_hugepages,
)
from tuners.base import Checker, CheckResult
from tuners.config import DEFAULT_CONFIG_PATH, data_directory, tuner_enabled
from tuners.context import TuneContext, TuneParams
from tuners.executors import DirectExecutor
from tuners.fs import RootFs
from tuners.registry import TUNERS

# Tuners whose checkers also apply to the data directory's disks and the listener NICs.
_TUNER_CHECKS = ("disk_irq", "disk_nomerges", "disk_scheduler", "net")


def checkers(
    config: dict, root: str = "/", config_path: str = DEFAULT_CONFIG_PATH
) -> list[Checker]:
    fs = RootFs(root)
    data_dir = data_directory(config)
    found = [host_checks.config_checker(config)]
    if data_dir:
        found += [
            host_checks.data_dir_writable(fs, data_dir),
            host_checks.free_space_gb(fs, data_dir),
            host_checks.filesystem_type(fs, data_dir),
        ]
    found += [
        host_checks.memory_per_cpu_mb(fs),
        host_checks.swap_enabled(fs),
        host_checks.io_config_present(config_path),
        host_checks.kernel_version(fs),
        host_checks.ntp_synced(fs),
        transparent_hugepages.checker(fs),
        fstrim.checker(fs),
        aio_events.checker(fs),
        clocksource.checker(fs),
        swappiness.checker(fs),
    ]
    if tuner_enabled(config, "ballast_file"):
        found.append(ballast_file.checker(fs, config))
    found += _tuner_checkers(fs, config, data_dir)
    return found


def _tuner_checkers(fs: RootFs, config: dict, data_dir: str) -> list[Checker]:
    params = TuneParams(dirs=[data_dir] if data_dir else [])
    ctx = TuneContext(fs, DirectExecutor(fs), config, params)  # checks never execute anything
    names = [*_TUNER_CHECKS, *(["disk_write_cache"] if disk_write_cache.on_gcp(fs) else [])]
    found: list[Checker] = []
    for name in names:
        tunable = TUNERS[name].build(ctx)
        if tunable.check_if_supported()[0]:
            found.extend(tunable.checkers())
    return found


def run_checks(
    config: dict, root: str = "/", config_path: str = DEFAULT_CONFIG_PATH
) -> list[CheckResult]:
    results = [checker.check() for checker in checkers(config, root, config_path)]
    return sorted(results, key=lambda r: r.description)


def fatal_failures(results: list[CheckResult]) -> list[CheckResult]:
    return [r for r in results if r.is_fatal_failure]
