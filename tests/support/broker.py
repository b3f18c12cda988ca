"""Start real `ailurus` broker processes on 127.0.0.1 ephemeral ports for tests.

BrokerProcess lives in core/testing/process.py (shipped, so bench can use it too); this module
re-exports it for the tests."""

from __future__ import annotations

from core.testing.process import (
    READY,
    START_TIMEOUT_S,
    STOP_TIMEOUT_S,
    BrokerProcess,
    start_broker,
)

__all__ = ["READY", "START_TIMEOUT_S", "STOP_TIMEOUT_S", "BrokerProcess", "start_broker"]
