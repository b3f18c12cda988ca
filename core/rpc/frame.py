"""The broker-to-broker RPC frame (rpc_server, 33145).

A frame is a fixed 24-byte little-endian header, then `meta_len` bytes of a compact
struct-packed message header (the "meta"), then `blob_len` opaque bytes (the "blob":
batch bytes a leader sends, written by the follower as they are, never decoded here).

    offset size field
    0      2    magic         0xA1B5
    2      1    version       VERSION; the layout of this header never changes across versions
    3      1    flags         FLAG_RESPONSE on responses
    4      2    method        method id (0 = hello); echoed in the response
    6      1    status        Status, responses only (0 on requests)
    7      1    reserved      0
    8      4    correlation   chosen by the caller, echoed in the response
    12     4    meta_len
    16     4    blob_len
    20     4    header_crc    crc32c of bytes 0..19

A frame whose magic or header checksum is wrong, or whose body is larger than the
receiver's `max_frame_bytes`, is malformed: the receiver closes that connection.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Sequence
from typing import NamedTuple

import crc32c

MAGIC = 0xA1B5
VERSION = 1
FLAG_RESPONSE = 0x01

HEADER = struct.Struct("<HBBHBBIIII")
HEADER_SIZE = HEADER.size  # 24
_CRC_SPAN = HEADER_SIZE - 4
_PREFIX = struct.Struct("<HBBHBBIII")
_U32 = struct.Struct("<I")

DEFAULT_MAX_FRAME_BYTES = 32 * 1024 * 1024  # meta + blob
MAX_META_BYTES = 8 * 1024 * 1024
MAX_CORRELATION = 0xFFFF_FFFF

Buffer = bytes | bytearray | memoryview
Blob = Buffer | Sequence[Buffer]  # several buffers are sent one after another, never joined


class Method(enum.IntEnum):
    """Method ids in use. Ids not listed are free; the server answers unknown ones."""

    hello = 0
    heartbeat_batch = 1  # core.rpc.heartbeat
    raft_message = 2  # core.rpc.raft_codec, one-way (empty response)
    raft_batch = 3  # core.cluster.raft_groups: many groups' messages to one peer, one-way
    controller_submit = 10  # core.cluster.controller: a command forwarded to the leader
    node_join = 11  # core.cluster.bootstrap: a new node asks to be registered
    leaders_update = 12  # core.cluster.leaders: partition leadership dissemination
    node_status = 13  # core.cluster.members: liveness and per-node health
    leadership = 20  # core.cluster.leader_transfer: leadership transfer, drain status
    txn_marker = 21  # core.transactions.marker_rpc: WriteTxnMarkers between brokers
    partition_balancer = 22  # core.cluster.partition_balancer_rpc: status from the leader
    echo = 100  # tests and bench/rpc_load.py


class Status(enum.IntEnum):
    ok = 0
    unknown_method = 1
    timeout = 2  # the handler did not finish within the server's handler timeout
    handler_error = 3  # the handler raised; the reason stays in the server's log
    version_mismatch = 4  # the receiver speaks another frame version (its own is in `version`)
    refused = 5  # handshake refused (cluster id, node UUID); reason as UTF-8 in the meta


class FrameError(Exception):
    """A malformed frame: the connection that carried it is closed."""


class Header(NamedTuple):
    version: int
    flags: int
    method: int
    status: int
    correlation: int
    meta_len: int
    blob_len: int

    @property
    def is_response(self) -> bool:
        return bool(self.flags & FLAG_RESPONSE)

    @property
    def body_len(self) -> int:
        return self.meta_len + self.blob_len


def blob_length(blob: Blob) -> int:
    if isinstance(blob, bytes | bytearray | memoryview):
        return memoryview(blob).nbytes
    return sum(memoryview(b).nbytes for b in blob)


def blob_parts(blob: Blob) -> Sequence[Buffer]:
    if isinstance(blob, bytes | bytearray | memoryview):
        return (blob,) if memoryview(blob).nbytes else ()
    return [b for b in blob if memoryview(b).nbytes]


def encode_header(
    method: int,
    correlation: int,
    meta_len: int,
    blob_len: int,
    *,
    flags: int = 0,
    status: int = 0,
    version: int = VERSION,
) -> bytes:
    prefix = _PREFIX.pack(MAGIC, version, flags, method, status, 0, correlation, meta_len, blob_len)
    return prefix + _U32.pack(crc32c.crc32c(prefix))


def decode_header(buf: Buffer, pos: int, max_frame_bytes: int) -> Header:
    """Parse and check the header at `buf[pos:pos + HEADER_SIZE]` (raises FrameError)."""
    magic, version, flags, method, status, _r, corr, meta_len, blob_len, crc = HEADER.unpack_from(
        buf, pos
    )
    if magic != MAGIC:
        raise FrameError(f"bad magic 0x{magic:04x}")
    actual = crc32c.crc32c(memoryview(buf)[pos : pos + _CRC_SPAN])
    if actual != crc:
        raise FrameError(f"header checksum 0x{crc:08x} != 0x{actual:08x}")
    if meta_len > MAX_META_BYTES or meta_len + blob_len > max_frame_bytes:
        raise FrameError(f"frame body {meta_len}+{blob_len} bytes over {max_frame_bytes}")
    return Header(version, flags, method, status, corr, meta_len, blob_len)
