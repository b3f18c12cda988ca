"""Fixtures: the group coordinator harness of tests/support/groups.py."""

from __future__ import annotations

import pytest

from tests.support.groups import Harness


@pytest.fixture
def harness() -> Harness:
    return Harness()


@pytest.fixture
def make_harness():
    return Harness
