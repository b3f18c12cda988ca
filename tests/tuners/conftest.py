"""Fixtures: a fresh fake host per test (tests/support/hosts.py). Nothing touches the real kernel."""

from __future__ import annotations

import pytest

from tests.support.hosts import build_host


@pytest.fixture
def host(tmp_path):
    return build_host(str(tmp_path / "root"))
