"""The hand-written Fetch response encoder produces exactly kio's bytes, for every version."""

from __future__ import annotations

import datetime
import io
import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kio.index import load_response_schema
from kio.schema.errors import ErrorCode
from kio.serial import entity_writer

from core.protocol.codec import response_header_bytes
from core.protocol.fetch_wire import FileRegion, PartitionResult, encode_fetch_response

partitions = st.lists(
    st.builds(
        PartitionResult,
        partition=st.integers(0, 1000),
        error_code=st.sampled_from([0, 1, 3, 6]),
        high_watermark=st.integers(-1, 2**40),
        last_stable_offset=st.integers(-1, 2**40),
        log_start_offset=st.integers(-1, 2**40),
        records=st.one_of(st.none(), st.binary(max_size=300)),
        aborted=st.one_of(
            st.none(), st.lists(st.tuples(st.integers(0, 2**40), st.integers(0, 2**40)), max_size=2)
        ),
        preferred_read_replica=st.integers(-1, 2**31 - 1),
    ),
    max_size=4,
)
topics = st.lists(
    st.tuples(st.text("abcdefgh.-_", min_size=1, max_size=12), partitions), max_size=3
)


def kio_bytes(version: int, correlation_id: int, data, error_code: int, session_id: int) -> bytes:
    cls = load_response_schema(1, version)
    mod = __import__(cls.__module__, fromlist=["x"])
    names = {f for f in cls.__dataclass_fields__}

    def part(p: PartitionResult):
        kw = dict(
            partition_index=p.partition,
            error_code=ErrorCode(p.error_code),
            high_watermark=p.high_watermark,
            last_stable_offset=p.last_stable_offset,
            log_start_offset=p.log_start_offset,
            aborted_transactions=None
            if p.aborted is None
            else tuple(mod.AbortedTransaction(producer_id=a, first_offset=b) for a, b in p.aborted),
            preferred_read_replica=p.preferred_read_replica,
            records=b"" if p.records is None else p.records,  # Kafka: empty, never null
        )
        fields = mod.PartitionData.__dataclass_fields__
        return mod.PartitionData(**{k: v for k, v in kw.items() if k in fields})

    body = dict(
        throttle_time=datetime.timedelta(0),
        error_code=ErrorCode(error_code),
        session_id=session_id,
        responses=tuple(
            mod.FetchableTopicResponse(topic=name, partitions=tuple(part(p) for p in ps))
            for name, ps in data
        ),
    )
    buf = io.BytesIO()
    entity_writer(cls)(buf, cls(**{k: v for k, v in body.items() if k in names}))
    payload = response_header_bytes(1, version, correlation_id) + buf.getvalue()
    return struct.pack(">i", len(payload)) + payload


@pytest.mark.parametrize("version", range(4, 12))
@settings(max_examples=40, deadline=None)
@given(
    data=topics,
    correlation_id=st.integers(0, 2**31 - 1),
    error_code=st.sampled_from([0, 70]),
    session_id=st.integers(0, 10),
)
def test_matches_kio_for_every_version(version, data, correlation_id, error_code, session_id):
    parts, size = encode_fetch_response(
        version, correlation_id, data, error_code=error_code, session_id=session_id
    )
    wire = b"".join(parts)
    assert len(wire) == size
    assert wire == kio_bytes(version, correlation_id, data, error_code, session_id)


def test_file_regions_are_spliced_in_place(tmp_path):
    path = tmp_path / "segment"
    path.write_bytes(b"0123456789abcdef")
    fd = os.open(path, os.O_RDONLY)
    try:
        region = FileRegion(fd, 4, 8)
        parts, size = encode_fetch_response(
            11, 9, [("t", [PartitionResult(0, 0, 10, 10, 0, region)])]
        )
        assert region in parts
        materialised = b"".join(
            os.pread(p.fd, p.length, p.position) if isinstance(p, FileRegion) else p for p in parts
        )
        assert len(materialised) == size
        inline = [("t", [PartitionResult(0, 0, 10, 10, 0, b"456789ab")])]
        assert materialised == b"".join(encode_fetch_response(11, 9, inline)[0])
    finally:
        os.close(fd)


@pytest.mark.parametrize("version", range(4, 12))
def test_partition_error_sends_empty_records_not_null(version):
    """librdkafka rejects a whole response holding a records size of -1 (issue 9)."""
    row = PartitionResult(0, ErrorCode.offset_out_of_range.value, 10, 10, 0, None)
    parts, size = encode_fetch_response(version, 7, [("t", [row])])
    frame = b"".join(parts)
    assert len(frame) == size
    assert frame.endswith(struct.pack(">i", 0))
    assert not frame.endswith(struct.pack(">i", -1))
