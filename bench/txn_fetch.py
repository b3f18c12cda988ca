"""Fetch throughput read_committed vs read_uncommitted over the same transactional data.

One partition holds `--txns` transactions of `--per-txn` 1 KiB records each (one batch per
transaction, written by this script acting as the transaction coordinator: InitProducerId,
transactional Produce, WriteTxnMarkers), every `--abort-every`-th one aborted. confluent-kafka
consumers then read the partition from the start to its end at each isolation level, in
alternating runs; a plain (non-transactional) topic of the same size is read the same way as
the baseline. `mb_s` counts the record bytes delivered (read_committed delivers only the
committed ones), `log_mb_s` the record bytes of the whole partition read through. Prints JSON and writes it to bench/results/txn-fetch-<time>.json.

    .venv/bin/python -m bench.txn_fetch [--txns 1000] [--per-txn 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import socket
import statistics
import struct
import tempfile
import time
from pathlib import Path

import confluent_kafka as ck
from kio.index import load_response_schema
from kio.schema.init_producer_id.v3 import request as init3
from kio.schema.produce.v9 import request as produce9
from kio.schema.write_txn_markers.v1 import request as markers1
from kio.serial import entity_reader, entity_writer

from bench import kafka_load
from core.model.records import Record, build_batch
from core.testing.process import BrokerProcess

RECORD_BYTES = 1024
DEADLINE_S = 300.0


class Raw:
    """A minimal blocking Kafka client: one request at a time."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.correlation = 0

    def request(self, body):
        self.correlation += 1
        header_cls = body.__header_schema__
        header = header_cls(
            request_api_key=body.__api_key__,
            request_api_version=body.__version__,
            correlation_id=self.correlation,
            client_id="bench-txn",
        )
        buf = io.BytesIO()
        entity_writer(header_cls)(buf, header)
        entity_writer(type(body))(buf, body)
        self.sock.sendall(struct.pack(">i", len(buf.getvalue())) + buf.getvalue())
        size = struct.unpack(">i", self._exact(4))[0]
        frame = self._exact(size)
        response_cls = load_response_schema(body.__api_key__, body.__version__)
        _, used = entity_reader(response_cls.__header_schema__)(frame, 0)
        return entity_reader(response_cls)(frame, used)[0]

    def _exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        return bytes(buf)


def write_transactions(port: int, topic: str, txns: int, per_txn: int, abort_every: int) -> dict:
    raw = Raw(port)
    init = raw.request(
        init3.InitProducerIdRequest(
            transactional_id=None, transaction_timeout=datetime.timedelta(seconds=60)
        )
    )
    pid, epoch = init.producer_id, init.producer_epoch
    value = b"x" * RECORD_BYTES
    committed = 0
    for t in range(txns):
        batch = build_batch(
            [Record(key=None, value=value)] * per_txn,
            producer_id=pid,
            producer_epoch=epoch,
            base_sequence=t * per_txn,
            transactional=True,
        )
        resp = raw.request(
            produce9.ProduceRequest(
                transactional_id="bench-txn",
                acks=-1,
                timeout=datetime.timedelta(seconds=30),
                topic_data=(
                    produce9.TopicProduceData(
                        name=topic,
                        partition_data=(
                            produce9.PartitionProduceData(index=0, records=bytes(batch)),
                        ),
                    ),
                ),
            )
        )
        assert resp.responses[0].partition_responses[0].error_code == 0
        commit = abort_every <= 0 or (t + 1) % abort_every != 0
        marker = markers1.WritableTxnMarker(
            producer_id=pid,
            producer_epoch=epoch,
            transaction_result=commit,
            topics=(markers1.WritableTxnMarkerTopic(name=topic, partition_indexes=(0,)),),
            coordinator_epoch=0,
        )
        resp = raw.request(markers1.WriteTxnMarkersRequest(markers=(marker,)))
        assert resp.markers[0].topics[0].partitions[0].error_code == 0
        committed += per_txn if commit else 0
    raw.sock.close()
    return {"records": txns * per_txn, "committed_records": committed}


def read(bootstrap: str, topic: str, isolation: str) -> dict:
    """Read the partition from the start to its end (high watermark, or LSO when committed)."""
    consumer = ck.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-txn-{isolation}",
            "enable.auto.commit": False,
            "isolation.level": isolation,
            "fetch.max.bytes": 52_428_800,
            "max.partition.fetch.bytes": 10_485_760,
            "enable.partition.eof": True,
        }
    )
    consumer.assign([ck.TopicPartition(topic, 0, ck.OFFSET_BEGINNING)])
    got = size = 0
    started = time.perf_counter()
    done = False
    while not done and time.perf_counter() - started < DEADLINE_S:
        for m in consumer.consume(10_000, 0.5):
            if m.error() is None:
                got += 1
                size += len(m.value())
            elif m.error().code() == ck.KafkaError._PARTITION_EOF:
                done = True
    elapsed = time.perf_counter() - started
    consumer.close()
    return {"records": got, "seconds": elapsed, "mb_s": size / 1e6 / elapsed}  # delivered


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.txn_fetch")
    parser.add_argument("--txns", type=int, default=1000)
    parser.add_argument("--per-txn", type=int, default=100)
    parser.add_argument("--abort-every", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    result: dict = {"record_bytes": RECORD_BYTES, "runs": args.runs}
    with tempfile.TemporaryDirectory(prefix="ailurus-bench-txn-", dir=".") as tmp:
        broker = BrokerProcess(Path(tmp) / "data").start()
        try:
            for topic in ("txn", "plain"):
                kafka_load.create_topic(broker.bootstrap, topic, 1)
            started = time.perf_counter()
            result["written"] = write_transactions(
                broker.kafka_port, "txn", args.txns, args.per_txn, args.abort_every
            )
            result["written"]["txns_s"] = round(args.txns / (time.perf_counter() - started), 1)
            kafka_load.produce(
                broker.bootstrap, "plain", args.txns * args.per_txn, RECORD_BYTES, DEADLINE_S
            )
            runs: dict[str, list[dict]] = {}
            for _ in range(args.runs):
                for topic in ("txn", "plain"):
                    for isolation in ("read_uncommitted", "read_committed"):
                        runs.setdefault(f"{topic}_{isolation}", []).append(
                            read(broker.bootstrap, topic, isolation)
                        )
        finally:
            broker.stop()
    log_mb = args.txns * args.per_txn * RECORD_BYTES / 1e6  # each topic's record bytes
    for name, measured in runs.items():
        result[name] = {
            "records": measured[-1]["records"],
            "mb_s_median": round(statistics.median(m["mb_s"] for m in measured), 1),
            "log_mb_s_median": round(statistics.median(log_mb / m["seconds"] for m in measured), 1),
            "mb_s_all": [round(m["mb_s"], 1) for m in measured],
        }
    committed, uncommitted = result["txn_read_committed"], result["txn_read_uncommitted"]
    result["txn_committed_vs_uncommitted_log_mb_s"] = round(
        committed["log_mb_s_median"] / uncommitted["log_mb_s_median"], 3
    )
    text = json.dumps(result, indent=2)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"txn-fetch-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
