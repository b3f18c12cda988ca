"""Produce-time validation of a client's v2 record batch, as Kafka's LogValidator does it.

The broker stores batches as opaque bytes, so validation reads as little as it can:

- The header (always): at least one record, lastOffsetDelta == recordCount - 1, no
  control batches from clients, a sequence number when a producer id is set, no
  LogAppendTime bit from clients.
- Uncompressed batches: a length walk. Each record's varint length prefix is followed to
  the batch end (exactly recordCount records must fill the batch), and each record's
  offsetDelta must equal its index. Keys and values are never decoded: only the
  timestampDelta and offsetDelta varints at the start of each record are read, plus the
  key length on compacted topics. A fast loop covers the common shape (one-byte
  timestamp deltas that cannot leave the allowed window, lengths and offset deltas under
  three bytes); any other record drops to a general loop for the rest of the batch.
- Compressed batches: not decompressed on the hot path, as Redpanda's default
  (`relaxed`) batch validation: the header checks apply and the header's first and max
  timestamps are checked against the window. Where a check needs the records, on a
  compacted topic (every record needs a key), the batch is decompressed (bounded, see
  core.model.decompress) and walked like an uncompressed one.

Errors are `InvalidBatch` with a kind naming the Kafka error (INVALID_RECORD,
INVALID_TIMESTAMP, CORRUPT_MESSAGE) and, where Kafka gives them, per-record errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.model.batch import HEADER_SIZE, BatchError, BatchHeader
from core.model.decompress import DecompressError, decompress_bounded

INVALID_RECORD = "invalid_record"
INVALID_TIMESTAMP = "invalid_timestamp"
CORRUPT_MESSAGE = "corrupt_message"

LONG_MAX = (1 << 63) - 1
NO_TIMESTAMP = -1
MAX_RECORD_ERRORS = 1000  # per-record errors returned at most (Kafka returns all)
MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024
_MIN_RECORD_BYTES = 7  # length varint + attributes, timestamp, offset, key, value, headers
_MIN_RECORD_LENGTH_RAW = 12  # zig-zag encoding of the smallest record length, 6
_ONE_BYTE_DELTA_MIN = -64  # a one-byte zig-zag varint holds -64..63
_ONE_BYTE_DELTA_MAX = 63


@dataclass(frozen=True, slots=True)
class RecordError:
    batch_index: int
    message: str


class InvalidBatch(BatchError):
    """A batch Kafka would refuse; `kind` names the Kafka error code."""

    def __init__(
        self, kind: str, message: str, record_errors: tuple[RecordError, ...] | list = ()
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.record_errors = tuple(record_errors[:MAX_RECORD_ERRORS])


@dataclass(frozen=True, slots=True)
class ProducePolicy:
    """What a topic's configuration asks of produced batches."""

    compacted: bool = False
    log_append_time: bool = False
    timestamp_before_max_ms: int = LONG_MAX
    timestamp_after_max_ms: int = LONG_MAX


DEFAULT_POLICY = ProducePolicy()


@dataclass(frozen=True, slots=True)
class _Window:
    low_ms: int
    high_ms: int

    def contains(self, timestamp_ms: int) -> bool:
        return timestamp_ms == NO_TIMESTAMP or self.low_ms <= timestamp_ms <= self.high_ms

    def message(self, timestamp_ms: int, offset: int) -> str:
        return (
            f"Timestamp {timestamp_ms} of message with offset {offset} is out of range. "
            f"The timestamp should be within [{self.low_ms}, {self.high_ms}]"
        )


def validate_client_batch(
    buf: bytes | bytearray | memoryview,
    header: BatchHeader,
    policy: ProducePolicy,
    now_ms: int,
    where: str,
) -> None:
    """Raise InvalidBatch unless the batch at buf[0:] is one Kafka would append.

    `where` names the partition in messages, as Kafka prints it ("topic-0").
    """
    check_header(header, where)
    window = None
    if not policy.log_append_time:
        window = _Window(
            now_ms - policy.timestamp_before_max_ms, now_ms + policy.timestamp_after_max_ms
        )
    if header.compression == 0:
        _walk(buf, HEADER_SIZE, header.size_bytes, header, policy.compacted, window, where)
        return
    if policy.compacted:
        payload = memoryview(buf)[HEADER_SIZE : header.size_bytes]
        try:
            body = decompress_bounded(payload, header.compression, MAX_DECOMPRESSED_BYTES)
        except DecompressError as error:
            raise InvalidBatch(CORRUPT_MESSAGE, str(error)) from None
        _walk(body, 0, len(body), header, True, window, where)
        return
    if window is not None:
        _check_header_timestamps(header, window)


def check_header(header: BatchHeader, where: str) -> None:
    """LogValidator's batch-level checks for a client's v2 batch."""
    base = header.base_offset
    last = base + header.last_offset_delta
    count = header.record_count
    if last - base + 1 <= 0:
        _refuse(f"Batch has an invalid offset range: [{base}, {last}] in topic partition {where}")
    if count <= 0:
        _refuse(f"Invalid reported count for record batch: {count} in topic partition {where}")
    if last - base + 1 != count:
        _refuse(
            f"Inconsistent batch offset range [{base}, {last}] and count of records {count} "
            f"in topic partition {where}"
        )
    if header.is_control:
        _refuse(f"Clients are not allowed to write control records in topic partition {where}")
    if header.producer_id >= 0 and header.base_sequence < 0:
        _refuse(
            f"Invalid sequence number {header.base_sequence} in record batch with producerId "
            f"{header.producer_id} in topic partition {where}"
        )
    if header.uses_log_append_time:
        errors = [
            RecordError(index, "Producer should not set timestamp type to LogAppendTime.")
            for index in range(min(count, MAX_RECORD_ERRORS))
        ]
        raise InvalidBatch(
            INVALID_TIMESTAMP,
            "One or more records have been rejected due to invalid timestamp",
            errors,
        )


def _refuse(message: str) -> None:
    raise InvalidBatch(INVALID_RECORD, message)


def _check_header_timestamps(header: BatchHeader, window: _Window) -> None:
    """Compressed batches: the header's first and max timestamps stand for the records."""
    for timestamp_ms, offset in (
        (header.first_timestamp, header.base_offset),
        (header.max_timestamp, header.last_offset),
    ):
        if not window.contains(timestamp_ms):
            raise InvalidBatch(INVALID_TIMESTAMP, window.message(timestamp_ms, offset))


# ---------------------------------------------------------------- the length walk


def _walk(
    buf: bytes | bytearray | memoryview,
    pos: int,
    end: int,
    header: BatchHeader,
    compacted: bool,
    window: _Window | None,
    where: str,
) -> None:
    count = header.record_count
    if count > (end - pos) // _MIN_RECORD_BYTES:
        _refuse(
            f"Incorrect declared batch size: {count} records cannot fit in {end - pos} bytes "
            f"in topic partition {where}"
        )
    index = 0
    first_ms = header.first_timestamp
    fast = not compacted and (
        window is None
        or (
            window.low_ms <= first_ms + _ONE_BYTE_DELTA_MIN
            and first_ms + _ONE_BYTE_DELTA_MAX <= window.high_ms
        )
    )
    errors: list[RecordError] = []
    timestamp_error = False
    try:
        if fast:
            index, pos = _walk_fast(buf, pos, count)
        if index < count:
            pos, timestamp_error = _walk_general(
                buf, pos, end, index, header, compacted, window, where, errors
            )
    except IndexError:
        _refuse(f"Incorrect declared batch size, premature EOF reached in topic partition {where}")
    if pos != end:
        _refuse(
            "Incorrect declared batch size, records still remaining in file "
            f"in topic partition {where}"
        )
    if errors:
        _raise_record_errors(errors, timestamp_error)


def _walk_fast(buf: bytes | bytearray | memoryview, pos: int, count: int) -> tuple[int, int]:
    """Walk records of the common shape; (index, position) of the first record it cannot take.

    Takes: a length varint of one or two bytes holding a length >= 6, a one-byte
    timestampDelta (the caller made sure any one-byte delta is inside the window) and an
    offsetDelta equal to the record's index in one or two bytes. Bounds are the caller's:
    an IndexError means the records run past the buffer.
    """
    for index in range(count):
        byte = buf[pos]
        if byte < 0x80:
            raw = byte
            start = pos + 1
        else:
            high = buf[pos + 1]
            if high >= 0x80:
                return index, pos
            raw = (byte & 0x7F) | (high << 7)
            start = pos + 2
        if raw < _MIN_RECORD_LENGTH_RAW or raw & 1 or buf[start + 1] >= 0x80:
            return index, pos  # short or negative length, or a multi-byte timestamp delta
        expected = index << 1
        delta = buf[start + 2]
        if delta != expected and (
            delta < 0x80 or (delta & 0x7F) | (buf[start + 3] << 7) != expected
        ):
            return index, pos
        pos = start + (raw >> 1)
    return count, pos


def _read_varint(buf: bytes | bytearray | memoryview, pos: int) -> tuple[int, int]:
    raw = 0
    for shift in range(0, 70, 7):
        byte = buf[pos]
        pos += 1
        raw |= (byte & 0x7F) << shift
        if byte < 0x80:
            return (raw >> 1) ^ -(raw & 1), pos
    raise InvalidBatch(INVALID_RECORD, "varint longer than 10 bytes in a record")


def _walk_general(
    buf: bytes | bytearray | memoryview,
    pos: int,
    end: int,
    first_index: int,
    header: BatchHeader,
    compacted: bool,
    window: _Window | None,
    where: str,
    errors: list[RecordError],
) -> tuple[int, bool]:
    """Walk records `index`.. to the batch end, collecting per-record errors as Kafka does."""
    timestamp_error = False
    for index in range(first_index, header.record_count):
        length, start = _read_varint(buf, pos)
        record_end = start + length
        if length < _MIN_RECORD_BYTES - 1 or record_end > end:
            _refuse_record(index, f"Invalid record size {length} in topic partition {where}")
        timestamp_delta, cursor = _read_varint(buf, start + 1)
        offset_delta, cursor = _read_varint(buf, cursor)
        if offset_delta != index:
            _refuse_record(
                index,
                f"Record at index {index} has offset delta {offset_delta}; record offsets "
                f"must be sequential from 0 in topic partition {where}",
            )
        if compacted:
            key_length, cursor = _read_varint(buf, cursor)
            if key_length < 0:
                errors.append(
                    RecordError(
                        index,
                        "Compacted topic cannot accept message without key in topic "
                        f"partition {where}.",
                    )
                )
                pos = record_end
                continue
        if cursor > record_end:
            _refuse_record(index, f"Record at index {index} is shorter than its fields")
        if window is not None:
            timestamp_ms = header.first_timestamp + timestamp_delta
            if not window.contains(timestamp_ms):
                message = window.message(timestamp_ms, header.base_offset + offset_delta)
                errors.append(RecordError(index, message))
                timestamp_error = True
        pos = record_end
    return pos, timestamp_error


def _refuse_record(index: int, message: str) -> None:
    raise InvalidBatch(INVALID_RECORD, message, [RecordError(index, message)])


def _raise_record_errors(errors: list[RecordError], timestamp_error: bool) -> None:
    if timestamp_error:
        raise InvalidBatch(
            INVALID_TIMESTAMP,
            "One or more records have been rejected due to invalid timestamp",
            errors,
        )
    shown = ", ".join(
        f"RecordError(batchIndex={e.batch_index}, message='{e.message}')" for e in errors[:3]
    )
    raise InvalidBatch(
        INVALID_RECORD,
        f"One or more records have been rejected due to {len(errors)} record errors in total, "
        f"and only showing the first three errors at most: [{shown}]",
        errors,
    )
