"""Valid minimal requests for every API key and version, from the kio schemas.

`minimal_request(key, version, topic)` is a real request a client could send: empty
lists where a list may be empty, and for the data APIs (Produce, Fetch, ListOffsets,
OffsetForLeaderEpoch, ...) one entry naming partition 0 of `topic`. Used by the
every-version test and the fuzz suite's liveness checks.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from kio.index import load_request_schema
from kio.schema.errors import ErrorCode

from core.model.records import Record, build_batch
from tests.support.kio_minimal import minimal_entity


def one_batch() -> bytes:
    return bytes(build_batch([Record(key=b"k", value=b"v")]))


def _topic_overrides(topic: str) -> dict[str, Any]:
    return {
        "name": topic,
        "topic": topic,
        "index": 0,
        "partition": 0,
        "partition_index": 0,
        "current_leader_epoch": -1,
        "leader_epoch": -1,
        "last_fetched_epoch": -1,
        "log_start_offset": -1,
        "fetch_offset": 0,
        "partition_max_bytes": 1024 * 1024,
        "timestamp": -1,
        "max_num_offsets": 1,
        "records": one_batch(),
        "topic_id": lambda cls: _zero_uuid(),
    }


def _zero_uuid():
    import uuid

    return uuid.UUID(int=0)


DATA_APIS = {0, 1, 2, 23}  # Produce, Fetch, ListOffsets, OffsetForLeaderEpoch
TXN_APIS = {24, 25, 26, 28}  # AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit


def minimal_request(key: int, version: int, topic: str) -> Any:
    cls = load_request_schema(key, version)
    overrides: dict[str, Any] = {
        "acks": 1,
        "timeout": datetime.timedelta(seconds=5),
        "timeout_ms": datetime.timedelta(seconds=5),
        "replica_id": -1,
        "max_bytes": 1024 * 1024,
        "min_bytes": 0,
        "max_wait": datetime.timedelta(0),
        "isolation_level": 0,
        "session_epoch": -1,
        "session_timeout": datetime.timedelta(seconds=10),
        "rebalance_timeout": datetime.timedelta(seconds=10),
        "generation_id": -1,
        "producer_id": -1,
        "producer_epoch": -1,
        "transactional_id": None,
        "transaction_timeout": datetime.timedelta(seconds=60),
        "error_code": ErrorCode.none,
        "group_instance_id": None,
        "rack_id": "",
        "client_id": None,
    }
    if key in TXN_APIS:  # their transactional_id is not nullable
        overrides["transactional_id"] = "every-version-txn"
    if key in DATA_APIS:
        overrides.update(_topic_overrides(topic))
        return minimal_entity(cls, array_len=1, overrides=overrides, fill_null=False)
    return minimal_entity(cls, array_len=0, overrides=overrides, fill_null=False)


def error_codes(entity: Any) -> list[tuple[str, ErrorCode]]:
    """Every (field path, ErrorCode) inside a response entity."""
    found: list[tuple[str, ErrorCode]] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, ErrorCode):
            found.append((path, value))
        elif dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name), f"{path}.{f.name}")
        elif isinstance(value, tuple):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")

    walk(entity, type(entity).__name__)
    return found
