"""A group consume commits exactly the records it printed, also when Ctrl-C stops it mid-batch."""

from __future__ import annotations

import uuid

import pytest

from cli.commands.topic import consume
from tests.support.rpk import interrupt, rpk_process, run_in_process

pytestmark = pytest.mark.timeout(120)


def _committed(kafka_env, group: str) -> str:
    res = run_in_process(["group", "describe", group, "-c"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    row = res.stdout.splitlines()[1].split()
    return row[2]  # CURRENT-OFFSET


def test_interrupt_commits_only_printed_records(home, kafka_env, monkeypatch):
    topic, group = f"cg-{uuid.uuid4().hex[:8]}", f"grp-{uuid.uuid4().hex[:8]}"
    assert run_in_process(["topic", "create", topic, "-p", "1"], env=kafka_env).exit_code == 0
    res = run_in_process(
        ["topic", "produce", topic], env=kafka_env, input="".join(f"v{i}\n" for i in range(5))
    )
    assert res.exit_code == 0, res.stderr

    real_emit = consume.Printer.emit

    def emit_two_then_ctrl_c(self, msg):
        if self.count == 2:  # Ctrl-C arrives while the third fetched record is about to print
            raise KeyboardInterrupt
        real_emit(self, msg)

    monkeypatch.setattr(consume.Printer, "emit", emit_two_then_ctrl_c)
    res = run_in_process(["topic", "consume", topic, "-g", group, "-f", "%v\\n"], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.split() == ["v0", "v1"]
    assert _committed(kafka_env, group) == "2"

    monkeypatch.setattr(consume.Printer, "emit", real_emit)
    res = run_in_process(
        ["topic", "consume", topic, "-g", group, "-n", "3", "-f", "%v\\n"], env=kafka_env
    )
    assert res.exit_code == 0, res.stderr
    assert res.stdout.split() == ["v2", "v3", "v4"]
    assert _committed(kafka_env, group) == "5"


@pytest.mark.parametrize(
    "flags, expected", [([], "cooperative-sticky"), (["-b", "roundrobin"], "roundrobin")]
)
def test_balancer_flag_is_the_group_protocol(home, kafka_env, flags, expected):
    topic, group = f"cb-{uuid.uuid4().hex[:8]}", f"grp-{uuid.uuid4().hex[:8]}"
    assert run_in_process(["topic", "create", topic], env=kafka_env).exit_code == 0
    assert run_in_process(["topic", "produce", topic], env=kafka_env, input="x\n").exit_code == 0
    with rpk_process(
        ["topic", "consume", topic, "-g", group, *flags, "-f", "%v\\n"], home, kafka_env
    ) as proc:
        assert proc.stdout.readline() == b"x\n"
        res = run_in_process(["group", "describe", group, "-s"], env=kafka_env)
        assert res.exit_code == 0, res.stderr
        balancer = next(line for line in res.stdout.splitlines() if line.startswith("BALANCER"))
        assert balancer.split() == ["BALANCER", expected], res.stdout
        _, err = interrupt(proc)
    assert proc.returncode == 0, err.decode()
