"""Ports reserved for cluster nodes come from below the kernel's ephemeral range, where no
outgoing connection of another test can take one before the node listens on it."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from core.testing import ports
from core.testing.ports import reserve_ports


def test_reserved_ports_are_distinct_free_and_below_the_ephemeral_range() -> None:
    ports = reserve_ports(12)
    assert len(set(ports)) == 12
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    if low - 20_000 >= 1_000:
        assert all(20_000 <= p < low for p in ports), ports
    for port in ports:  # released: each can be listened on now
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
            s.listen()


def test_no_two_reservations_hand_out_a_port_within_the_hold(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(ports, "REGISTRY", tmp_path / "reserved.json")
    handed: list[int] = []
    for _ in range(20):  # each released at once, as before a broker binds it
        handed.extend(reserve_ports(5))
    assert len(set(handed)) == len(handed)
    recorded = json.loads((tmp_path / "reserved.json").read_text())
    assert {int(p) for p in recorded} >= set(handed)


def test_an_unreadable_registry_is_replaced(tmp_path, monkeypatch) -> None:
    registry = tmp_path / "reserved.json"
    registry.write_text("[not json")
    monkeypatch.setattr(ports, "REGISTRY", registry)
    (port,) = reserve_ports(1)
    assert json.loads(registry.read_text()).keys() == {str(port)}
