"""Raw Kafka requests for the partition side of transactions (issue 15), for tests that act as
the transaction coordinator themselves: a producer id from InitProducerId (no transactional
id), transactional batches with that id and epoch, WriteTxnMarkers to commit or abort, and
read_committed / read_uncommitted Fetch, ListOffsets and DescribeProducers."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from kio.schema.describe_producers.v0 import request as describe0
from kio.schema.fetch.v11 import request as fetch11
from kio.schema.init_producer_id.v3 import request as init3
from kio.schema.list_offsets.v4 import request as offsets4
from kio.schema.produce.v9 import request as produce9
from kio.schema.write_txn_markers.v1 import request as markers1

from core.model.records import Record, build_batch, iter_batches
from tests.support.raw_client import RawClient

READ_UNCOMMITTED = 0
READ_COMMITTED = 1
TXN_ID = "txn-data-test"


def init_producer_id(client: RawClient) -> tuple[int, int]:
    resp = client.request(
        init3.InitProducerIdRequest(
            transactional_id=None, transaction_timeout=datetime.timedelta(seconds=60)
        )
    )
    assert resp.error_code == 0, resp
    return resp.producer_id, resp.producer_epoch


def txn_batch(
    pid: int, epoch: int, seq: int, values: list[bytes], *, transactional: bool = True
) -> bytearray:
    records = [Record(key=v, value=v) for v in values]
    return build_batch(
        records,
        producer_id=pid,
        producer_epoch=epoch,
        base_sequence=seq,
        transactional=transactional,
    )


def produce(
    client: RawClient,
    topic: str,
    partition: int,
    batch: bytes,
    *,
    transactional_id: str | None = TXN_ID,
    acks: int = -1,
) -> tuple[int, int]:
    """(error code, base offset) of one batch."""
    resp = client.request(
        produce9.ProduceRequest(
            transactional_id=transactional_id,
            acks=acks,
            timeout=datetime.timedelta(seconds=10),
            topic_data=(
                produce9.TopicProduceData(
                    name=topic,
                    partition_data=(
                        produce9.PartitionProduceData(index=partition, records=bytes(batch)),
                    ),
                ),
            ),
        )
    )
    row = resp.responses[0].partition_responses[0]
    return int(row.error_code.value), row.base_offset


def write_markers(
    client: RawClient,
    pid: int,
    epoch: int,
    commit: bool,
    partitions: list[tuple[str, int]],
    coordinator_epoch: int = 0,
) -> list[int]:
    """WriteTxnMarkers v1 for one producer; the error code of each partition, in order."""
    topics: dict[str, list[int]] = {}
    for topic, index in partitions:
        topics.setdefault(topic, []).append(index)
    resp = client.request(
        markers1.WriteTxnMarkersRequest(
            markers=(
                markers1.WritableTxnMarker(
                    producer_id=pid,
                    producer_epoch=epoch,
                    transaction_result=commit,
                    topics=tuple(
                        markers1.WritableTxnMarkerTopic(name=t, partition_indexes=tuple(ps))
                        for t, ps in topics.items()
                    ),
                    coordinator_epoch=coordinator_epoch,
                ),
            )
        )
    )
    codes = {}
    for topic in resp.markers[0].topics:
        for p in topic.partitions:
            codes[(topic.name, p.partition_index)] = int(p.error_code.value)
    return [codes[tp] for tp in partitions]


@dataclass
class Fetched:
    error_code: int
    high_watermark: int
    last_stable_offset: int
    aborted: list[tuple[int, int]] | None
    batches: list  # (header, records)

    @property
    def values(self) -> list[bytes | None]:
        return [r.value for h, recs in self.batches if not h.is_control for r in recs]


def fetch(
    client: RawClient,
    topic: str,
    partition: int,
    offset: int,
    isolation: int,
    max_bytes: int = 1 << 20,
) -> Fetched:
    request = fetch11.FetchRequest(
        replica_id=-1,
        max_wait=datetime.timedelta(0),
        min_bytes=1,
        max_bytes=max_bytes,
        isolation_level=isolation,
        session_id=0,
        session_epoch=-1,
        forgotten_topics_data=(),
        rack_id="",
        topics=(
            fetch11.FetchTopic(
                topic=topic,
                partitions=(
                    fetch11.FetchPartition(
                        partition=partition,
                        current_leader_epoch=-1,
                        fetch_offset=offset,
                        log_start_offset=-1,
                        partition_max_bytes=max_bytes,
                    ),
                ),
            ),
        ),
    )
    row = client.request(request).responses[0].partitions[0]
    aborted = (
        None
        if row.aborted_transactions is None
        else [(a.producer_id, a.first_offset) for a in row.aborted_transactions]
    )
    raw = row.records or b""
    return Fetched(
        int(row.error_code.value),
        row.high_watermark,
        row.last_stable_offset,
        aborted,
        list(iter_batches(raw)),
    )


def fetch_all(client: RawClient, topic: str, partition: int, isolation: int) -> Fetched:
    """Fetch from 0 until the isolation level's end; batches and aborted lists joined."""
    offset, batches, aborted = 0, [], []
    while True:
        got = fetch(client, topic, partition, offset, isolation)
        assert got.error_code == 0, got
        if not got.batches:
            end = got.last_stable_offset if isolation else got.high_watermark
            assert offset >= end, (offset, end)
            return Fetched(0, got.high_watermark, got.last_stable_offset, aborted, batches)
        batches += got.batches
        for entry in got.aborted or ():
            if entry not in aborted:
                aborted.append(entry)
        offset = got.batches[-1][0].last_offset + 1


def committed_values(fetched: Fetched) -> list[bytes | None]:
    """What a read_committed client keeps: records of aborted transactions dropped (their
    producer's batches from the aborted first offset up to its ABORT marker)."""
    starts = sorted(fetched.aborted or [], key=lambda a: a[1])
    dropping: set[int] = set()
    out: list[bytes | None] = []
    for header, records in fetched.batches:
        while starts and starts[0][1] <= header.base_offset:
            dropping.add(starts.pop(0)[0])
        if header.is_control:
            dropping.discard(header.producer_id)
            continue
        if header.is_transactional and header.producer_id in dropping:
            continue
        out += [r.value for r in records]
    return out


def list_offset(
    client: RawClient, topic: str, partition: int, isolation: int, timestamp: int = -1
) -> int:
    """ListOffsets v4: LATEST (-1) by default, EARLIEST (-2), or by time."""
    resp = client.request(
        offsets4.ListOffsetsRequest(
            replica_id=-1,
            isolation_level=isolation,
            topics=(
                offsets4.ListOffsetsTopic(
                    name=topic,
                    partitions=(
                        offsets4.ListOffsetsPartition(
                            partition_index=partition, timestamp=timestamp
                        ),
                    ),
                ),
            ),
        )
    )
    row = resp.topics[0].partitions[0]
    assert row.error_code == 0, row
    return row.offset


def describe_producers(client: RawClient, topic: str, partition: int):
    resp = client.request(
        describe0.DescribeProducersRequest(
            topics=(describe0.TopicRequest(name=topic, partition_indexes=(partition,)),)
        )
    )
    return resp.topics[0].partitions[0]


COMMITTED_BEFORE_C = [b"a0", b"a1", b"a2", b"p0", b"p1", b"a3"]
EVERYTHING = [b"a0", b"a1", b"a2", b"p0", b"b0", b"p1", b"b1", b"a3", b"c0", b"c1", b"p2", b"d0"]


def vals(prefix: str, n: int) -> list[bytes]:
    return [f"{prefix}{i}".encode() for i in range(n)]


def build_history(client: RawClient, topic: str) -> dict:
    """committed a0-a2, aborted b0-b1, plain p0-p1 between, committed a3 (second txn of A),
    then producer C's open transaction c0-c1 followed by plain p2 and A's aborted d0."""
    a_pid, a_epoch = init_producer_id(client)
    c_pid, c_epoch = init_producer_id(client)
    plain_pid, plain_epoch = init_producer_id(client)
    seq = {a_pid: 0, c_pid: 0, plain_pid: 0}

    def send(pid: int, epoch: int, values: list[bytes], transactional: bool = True) -> int:
        batch = txn_batch(pid, epoch, seq[pid], values, transactional=transactional)
        code, base = produce(client, topic, 0, batch)
        assert code == 0, code
        seq[pid] += len(values)
        return base

    send(a_pid, a_epoch, vals("a", 3))
    send(plain_pid, plain_epoch, [b"p0"], transactional=False)
    assert write_markers(client, a_pid, a_epoch, True, [(topic, 0)]) == [0]
    send(a_pid, a_epoch, [b"b0"])
    send(plain_pid, plain_epoch, [b"p1"], transactional=False)
    send(a_pid, a_epoch, [b"b1"])
    assert write_markers(client, a_pid, a_epoch, False, [(topic, 0)]) == [0]
    send(a_pid, a_epoch, [b"a3"])
    assert write_markers(client, a_pid, a_epoch, True, [(topic, 0)]) == [0]
    c_first = send(c_pid, c_epoch, vals("c", 2))
    send(plain_pid, plain_epoch, [b"p2"], transactional=False)
    send(a_pid, a_epoch, [b"d0"])
    assert write_markers(client, a_pid, a_epoch, False, [(topic, 0)]) == [0]
    return {"a": (a_pid, a_epoch), "c": (c_pid, c_epoch), "c_first": c_first, "seq": seq}
