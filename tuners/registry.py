"""Tuner name -> module (build(ctx), HELP), in rpk's order, and whether redpanda.yaml enables it."""

from __future__ import annotations

from types import ModuleType

from tuners import (
    aio_events,
    ballast_file,
    clocksource,
    coredump,
    cpu,
    disk_irq,
    disk_nomerges,
    disk_scheduler,
    disk_write_cache,
    fstrim,
    net,
    swappiness,
    transparent_hugepages,
)

TUNERS: dict[str, ModuleType] = {
    "aio_events": aio_events,
    "ballast_file": ballast_file,
    "clocksource": clocksource,
    "coredump": coredump,
    "cpu": cpu,
    "disk_irq": disk_irq,
    "disk_nomerges": disk_nomerges,
    "disk_scheduler": disk_scheduler,
    "disk_write_cache": disk_write_cache,
    "fstrim": fstrim,
    "net": net,
    "swappiness": swappiness,
    "transparent_hugepages": transparent_hugepages,
}

# `rpk redpanda tune help nomerges` is what rpk documents; accept both spellings.
HELP_ALIASES = {"nomerges": "disk_nomerges"}

# Enabled but unsupported is an error (exit 1) for every tuner except these.
UNSUPPORTED_IS_FINE = frozenset({"disk_write_cache", "clocksource"})


def available() -> list[str]:
    return sorted(TUNERS)


def help_text(name: str) -> str:
    module = TUNERS.get(HELP_ALIASES.get(name, name))
    if module is None:
        keys = ", ".join(sorted([*TUNERS, *HELP_ALIASES]))
        raise KeyError(f"no help found for tuner '{name}'; available: {keys}")
    return module.HELP
