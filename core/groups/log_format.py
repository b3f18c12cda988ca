"""Records of `__consumer_offsets`, in Kafka's own versioned key/value schemas.

Keys start with an int16 version: 0 and 1 are OffsetCommitKey (group, topic,
partition), 2 is GroupMetadataKey (group). Values start with an int16 version too:
OffsetCommitValue v0-v3 and GroupMetadataValue v0-v3 are read; Ailurus writes
OffsetCommitValue v3 (v1 when an explicit expiry was requested) and
GroupMetadataValue v3, like Kafka, so Kafka tooling can read the topic. A value of
null is a tombstone, which compaction eventually drops.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")

OFFSET_KEY_VERSION = 1
GROUP_KEY_VERSION = 2
OFFSET_VALUE_VERSION = 3
OFFSET_VALUE_WITH_EXPIRY_VERSION = 1
GROUP_VALUE_VERSION = 3
_MEMBERS_MAX = 100_000


class FormatError(ValueError):
    """A record of __consumer_offsets that this broker cannot read."""


@dataclass(frozen=True, slots=True)
class OffsetKey:
    group: str
    topic: str
    partition: int


@dataclass(frozen=True, slots=True)
class GroupKey:
    group: str


@dataclass(frozen=True, slots=True)
class OffsetValue:
    offset: int
    leader_epoch: int
    metadata: str
    commit_timestamp_ms: int
    expire_timestamp_ms: int | None = None


@dataclass(frozen=True, slots=True)
class MemberValue:
    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    rebalance_timeout_ms: int
    session_timeout_ms: int
    subscription: bytes
    assignment: bytes


@dataclass(frozen=True, slots=True)
class GroupValue:
    protocol_type: str
    generation: int
    protocol: str | None
    leader: str | None
    state_timestamp_ms: int
    members: tuple[MemberValue, ...]


# ---------------------------------------------------------------- writing


class _Writer:
    def __init__(self) -> None:
        self.out = bytearray()

    def i16(self, v: int) -> _Writer:
        self.out += _I16.pack(v)
        return self

    def i32(self, v: int) -> _Writer:
        self.out += _I32.pack(v)
        return self

    def i64(self, v: int) -> _Writer:
        self.out += _I64.pack(v)
        return self

    def string(self, v: str | None) -> _Writer:
        if v is None:
            return self.i16(-1)
        data = v.encode("utf-8")
        assert len(data) <= 0x7FFF, "string too long for an int16 length"
        self.i16(len(data))
        self.out += data
        return self

    def bytes_(self, v: bytes) -> _Writer:
        self.i32(len(v))
        self.out += v
        return self


def encode_offset_key(key: OffsetKey) -> bytes:
    w = _Writer().i16(OFFSET_KEY_VERSION).string(key.group).string(key.topic).i32(key.partition)
    return bytes(w.out)


def encode_group_key(key: GroupKey) -> bytes:
    return bytes(_Writer().i16(GROUP_KEY_VERSION).string(key.group).out)


def encode_offset_value(value: OffsetValue) -> bytes:
    if value.expire_timestamp_ms is not None:
        w = _Writer().i16(OFFSET_VALUE_WITH_EXPIRY_VERSION).i64(value.offset).string(value.metadata)
        return bytes(w.i64(value.commit_timestamp_ms).i64(value.expire_timestamp_ms).out)
    w = _Writer().i16(OFFSET_VALUE_VERSION).i64(value.offset).i32(value.leader_epoch)
    return bytes(w.string(value.metadata).i64(value.commit_timestamp_ms).out)


def encode_group_value(value: GroupValue) -> bytes:
    w = _Writer().i16(GROUP_VALUE_VERSION).string(value.protocol_type).i32(value.generation)
    w.string(value.protocol).string(value.leader).i64(value.state_timestamp_ms)
    w.i32(len(value.members))
    for m in value.members:
        w.string(m.member_id).string(m.group_instance_id).string(m.client_id).string(m.client_host)
        w.i32(m.rebalance_timeout_ms).i32(m.session_timeout_ms).bytes_(m.subscription).bytes_(
            m.assignment
        )
    return bytes(w.out)


# ---------------------------------------------------------------- reading


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, s: struct.Struct) -> int:
        if self.pos + s.size > len(self.data):
            raise FormatError("record ends early")
        (v,) = s.unpack_from(self.data, self.pos)
        self.pos += s.size
        return v

    def i16(self) -> int:
        return self._take(_I16)

    def i32(self) -> int:
        return self._take(_I32)

    def i64(self) -> int:
        return self._take(_I64)

    def string(self) -> str | None:
        n = self.i16()
        if n < 0:
            return None
        return self._slice(n).decode("utf-8")

    def text(self) -> str:
        v = self.string()
        if v is None:
            raise FormatError("null where a string is required")
        return v

    def bytes_(self) -> bytes:
        n = self.i32()
        return b"" if n < 0 else self._slice(n)

    def _slice(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise FormatError("field runs past the end of the record")
        v = self.data[self.pos : self.pos + n]
        self.pos += n
        return bytes(v)


def decode_key(data: bytes) -> OffsetKey | GroupKey:
    r = _Reader(data)
    version = r.i16()
    if version in (0, 1):
        return OffsetKey(r.text(), r.text(), r.i32())
    if version == 2:
        return GroupKey(r.text())
    raise FormatError(f"unknown key version {version}")


def decode_offset_value(data: bytes) -> OffsetValue:
    r = _Reader(data)
    version = r.i16()
    if version not in (0, 1, 2, 3):
        raise FormatError(f"unknown offset value version {version}")
    offset = r.i64()
    epoch = r.i32() if version >= 3 else -1
    metadata = r.string() or ""
    commit_ms = r.i64()
    expire_ms = r.i64() if version == 1 else None
    return OffsetValue(offset, epoch, metadata, commit_ms, expire_ms)


def decode_group_value(data: bytes) -> GroupValue:
    r = _Reader(data)
    version = r.i16()
    if version not in (0, 1, 2, 3):
        raise FormatError(f"unknown group value version {version}")
    protocol_type = r.text()
    generation = r.i32()
    protocol = r.string()
    leader = r.string()
    state_ms = r.i64() if version >= 2 else -1
    count = r.i32()
    if not 0 <= count <= _MEMBERS_MAX:
        raise FormatError(f"bad member count {count}")
    members = tuple(_decode_member(r, version) for _ in range(count))
    return GroupValue(protocol_type, generation, protocol, leader, state_ms, members)


def _decode_member(r: _Reader, version: int) -> MemberValue:
    member_id = r.text()
    instance = r.string() if version >= 3 else None
    client_id = r.text()
    client_host = r.text()
    rebalance_ms = r.i32() if version >= 1 else -1
    session_ms = r.i32()
    if rebalance_ms < 0:
        rebalance_ms = session_ms
    return MemberValue(
        member_id,
        instance,
        client_id,
        client_host,
        rebalance_ms,
        session_ms,
        r.bytes_(),
        r.bytes_(),
    )
