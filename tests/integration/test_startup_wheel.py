"""The package as a user installs it: `python -m build` makes a wheel that pip installs on a fresh
Python 3.11 venv (no compiler needed: every dependency has a wheel), giving `ailurus` and `rpk`,
the pytest11 entry point and the registry's vendored .proto files. Dependencies come from the
package index, so this test is slow (a minute or more)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 300
INSTALL_TIMEOUT_S = 900

pytestmark = pytest.mark.slow


def _run(*cmd: str | Path, timeout_s: float, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in cmd],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=cwd,
    )
    assert done.returncode == 0, (
        f"{cmd}: {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout


def test_wheel_installs_ailurus_and_rpk_on_a_fresh_venv(tmp_path):
    python311 = shutil.which("python3.11")
    if python311 is None:
        pytest.skip("python3.11 is not on PATH")
    dist = tmp_path / "dist"
    # sdist then a wheel built from it: nothing is written into the source tree but egg-info
    _run(sys.executable, "-m", "build", "--outdir", dist, REPO, timeout_s=BUILD_TIMEOUT_S)
    (wheel,) = dist.glob("ailurus-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith("protos/google/type/money.proto") for n in names), names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "core.testing.plugin" in zipfile.ZipFile(wheel).read(entry_points).decode()

    venv = tmp_path / "venv"
    _run(python311, "-m", "venv", venv, timeout_s=120)
    pip = venv / "bin" / "pip"
    _run(pip, "install", "-q", "--only-binary=:all:", wheel, timeout_s=INSTALL_TIMEOUT_S)
    help_text = _run(venv / "bin" / "ailurus", "--help", timeout_s=60, cwd=tmp_path)
    assert "--kafka-addr" in help_text
    version = _run(venv / "bin" / "rpk", "version", timeout_s=60, cwd=tmp_path)
    assert "Version:" in version
    protos = _run(
        venv / "bin" / "python",
        "-c",
        "from core.schema_registry.types.proto_type import VENDORED; "
        "print(sorted(p.name for p in VENDORED.rglob('*.proto'))[:3])",
        timeout_s=60,
        cwd=tmp_path,
    )
    assert ".proto" in protos
