"""Leadership tests: transfer, maintenance mode and the leader balancer on real broker processes."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "cluster: starts a multi-node cluster of broker processes (fault tests)"
    )
