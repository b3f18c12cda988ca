"""Issue 17 audit: an unknown group's Dead summary is rpk's, COORDINATOR line included (kadm
asks FindCoordinator for every group it describes)."""

from __future__ import annotations


def test_unknown_group_summary_names_its_coordinator(rpk, kafka_env):
    res = rpk(["group", "describe", "audit-no-such-group"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    assert res.stdout == (
        "GROUP        audit-no-such-group\n"
        "COORDINATOR  0\n"
        "STATE        Dead\n"
        "BALANCER     \n"
        "MEMBERS      0\n"
        "TOTAL-LAG    0\n"
    )
