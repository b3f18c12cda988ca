"""Every tuner against a fake host: the check fails, tune fixes it, the re-check passes and a
second tune does nothing."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.support.hosts import NIC_IRQS, NVME_IRQS, SATA_IRQS, make_config, make_ctx
from tuners.context import TuneParams
from tuners.executors import DirectExecutor
from tuners.registry import TUNERS

FILE_TUNERS = sorted(set(TUNERS) - {"fstrim"})


def failing_descriptions(tunable) -> list[str]:
    return [r.description for r in (c.check() for c in tunable.checkers()) if not r.ok]


@pytest.mark.parametrize("name", FILE_TUNERS)
def test_check_fails_tune_fixes_second_tune_is_noop(host, name):
    tunable = TUNERS[name].build(make_ctx(host.root))
    assert tunable.check_if_supported() == (True, "")
    assert failing_descriptions(tunable), f"{name}: the fake host should start untuned"

    first = make_ctx(host.root)
    result = TUNERS[name].build(first).tune()
    assert result.ok and not result.skipped, result.error
    assert first.executor.executed

    again = make_ctx(host.root)
    rebuilt = TUNERS[name].build(again)
    assert failing_descriptions(rebuilt) == []
    second = rebuilt.tune()
    assert second.ok and second.skipped
    assert again.executor.executed == []


def test_sysctl_values_written(host):
    for name in ("swappiness", "aio_events", "net"):
        assert TUNERS[name].build(make_ctx(host.root)).tune().ok
    assert host.read("/proc/sys/vm/swappiness") == "1"
    assert host.read("/proc/sys/fs/aio-max-nr") == "1048576"
    assert host.read("/proc/sys/net/core/somaxconn") == "4096"
    assert host.read("/proc/sys/net/ipv4/tcp_max_syn_backlog") == "4096"
    assert host.read("/proc/sys/net/core/rps_sock_flow_entries") == "32768"


def test_disk_tuners_follow_the_data_directory_to_its_nvme_disk(host):
    for name in ("disk_scheduler", "disk_nomerges", "disk_write_cache", "disk_irq"):
        assert TUNERS[name].build(make_ctx(host.root)).tune().ok
    queue = "/sys/block/nvme0n1/queue"
    assert host.read(f"{queue}/scheduler") == "none"
    assert host.read(f"{queue}/nomerges") == "2"
    assert host.read(f"{queue}/write_cache") == "write through"
    assert host.read("/sys/block/sda/queue/scheduler").startswith("[mq-deadline]")  # untouched
    masks = [int(host.read(f"/proc/irq/{irq}/smp_affinity"), 16) for irq in NVME_IRQS]
    assert masks[:8] == [1 << cpu for cpu in range(8)]  # NVMe queues spread one per CPU
    assert masks[8] == 1  # the ninth wraps around


def test_sata_disk_in_sq_split_mode_pins_irqs_to_the_first_core(host):
    params = TuneParams(disks=["sda"], irq_mode="sq_split")
    assert TUNERS["disk_irq"].build(make_ctx(host.root, params=params)).tune().ok
    assert int(host.read(f"/proc/irq/{SATA_IRQS[0]}/smp_affinity"), 16) == 0b10001  # cpu0 + cpu4


def test_net_spreads_irqs_rps_rfs_xps(host):
    assert TUNERS["net"].build(make_ctx(host.root)).tune().ok
    queue_irqs = NIC_IRQS[1:]  # the link IRQ is not a fast-path IRQ
    masks = [int(host.read(f"/proc/irq/{irq}/smp_affinity"), 16) for irq in queue_irqs]
    assert masks == [1 << 0, 1 << 1, 1 << 2, 1 << 3]  # one per core
    assert host.read(f"/proc/irq/{NIC_IRQS[0]}/smp_affinity") == "ff"
    nic = "/sys/class/net/eth0/queues"
    assert int(host.read(f"{nic}/rx-0/rps_cpus").replace(",", ""), 16) == 0xFF
    assert host.read(f"{nic}/rx-3/rps_flow_cnt") == str(32768 // 4)
    assert int(host.read(f"{nic}/tx-1/xps_cpus"), 16) == (1 << 1) | (1 << 5)


def test_net_bans_irqs_when_irqbalance_runs(host):
    host.write("/proc/4242/comm", "irqbalance")
    host.write("/etc/default/irqbalance", 'OPTIONS="--foreground"')
    ctx = make_ctx(host.root)
    assert TUNERS["net"].build(ctx).tune().ok
    options = host.read("/etc/default/irqbalance")
    assert all(f"--banirq={irq}" in options for irq in NIC_IRQS[1:])
    assert options.startswith('OPTIONS="--foreground --banirq=')
    backups = [
        n for n in os.listdir(host.path("/etc/default")) if n.startswith("irqbalance.ailurus.")
    ]
    assert len(backups) == 1


def test_cpu_with_reboot_allowed_edits_grub_and_asks_for_a_reboot(host):
    ctx = make_ctx(host.root, params=TuneParams(reboot_allowed=True))
    result = TUNERS["cpu"].build(ctx).tune()
    assert result.ok and result.reboot_required
    grub = host.read("/etc/default/grub")
    assert (
        'GRUB_CMDLINE_LINUX="quiet intel_idle.max_cstate=0 processor.max_cstate=1 intel_pstate=disable"'
        in grub
    )
    assert host.read("/sys/devices/system/cpu/cpufreq/policy7/scaling_governor") == "performance"
    assert host.read("/sys/devices/system/cpu/cpufreq/boost") == "0"


def test_coredump_installs_script_and_pattern(host):
    assert TUNERS["coredump"].build(make_ctx(host.root)).tune().ok
    assert host.read("/proc/sys/kernel/core_pattern") == "|/var/lib/redpanda/save_coredump %e %t %p"
    script = host.path("/var/lib/redpanda/save_coredump")
    assert os.stat(script).st_mode & 0o777 == 0o777
    assert "core_dir=/var/lib/redpanda/coredump" in open(script).read()


@pytest.mark.parametrize(
    "dirname", ["o'brien cores", "a b", "$(touch pwned)", "x'; touch pwned; '"]
)
def test_coredump_script_saves_cores_under_any_directory_name(host, tmp_path, dirname):
    """The kernel runs the saved script; rpk.coredump_dir must reach it as one literal word."""
    core_dir = tmp_path / "dumps" / dirname
    config = make_config({"coredump_dir": str(core_dir)})
    assert TUNERS["coredump"].build(make_ctx(host.root, config=config)).tune().ok
    script = host.path("/var/lib/redpanda/save_coredump")
    done = subprocess.run(
        ["bash", script, "my prog", "1700000000", "42"],
        input=b"core bytes",
        capture_output=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert [p.read_bytes() for p in core_dir.iterdir()] == [b"core bytes"]
    assert [p.name for p in core_dir.iterdir()] == ["core.my prog-20231114T221320-42"]
    assert not (tmp_path / "pwned").exists()


def test_ballast_file_has_the_configured_size(host):
    assert TUNERS["ballast_file"].build(make_ctx(host.root)).tune().ok
    assert os.path.getsize(host.path("/var/lib/redpanda/data/ballast")) == 1024 * 1024


def test_direct_executor_skips_host_commands_under_a_temporary_root(host):
    host.write("/proc/4242/comm", "irqbalance")
    host.write("/etc/default/irqbalance", "OPTIONS=")
    ctx = make_ctx(host.root)
    assert TUNERS["net"].build(ctx).tune().ok
    restarts = [c for c in ctx.executor.executed if type(c).__name__ == "HostCommand"]
    assert [c.argv for c in restarts] == [("systemctl", "try-restart", "irqbalance")]
    assert isinstance(ctx.executor, DirectExecutor) and not ctx.fs.is_host  # so it did not run
