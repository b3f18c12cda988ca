"""Records of `__transaction_state`, in Kafka's TransactionLog key/value schemas (version 0).

Key: int16 version 0, string transactional_id. Value: int16 version 0, int64 producer_id,
int16 producer_epoch, int32 transaction_timeout_ms, int8 state, array of (string topic, array
of int32 partition), int64 last_update_ms, int64 start_ms. A null value is a tombstone (the id
expired). The last record of a key wins, which is what compaction keeps.
"""

from __future__ import annotations

import struct

from core.transactions.state import TxnMetadata, TxnState

_I8 = struct.Struct(">b")
_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")
KEY_VERSION = 0
VALUE_VERSION = 0
PARTITIONS_MAX = 100_000


class FormatError(ValueError):
    """A record of __transaction_state this broker cannot read."""


def _string(text: str) -> bytes:
    data = text.encode("utf-8")
    if len(data) > 0x7FFF:
        raise FormatError("string too long for an int16 length")
    return _I16.pack(len(data)) + data


def encode_key(transactional_id: str) -> bytes:
    return _I16.pack(KEY_VERSION) + _string(transactional_id)


def encode_value(meta: TxnMetadata) -> bytes:
    out = bytearray(_I16.pack(VALUE_VERSION))
    out += _I64.pack(meta.producer_id) + _I16.pack(meta.producer_epoch)
    out += _I32.pack(meta.timeout_ms) + _I8.pack(int(meta.state))
    by_topic: dict[str, list[int]] = {}
    for topic, partition in sorted(meta.partitions):
        by_topic.setdefault(topic, []).append(partition)
    out += _I32.pack(len(by_topic))
    for topic, partitions in by_topic.items():
        out += _string(topic) + _I32.pack(len(partitions))
        for p in partitions:
            out += _I32.pack(p)
    out += _I64.pack(meta.update_ms) + _I64.pack(meta.start_ms)
    return bytes(out)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, s: struct.Struct) -> int:
        if self.pos + s.size > len(self.data):
            raise FormatError("record ends early")
        (v,) = s.unpack_from(self.data, self.pos)
        self.pos += s.size
        return v

    def string(self) -> str:
        n = self.take(_I16)
        if n < 0 or self.pos + n > len(self.data):
            raise FormatError("bad string")
        text = self.data[self.pos : self.pos + n].decode("utf-8")
        self.pos += n
        return text

    def count(self) -> int:
        n = self.take(_I32)
        if n < 0:
            return 0
        if n > PARTITIONS_MAX:
            raise FormatError(f"bad count {n}")
        return n


def decode_key(data: bytes) -> str:
    r = _Reader(data)
    version = r.take(_I16)
    if version != KEY_VERSION:
        raise FormatError(f"unknown key version {version}")
    return r.string()


def decode_value(transactional_id: str, data: bytes) -> TxnMetadata:
    r = _Reader(data)
    version = r.take(_I16)
    if version not in (0, 1):
        raise FormatError(f"unknown value version {version}")
    pid, epoch, timeout_ms, state = r.take(_I64), r.take(_I16), r.take(_I32), r.take(_I8)
    partitions: set[tuple[str, int]] = set()
    for _ in range(r.count()):
        topic = r.string()
        for _ in range(r.count()):
            partitions.add((topic, r.take(_I32)))
    update_ms, start_ms = r.take(_I64), r.take(_I64)
    try:
        txn_state = TxnState(state)
    except ValueError:
        raise FormatError(f"unknown state {state}") from None
    return TxnMetadata(
        transactional_id, pid, epoch, timeout_ms, txn_state, frozenset(partitions),
        start_ms, update_ms,
    )  # fmt: skip
