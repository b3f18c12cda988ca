"""Fixtures for the storage tests: real files under tmp_path, a manual clock."""

from __future__ import annotations

import pathlib
from collections.abc import Callable

import pytest

from core.common.clock import ManualClock
from core.model.records import Record, build_batch
from core.storage.log import DiskLog, LogConfig

T0_MS = 1_700_000_000_000

MakeBatch = Callable[..., bytearray]
OpenLog = Callable[..., DiskLog]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start_ms=T0_MS)


@pytest.fixture
def make_batch() -> MakeBatch:
    """make_batch(records=1, value_bytes=100, timestamp_ms=T0_MS, tag=0) -> one v2 batch."""

    def make(
        records: int = 1, value_bytes: int = 100, timestamp_ms: int = T0_MS, tag: int = 0
    ) -> bytearray:
        items = [
            Record(
                f"k{tag}-{i}".encode(),
                bytes([tag % 256]) * value_bytes,
                timestamp_ms=timestamp_ms + i,
            )
            for i in range(records)
        ]
        return build_batch(items, base_offset=0)

    return make


@pytest.fixture
def log_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "topic" / "0_1"


@pytest.fixture
def open_log(log_dir: pathlib.Path, clock: ManualClock) -> OpenLog:
    """open_log(**LogConfig fields) -> DiskLog in log_dir; closes what it opened."""
    opened: list[DiskLog] = []

    def open_(**config: int | None) -> DiskLog:
        log = DiskLog.open(log_dir, LogConfig(**config), clock)  # type: ignore[arg-type]
        opened.append(log)
        return log

    yield open_  # type: ignore[misc]
    for log in opened:
        if not log.closed:
            log.close()
