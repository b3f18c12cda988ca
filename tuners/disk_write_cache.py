"""disk_write_cache: 'write through' on GCP local SSDs, whose volatile cache is not needed."""

from __future__ import annotations

from tuners.common import all_of, file_tunable, writable
from tuners.context import TuneContext
from tuners.disk_common import choice_checker, per_device
from tuners.fs import RootFs
from tuners.system.disk import queue_file

EXPECTED = "write through"
DMI_PRODUCT = "/sys/class/dmi/id/product_name"
GCP_PRODUCT = "Google Compute Engine"
HELP = "Sets the write cache of GCP local NVMe disks to 'write through'. Only GCP is supported."


def on_gcp(fs: RootFs) -> bool:
    return GCP_PRODUCT in fs.read_or(DMI_PRODUCT, "")


def checker(fs: RootFs, device: str):
    path = queue_file(fs, device, "write_cache")
    return choice_checker(
        f"disk_write_cache_{device}",
        f"Disk '{device}' write cache",
        (EXPECTED,),
        lambda: fs.read(path),
    )


def build(ctx: TuneContext):
    fs = ctx.fs

    def gcp() -> tuple[bool, str]:
        return (
            (True, "") if on_gcp(fs) else (False, "Disk write cache tuner is only supported in GCP")
        )

    def child(device: str):
        path = queue_file(fs, device, "write_cache")
        return file_tunable(
            ctx, checker(fs, device), path, EXPECTED, all_of(gcp, writable(fs, path))
        )

    tunable = per_device(ctx, child)
    if not on_gcp(fs):
        tunable.unsupported_reason = "Disk write cache tuner is only supported in GCP"
    return tunable
