"""Kafka control batches: the transaction markers (COMMIT, ABORT) a coordinator writes.

A marker is a v2 batch with the transactional and control attribute bits, the producer's id
and epoch, base sequence -1 and one record: key = int16 version (0) + int16 type (0 ABORT,
1 COMMIT), value = int16 version (0) + int32 coordinator epoch (Kafka's EndTransactionMarker).
Control batches are never compressed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from core.model.batch import BatchError, BatchHeader
from core.model.records import Record, build_batch, decode_batch

CONTROL_ABORT = 0
CONTROL_COMMIT = 1
_KEY = struct.Struct(">hh")
_VALUE = struct.Struct(">hi")


@dataclass(frozen=True, slots=True)
class Marker:
    """A transaction marker: COMMIT (commit=True) or ABORT, from a coordinator epoch."""

    commit: bool
    coordinator_epoch: int


def build_marker_batch(
    producer_id: int, producer_epoch: int, marker: Marker, timestamp_ms: int
) -> bytearray:
    """The control batch of `marker` (base offset 0: the log assigns it)."""
    record = Record(
        key=_KEY.pack(0, CONTROL_COMMIT if marker.commit else CONTROL_ABORT),
        value=_VALUE.pack(0, marker.coordinator_epoch),
        timestamp_ms=timestamp_ms,
    )
    return build_batch(
        [record],
        producer_id=producer_id,
        producer_epoch=producer_epoch,
        base_sequence=-1,
        transactional=True,
        control=True,
        timestamp_ms=timestamp_ms,
    )


def read_marker(
    buf: bytes | bytearray | memoryview, pos: int, header: BatchHeader
) -> Marker | None:
    """The marker the control batch at `pos` holds; None for any other batch, a control
    record of another type, or one that cannot be decoded."""
    if not header.is_control:
        return None
    try:
        _, records = decode_batch(buf, pos)
    except BatchError:
        return None
    if not records or records[0].key is None or len(records[0].key) < _KEY.size:
        return None
    _version, kind = _KEY.unpack_from(records[0].key)
    if kind not in (CONTROL_ABORT, CONTROL_COMMIT):
        return None
    value = records[0].value or b""
    coordinator_epoch = _VALUE.unpack_from(value)[1] if len(value) >= _VALUE.size else -1
    return Marker(kind == CONTROL_COMMIT, coordinator_epoch)
