"""Units, the irqbalance edit (Python and its awk twin agree), and the check/tune contract."""

from __future__ import annotations

import subprocess

import pytest

from tuners.base import Checker, Severity
from tuners.checked import CheckedTunable
from tuners.executors import DirectExecutor, ScriptRenderingExecutor
from tuners.executors.ban_irqs import BanIrqs
from tuners.fs import RootFs
from tuners.units import format_mask, parse_cpu_list, parse_duration_s, parse_mask, parse_size_bytes


def test_units():
    assert parse_size_bytes("1GiB") == 1 << 30 and parse_size_bytes("100MB") == 100_000_000
    assert parse_duration_s("10m") == 600 and parse_duration_s("1h30m") == 5400
    assert parse_duration_s("500ms") == 0.5 and parse_duration_s("1") == 1
    assert parse_cpu_list("0-3,8,10-11") == [0, 1, 2, 3, 8, 10, 11]
    assert format_mask(0xF, 8) == "0000000f" and format_mask(1 << 40, 64) == "00000100,00000000"
    assert parse_mask("00000100,00000000") == 1 << 40
    for bad in (
        lambda: parse_size_bytes("1XB"),
        lambda: parse_duration_s("ten"),
        lambda: parse_cpu_list("3-1"),
    ):
        with pytest.raises(ValueError):
            bad()


@pytest.mark.parametrize(
    "text",
    [
        'OPTIONS="--foreground"\n',
        "OPTIONS='--foreground --banirq=40'\n",
        "OPTIONS=\n",
        "# irqbalance defaults\nENABLED=1\n",
        'OPTIONS="--banirq=400"\n\n',
    ],
)
def test_irqbalance_edit_direct_and_script_agree(tmp_path, text):
    direct, scripted = tmp_path / "direct", tmp_path / "scripted"
    for root in (direct, scripted):
        (root / "etc/default").mkdir(parents=True)
        (root / "etc/default/irqbalance").write_text(text)
    command = BanIrqs("/etc/default/irqbalance", "OPTIONS", (40, 41))
    command.execute(RootFs(str(direct)))
    script = tmp_path / "ban.sh"
    ScriptRenderingExecutor(RootFs(str(scripted)), str(script)).execute(command)
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    result = (direct / "etc/default/irqbalance").read_text()
    assert result == (scripted / "etc/default/irqbalance").read_text()
    assert "--banirq=40" in result and "--banirq=41" in result
    assert sorted(p.name for p in (direct / "etc/default").iterdir()) == sorted(
        p.name for p in (scripted / "etc/default").iterdir()
    )


def test_checked_tunable_acts_only_on_failure_and_reports_a_failed_recheck(tmp_path):
    state = {"value": 0, "acted": 0}
    checker = Checker("x", "X", Severity.WARNING, "1", lambda: state["value"], lambda v: v == 1)
    executor = DirectExecutor(RootFs(str(tmp_path)))

    def stubborn(_executor):  # an action that does not stick
        state["acted"] += 1

    result = CheckedTunable([checker], stubborn, executor).tune()
    assert result.error == "post-tune check failed: X: required 1, found 0"
    state["value"] = 1
    assert CheckedTunable([checker], stubborn, executor).tune().skipped
    assert state["acted"] == 1
