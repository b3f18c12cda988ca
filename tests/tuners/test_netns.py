"""somaxconn and tcp_max_syn_backlog are per network namespace: tune them for real inside a
namespace this test creates (and always deletes), never in the machine's own namespace.

Needs root and iproute2 (`ip netns`); CI images need the iproute2 package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEYS = ("net/core/somaxconn", "net/ipv4/tcp_max_syn_backlog")
TUNE_IN_NAMESPACE = """
from tuners.context import TuneContext, TuneParams
from tuners.executors import DirectExecutor
from tuners.fs import RootFs
from tuners import net
fs = RootFs("/")
config = {"redpanda": {}, "rpk": {"tune_network": True}}
tunable = net.build(TuneContext(fs, DirectExecutor(fs), config, TuneParams(nics=["lo"])))
assert tunable.check_if_supported() == (True, ""), tunable.check_if_supported()
result = tunable.tune()
assert result.ok, result.error
"""


def _skip_reason() -> str:
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "iproute2 ('ip') is not installed"
    probe = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10)
    return "" if probe.returncode == 0 else f"'ip netns' unavailable: {probe.stderr.strip()}"


def _in_ns(name: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ip", "netns", "exec", name, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
        cwd=REPO,
    )


def _read_host(key: str) -> str:
    with open(f"/proc/sys/{key}") as f:
        return f.read().strip()


def test_backlogs_are_tuned_inside_a_fresh_network_namespace():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    name = f"ailurus-test-{uuid.uuid4().hex[:8]}"
    host_before = {key: _read_host(key) for key in KEYS}
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=30)
    try:
        for key in KEYS:  # start below the requirement, inside the namespace only
            _in_ns(name, "sh", "-c", f"echo 128 > /proc/sys/{key}")
        assert [_in_ns(name, "cat", f"/proc/sys/{k}").stdout.strip() for k in KEYS] == [
            "128",
            "128",
        ]
        done = _in_ns(name, sys.executable, "-c", TUNE_IN_NAMESPACE, check=False)
        assert done.returncode == 0, done.stderr
        assert [_in_ns(name, "cat", f"/proc/sys/{k}").stdout.strip() for k in KEYS] == [
            "4096",
            "4096",
        ]
    finally:
        subprocess.run(["ip", "netns", "delete", name], timeout=30, check=False)
    assert (
        name
        not in subprocess.run(
            ["ip", "netns", "list"], capture_output=True, text=True, timeout=10
        ).stdout
    )
    assert {key: _read_host(key) for key in KEYS} == host_before
