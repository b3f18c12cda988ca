"""What every tuner is built from: the filesystem seam, the executor, the config and the flags."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from typing import Any

from tuners.config import data_directory
from tuners.executors import Executor
from tuners.fs import RootFs

IRQ_MODES = ("sq", "sq_split", "mq")


@dataclass
class TuneParams:
    disks: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    nics: list[str] = field(default_factory=list)
    cpu_set: str = "all"
    irq_mode: str = ""  # sq | sq_split | mq; empty means computed from the topology
    reboot_allowed: bool = False

    def __post_init__(self) -> None:
        if self.irq_mode and self.irq_mode not in IRQ_MODES:
            raise ValueError(
                f"invalid IRQ mode {self.irq_mode!r}: use one of {', '.join(IRQ_MODES)}"
            )


@dataclass
class TuneContext:
    fs: RootFs
    executor: Executor
    config: dict[str, Any]
    params: TuneParams = field(default_factory=TuneParams)
    machine: str = field(default_factory=platform.machine)

    @property
    def dirs(self) -> list[str]:
        """--dirs, else the data directory (unless only --disks were given)."""
        if self.params.dirs:
            return list(self.params.dirs)
        if self.params.disks:
            return []
        data_dir = data_directory(self.config)
        return [data_dir] if data_dir else []
