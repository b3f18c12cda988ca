"""Shared fixtures: real broker processes on loopback."""

from __future__ import annotations

import pytest

from tests.support.broker import BrokerProcess


@pytest.fixture
def broker_factory(tmp_path):
    started: list[BrokerProcess] = []

    def make(*extra_args: str, name: str = "broker") -> BrokerProcess:
        b = BrokerProcess(tmp_path / name, *extra_args).start()
        started.append(b)
        return b

    yield make
    for b in started:
        try:
            b.stop()
        except Exception:
            b.kill()


@pytest.fixture
def broker(broker_factory) -> BrokerProcess:
    return broker_factory()
