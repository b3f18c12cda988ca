"""net: NIC IRQ affinity, RPS, RFS, XPS and ntuple per physical NIC, plus the socket backlog
and RFS table sysctls (somaxconn and tcp_max_syn_backlog are per network namespace)."""

from __future__ import annotations

import shutil
import subprocess

from tuners.base import Checker, TunerError, at_least_checker, equality_checker
from tuners.checked import AggregatedTunable, CheckedTunable
from tuners.common import file_tunable, sysctl_reader, sysctl_tunable
from tuners.config import listen_addresses
from tuners.context import TuneContext
from tuners.executors.commands import ethtool_feature
from tuners.fs import RootFs
from tuners.irq_affinity import EmptyMsiIrqsTunable, irq_affinity_tunable
from tuners.system.cpu import allowed_cpus, cores
from tuners.system.irq import EmptyMsiIrqs, distribute, mode_cpus
from tuners.system.network import nic_irqs, nics_for_addresses, physical_nics, queues
from tuners.units import cpus_to_mask, format_mask, parse_mask

RFS_TABLE_ENTRIES = 32768
BACKLOG_MIN = 4096
SYSCTL_MINIMUMS = (
    ("net.core.rps_sock_flow_entries", "rfs_table", "RFS table entries", RFS_TABLE_ENTRIES),
    ("net.core.somaxconn", "somaxconn", "Listen backlog (somaxconn)", BACKLOG_MIN),
    ("net.ipv4.tcp_max_syn_backlog", "syn_backlog", "SYN backlog", BACKLOG_MIN),
)
# rpk's `rpk redpanda tune help` text for this tuner, as rpk prints it
HELP = """
This tuner distributes the NIC IRQs and queues according to the specified mode.
For the RPS and IRQs distribution the tuner uses only those CPUs that
are allowed by the provided CPU masks.

This tuner performs the following operations:

\t- Setup NIC IRQs affinity
\t- Setup NIC RPS and RFS
\t- Setup NIC XPS
\t- Increase socket listen backlog
\t- Increase number of remembered connection requests
\t- Ban the IRQ Balance service from moving distributed IRQs

Modes description:

\tsq - set all IRQs of a given NIC to CPU0 and configure RPS
\t\tto spreads NAPIs' handling between other CPUs.

\tsq_split - divide all IRQs of a given NIC between CPU0 and its HT siblings
\t\t\tand configure RPS to spread NAPIs' handling between other CPUs.

\tmq - distribute NIC's IRQs among all CPUs instead of binding
\t\tthem all to CPU0. In this mode RPS is always enabled to
\t\tspread NAPIs' handling between all CPUs.

If there isn't any mode given script will use a default mode:

\t- If number of physical CPU cores per Rx HW queue
\t  is greater than 4 - use the 'sq-split' mode.
\t- Otherwise, if number of hyper-threads per Rx HW queue
\t  is greater than 4 - use the 'sq' mode.
\t- Otherwise use the 'mq' mode."""


def sysctl_checkers(fs: RootFs) -> list[tuple[Checker, str, int]]:
    """(checker, key, minimum) for every sysctl present in this network namespace."""
    found = []
    for key, checker_id, description, minimum in SYSCTL_MINIMUMS:
        if fs.exists("/proc/sys/" + key.replace(".", "/")):
            checker = at_least_checker(checker_id, description, minimum, sysctl_reader(fs, key))
            found.append((checker, key, minimum))
    return found


def default_mode(rx_queue_count: int, cpus: list[int], core_count: int) -> str:
    if core_count / max(1, rx_queue_count) > 4:
        return "sq_split"
    if len(cpus) / max(1, rx_queue_count) > 4:
        return "sq"
    return "mq"


def xps_masks(tx_queue_count: int, cpus: list[int]) -> list[int]:
    """Transmit queue i gets every CPU whose index is i modulo the queue count."""
    if len(cpus) >= tx_queue_count:
        return [cpus_to_mask(cpus[i::tx_queue_count]) for i in range(tx_queue_count)]
    return [cpus_to_mask([cpus[i % len(cpus)]]) for i in range(tx_queue_count)]


def _mask_tunable(
    ctx: TuneContext, checker_id: str, description: str, path: str, mask: int, width: int
) -> CheckedTunable:
    fs, wanted = ctx.fs, format_mask(mask, width)
    read = lambda: format_mask(parse_mask(fs.read(path)), width)
    return file_tunable(ctx, equality_checker(checker_id, description, wanted, read), path, wanted)


def nic_children(ctx: TuneContext, nic: str, cpus: list[int]) -> list[CheckedTunable]:
    fs, width = ctx.fs, max(cpus) + 1
    rx, tx = queues(fs, nic, "rx"), queues(fs, nic, "tx")
    mode = ctx.params.irq_mode or default_mode(len(rx), cpus, len(cores(fs, cpus)))
    irq_cpus, compute_cpus = mode_cpus(mode, cores(fs, cpus))
    irqs = nic_irqs(fs, nic)
    if mode == "mq":
        expected = distribute(irqs, irq_cpus)
    else:
        expected = {irq: cpus_to_mask(irq_cpus) for irq in irqs}
    children = [
        irq_affinity_tunable(ctx, f"nic_irq_{nic}", f"NIC {nic} IRQ affinity", expected, width)
    ]
    for queue in rx:
        name = queue.rsplit("/", 1)[1]
        children.append(
            _mask_tunable(
                ctx,
                f"rps_{nic}_{name}",
                f"NIC {nic} RPS {name}",
                f"{queue}/rps_cpus",
                cpus_to_mask(compute_cpus),
                width,
            )
        )
        flows = RFS_TABLE_ENTRIES // len(rx)
        read_flows = lambda q=queue: fs.read_int(f"{q}/rps_flow_cnt")
        rfs = equality_checker(f"rfs_{nic}_{name}", f"NIC {nic} RFS {name}", flows, read_flows)
        children.append(file_tunable(ctx, rfs, f"{queue}/rps_flow_cnt", str(flows)))
    # The kernel refuses to show xps_cpus on a single-queue NIC; XPS only matters with several.
    for queue, mask in zip(tx if len(tx) > 1 else [], xps_masks(len(tx), cpus)):
        name = queue.rsplit("/", 1)[1]
        children.append(
            _mask_tunable(
                ctx, f"xps_{nic}_{name}", f"NIC {nic} XPS {name}", f"{queue}/xps_cpus", mask, width
            )
        )
    ntuple = _ntuple_tunable(ctx, nic)
    return children + ([ntuple] if ntuple else [])


def _ethtool_features(nic: str) -> str:
    done = subprocess.run(
        ["ethtool", "-k", nic], capture_output=True, text=True, timeout=10, check=False
    )
    return done.stdout if done.returncode == 0 else ""


def _ntuple_state(nic: str) -> str:
    for line in _ethtool_features(nic).splitlines():
        if line.strip().startswith("ntuple-filters:"):
            return line.split(":", 1)[1].strip()
    return ""


def _ntuple_tunable(ctx: TuneContext, nic: str) -> CheckedTunable | None:
    """ntuple on, where ethtool can see the NIC (only on the real host) and may change it."""
    if not ctx.fs.is_host or not shutil.which("ethtool"):
        return None
    state = _ntuple_state(nic)
    if not state or "fixed" in state:
        return None
    checker = equality_checker(
        f"ntuple_{nic}", f"NIC {nic} ntuple filters", "on", lambda: _ntuple_state(nic)
    )
    act = lambda ex: ex.execute(ethtool_feature(nic, "ntuple", True))
    return CheckedTunable([checker], act, ctx.executor)


def _nics(ctx: TuneContext) -> list[str]:
    return ctx.params.nics or nics_for_addresses(ctx.fs, listen_addresses(ctx.config))


def build(ctx: TuneContext):
    fs = ctx.fs
    children: list = []
    try:
        nics, notes = physical_nics(fs, _nics(ctx))
        if nics:
            cpus = allowed_cpus(fs, ctx.params.cpu_set)
            for nic in nics:
                children.extend(nic_children(ctx, nic, cpus))
    except EmptyMsiIrqs as exc:  # rpk reads every NIC's IRQs before it tunes anything
        return AggregatedTunable([EmptyMsiIrqsTunable(exc, "nic_irq", "NIC IRQ affinity")])
    except (TunerError, ValueError) as exc:
        return AggregatedTunable([], unsupported_reason=str(exc))
    for checker, key, minimum in sysctl_checkers(fs):
        children.append(sysctl_tunable(ctx, checker, key, minimum))
    return AggregatedTunable(children, notes=notes)
