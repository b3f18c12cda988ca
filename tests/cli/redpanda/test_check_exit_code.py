"""`rpk redpanda check` prints its table and exits 0 even when checks fail (as rpk)."""

from __future__ import annotations


def test_failed_checks_exit_zero(rpk, tmp_path):
    conf = tmp_path / "redpanda.yaml"
    conf.write_text(f"redpanda:\n  data_directory: {tmp_path / 'missing' / 'data'}\n")
    res = rpk(["redpanda", "check", "--config", str(conf)])
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("\nSystem check results\nCONDITION")
    writable = next(line for line in res.stdout.splitlines() if "is writable" in line)
    assert writable.split()[-2:] == ["Fatal", "false"]
