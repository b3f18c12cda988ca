"""Hand-built (and deliberately inconsistent) v2 record batches and Produce requests.

Batches start from core.model.records.build_batch; `patch` rewrites header fields and
`with_body` swaps the records, and both recompute the CRC so only the named defect remains.
"""

from __future__ import annotations

import datetime
import struct

import crc32c
from kio.schema.produce.v3 import request as produce3
from kio.schema.produce.v9 import request as produce9

from core.model.batch import CRC_START, HEADER_SIZE, LOG_OVERHEAD

# field -> (position in the batch, struct format)
_FIELDS = {
    "base_offset": (0, ">q"),
    "batch_length": (8, ">i"),
    "magic": (16, ">b"),
    "attributes": (21, ">h"),
    "last_offset_delta": (23, ">i"),
    "first_timestamp": (27, ">q"),
    "max_timestamp": (35, ">q"),
    "producer_id": (43, ">q"),
    "producer_epoch": (51, ">h"),
    "base_sequence": (53, ">i"),
    "record_count": (57, ">i"),
}


def recrc(batch: bytearray) -> bytearray:
    struct.pack_into(">I", batch, 17, crc32c.crc32c(memoryview(batch)[CRC_START:]))
    return batch


def patch(batch: bytearray, **fields: int) -> bytearray:
    """A copy of `batch` with header fields replaced and a CRC that matches."""
    out = bytearray(batch)
    for name, value in fields.items():
        pos, fmt = _FIELDS[name]
        struct.pack_into(fmt, out, pos, value)
    return recrc(out)


def with_body(batch: bytearray, body: bytes) -> bytearray:
    """A copy of `batch` whose records are `body`, with batchLength and CRC to match."""
    out = bytearray(batch[:HEADER_SIZE]) + body
    struct.pack_into(">i", out, 8, len(out) - LOG_OVERHEAD)
    return recrc(out)


def body_of(batch: bytearray) -> bytes:
    return bytes(batch[HEADER_SIZE:])


def produce_request(topic: str, records: bytes, *, version: int = 9, acks: int = -1):
    """A Produce request (v9, flexible, with record errors; or v3) for partition 0."""
    m = produce9 if version == 9 else produce3
    assert version in (3, 9)
    return m.ProduceRequest(
        transactional_id=None,
        acks=acks,
        timeout=datetime.timedelta(seconds=5),
        topic_data=(
            m.TopicProduceData(
                name=topic,
                partition_data=(m.PartitionProduceData(index=0, records=records),),
            ),
        ),
    )


def partition_response(resp):
    return resp.responses[0].partition_responses[0]
