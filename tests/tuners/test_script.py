"""--output-script: a bash script that passes `bash -n` and, run against a copy of the fake host,
reaches exactly the end state the direct executor reaches."""

from __future__ import annotations

import os
import subprocess

from tests.support.hosts import build_host, make_ctx
from tuners import run
from tuners.context import TuneParams
from tuners.executors import ScriptRenderingExecutor
from tuners.fs import RootFs
from tuners.registry import TUNERS

PARAMS = dict(nics=["eth0"], reboot_allowed=True)


def snapshot(root: str) -> dict[str, tuple]:
    """Every path under root -> (kind, content or link target, permission bits)."""
    state = {}
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(base, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                state[rel] = ("link", os.readlink(path), 0)
            elif os.path.isdir(path):
                state[rel] = ("dir", "", os.stat(path).st_mode & 0o777)
            else:
                with open(path, "rb") as f:
                    state[rel] = ("file", f.read(), os.stat(path).st_mode & 0o777)
    return state


def with_irqbalance(host):
    host.write("/proc/4242/comm", "irqbalance")
    host.write("/etc/default/irqbalance", 'OPTIONS="--foreground"')
    return host


def render(root: str, script: str) -> list:
    fs = RootFs(root)
    ctx = make_ctx(root, executor=ScriptRenderingExecutor(fs, script), params=TuneParams(**PARAMS))
    return run.run(ctx, sorted(TUNERS))


def test_script_reaches_the_same_end_state_as_direct(tmp_path):
    direct = with_irqbalance(build_host(str(tmp_path / "direct")))
    scripted = with_irqbalance(build_host(str(tmp_path / "scripted")))
    before = snapshot(scripted.root)
    script = str(tmp_path / "tune.sh")

    reports = render(scripted.root, script)
    assert snapshot(scripted.root) == before  # rendering changes nothing
    assert [r.name for r in reports if r.error] == ["fstrim"]
    assert os.stat(script).st_mode & 0o777 == 0o755
    assert subprocess.run(["bash", "-n", script], capture_output=True, timeout=30).returncode == 0

    direct_reports = run.run(make_ctx(direct.root, params=TuneParams(**PARAMS)), sorted(TUNERS))
    assert [r.name for r in direct_reports if r.error] == ["fstrim"]
    done = subprocess.run(
        ["bash", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    )
    assert done.returncode == 0, done.stderr
    assert snapshot(scripted.root) == snapshot(direct.root)
    assert scripted.read("/proc/sys/vm/swappiness") == "1"


def test_script_root_can_be_overridden(tmp_path):
    rendered_for = build_host(str(tmp_path / "a"))
    target = build_host(str(tmp_path / "b"))
    script = str(tmp_path / "tune.sh")
    render(rendered_for.root, script)
    env = {**os.environ, "AILURUS_TUNE_ROOT": target.root}
    done = subprocess.run(["bash", script], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert target.read("/proc/sys/vm/swappiness") == "1"
    assert rendered_for.read("/proc/sys/vm/swappiness") == "60"


def test_script_layout(tmp_path):
    host = with_irqbalance(build_host(str(tmp_path / "root")))
    script = str(tmp_path / "tune.sh")
    render(host.root, script)
    text = open(script).read()
    assert text.startswith("#!/bin/bash\n# Ailurus Tuning Script\n")
    assert f"ROOT=${{AILURUS_TUNE_ROOT-{host.root}}}" in text
    assert "# sysctl -w vm.swappiness=1" in text
    assert 'if [ -z "${ROOT}" ]; then systemctl try-restart irqbalance; fi' in text
    assert 'if [ -z "${ROOT}" ]; then update-grub; fi' in text
    assert "file_hash=$(sha256sum" in text
    assert "truncate -s 1048576" in text
