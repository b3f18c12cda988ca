"""Network interfaces: which ones to tune, their queues and their fast-path IRQs."""

from __future__ import annotations

import re

import psutil

from tuners.base import TunerError
from tuners.fs import RootFs
from tuners.system.irq import device_irqs, interrupt_names

NET_DIR = "/sys/class/net"
WILDCARD_ADDRESSES = ("", "0.0.0.0", "::", "[::]")
_FAST_PATH = re.compile(r"-(TxRx|txrx|rx|tx|Rx|Tx|fp|input|output)[-.]?\d*")


def is_virtual(fs: RootFs, nic: str) -> bool:
    return "/devices/virtual/" in fs.realpath(f"{NET_DIR}/{nic}") or not fs.exists(
        f"{NET_DIR}/{nic}/device"
    )


def bond_slaves(fs: RootFs, nic: str) -> list[str]:
    return fs.read_or(f"{NET_DIR}/{nic}/bonding/slaves", "").split()


def physical_nics(fs: RootFs, nics: list[str]) -> tuple[list[str], list[str]]:
    """(physical NICs to tune, notes on skipped ones); bonds are replaced by their slaves."""
    found: list[str] = []
    notes: list[str] = []
    pending = list(nics)
    for _ in range(64):  # bonds nest rarely; bound the walk anyway
        if not pending:
            break
        nic = pending.pop(0)
        if not fs.exists(f"{NET_DIR}/{nic}"):
            raise TunerError(f"network interface {nic} does not exist")
        slaves = bond_slaves(fs, nic)
        if slaves:
            pending.extend(slaves)
        elif is_virtual(fs, nic):
            notes.append(f"{nic} is a virtual interface, skipped")
        elif nic not in found:
            found.append(nic)
    return found, notes


def nics_for_addresses(fs: RootFs, addresses: list[str]) -> list[str]:
    """The NICs owning the listener addresses; a wildcard address means every NIC."""
    if any(a in WILDCARD_ADDRESSES for a in addresses):
        return [n for n in fs.listdir(NET_DIR) if n != "lo"]
    by_address = {
        addr.address: nic for nic, addrs in psutil.net_if_addrs().items() for addr in addrs
    }
    return sorted({by_address[a] for a in addresses if a in by_address})


def queues(fs: RootFs, nic: str, kind: str) -> list[str]:
    """Host paths of /sys/class/net/<nic>/queues/<kind>-<n> ('rx' or 'tx'), in queue order."""
    names = [n for n in fs.listdir(f"{NET_DIR}/{nic}/queues") if n.startswith(kind + "-")]
    names.sort(key=lambda n: int(n.split("-")[1]) if n.split("-")[1].isdigit() else 0)
    return [f"{NET_DIR}/{nic}/queues/{n}" for n in names]


def nic_irqs(fs: RootFs, nic: str) -> list[int]:
    """The NIC's IRQs, keeping only fast-path (queue) IRQs when /proc/interrupts names them."""
    irqs = device_irqs(fs, f"{NET_DIR}/{nic}/device")
    names = interrupt_names(fs)
    fast = [i for i in irqs if _FAST_PATH.search(names.get(i, ""))]
    return fast or irqs
