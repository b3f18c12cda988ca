"""The test harness's single broker listens below the kernel's ephemeral range, so a killed
broker gets its ports back on restart: no outgoing connection of another test can take them
while it is down (CI saw a kill -9 restart fail with "address already in use")."""

from __future__ import annotations

import socket
from pathlib import Path

from core.testing import ports
from core.testing.process import BrokerProcess


def _ephemeral_low() -> int:
    return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])


def test_ports_are_reserved_below_the_ephemeral_range_and_kept_over_a_kill(tmp_path):
    broker = BrokerProcess(tmp_path / "data", die_with_parent=True).start()
    try:
        first = (broker.kafka_port, broker.admin_port)
        if _ephemeral_low() - 20_000 >= 1_000:
            assert all(20_000 <= p < _ephemeral_low() for p in first), first
        broker.restart(crash=True)
        assert (broker.kafka_port, broker.admin_port) == first
        with socket.create_connection(("127.0.0.1", broker.kafka_port), timeout=5):
            pass
    finally:
        broker.kill()


def test_a_first_start_that_lost_its_port_takes_fresh_ones(tmp_path, monkeypatch):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    busy = taken.getsockname()[1]
    handed: list[list[int]] = []

    def reserve(count: int) -> list[int]:  # the first reservation names a port already taken
        got = ports.reserve_ports(count)
        handed.append(got if handed else [busy, *got[1:]])
        return handed[-1]

    monkeypatch.setattr("core.testing.process.reserve_ports", reserve)
    broker = BrokerProcess(tmp_path / "data", die_with_parent=True)
    try:
        broker.start()
        assert len(handed) == 2 and broker.kafka_port == handed[1][0] != busy
        assert "address already in use" in broker.log_text()
    finally:
        broker.kill()
        taken.close()
