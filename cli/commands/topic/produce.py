"""`rpk topic produce`: read records from stdin with rpk's input --format and produce them."""

from __future__ import annotations

import re
import sys
import threading
from typing import Annotated, Optional

import typer

from cli import options
from cli.clients import kafka as kc
from cli.config.values import parse_duration
from cli.errors import KafkaRequestFailed, NotFound, UsageError
from cli.options import with_globals
from cli.records.informat import ByteReader, InputFormat, InRecord
from cli.records.outformat import Record, compile_format
from cli.records.serde import ProduceSerdes
from cli.views import topic_views

COMPRESSION = {"none": None, "gzip": "gzip", "snappy": "snappy", "lz4": "lz4", "zstd": "zstd"}
ACKS = {"-1": "all", "all": "all", "0": 0, "1": 1}
DEFAULT_OUTPUT = "Produced to partition %p at offset %o with timestamp %d.\n"


def parse_headers(items: list[str] | None) -> list[tuple[str, bytes]]:
    out = []
    for item in items or []:
        key, sep, value = item.partition(":")
        if not sep:
            raise UsageError(f"invalid header {item!r}: expected key:value")
        out.append((key, value.encode()))
    return out


def producer_options(
    compression: str, acks: str, delivery_timeout: str, max_message_bytes: int
) -> dict:
    if compression not in COMPRESSION:
        raise UsageError(
            f"invalid --compression {compression!r}: use none, gzip, snappy, lz4 or zstd"
        )
    if acks not in ACKS:
        raise UsageError(f"invalid --acks {acks!r}: use -1 (all), 0 or 1")
    opts = {
        "compression_type": COMPRESSION[compression],
        "acks": ACKS[acks],
        "linger_ms": 0,
        "max_block_ms": 10000,
        "delivery_timeout_ms": int(parse_duration(delivery_timeout) * 1000),
    }
    if ACKS[acks] != "all":
        opts["enable_idempotence"] = False
    if max_message_bytes > 0:
        opts["max_request_size"] = max_message_bytes
    return opts


class _Reporter:
    """Prints the output format for each acknowledged record; remembers the first failure."""

    def __init__(self, fmt: str) -> None:
        self.render = compile_format(fmt)
        self.error: BaseException | None = None
        self.lock = threading.Lock()

    def track(self, future, rec: InRecord, topic: str) -> None:
        def ok(meta):
            out = Record(
                topic, meta.partition, meta.offset, rec.key, rec.value, meta.timestamp, rec.headers
            )
            with self.lock:
                sys.stdout.buffer.write(self.render(out))
                sys.stdout.buffer.flush()

        def failed(exc):
            with self.lock:
                self.error = self.error or exc

        future.add_callback(ok)
        future.add_errback(failed)


def _check_topic(topic: str, allow_create: bool) -> None:
    with kc.admin_session(options.params()) as admin:
        views = topic_views(admin.describe_topics([topic]))
    if not allow_create and (not views or views[0].error.startswith("UNKNOWN_TOPIC")):
        raise NotFound(f'UNKNOWN_TOPIC_OR_PARTITION: topic "{topic}" does not exist')


@with_globals
@kc.kafka_command
def topic_produce(
    topic: Annotated[
        Optional[str], typer.Argument(help="Topic to produce to (or use %t in --format).")
    ] = None,
    fmt: Annotated[str, typer.Option("-f", "--format", help="Input record format.")] = "%v\n",
    output_format: Annotated[
        str, typer.Option("-o", "--output-format", help="What to print per produced record.")
    ] = DEFAULT_OUTPUT,
    key: Annotated[
        Optional[str], typer.Option("-k", "--key", help="A fixed key for every record.")
    ] = None,
    header: Annotated[
        Optional[list[str]],
        typer.Option("-H", "--header", help="Header key:value for every record; repeatable."),
    ] = None,
    partition: Annotated[
        int,
        typer.Option(
            "-p", "--partition", help="Partition to produce to (-1 = partitioner).", metavar="int32"
        ),
    ] = -1,
    compression: Annotated[
        str, typer.Option("-z", "--compression", help="none, gzip, snappy, lz4 or zstd.")
    ] = "snappy",
    acks: Annotated[str, typer.Option("--acks", help="-1 (all), 0 or 1.", metavar="int")] = "-1",
    delivery_timeout: Annotated[
        str,
        typer.Option("--delivery-timeout", help="Per-record delivery timeout.", metavar="duration"),
    ] = "30s",
    max_message_bytes: Annotated[
        int,
        typer.Option(
            "--max-message-bytes", help="Max request size (-1 = client default).", metavar="int32"
        ),
    ] = -1,
    tombstone: Annotated[
        bool, typer.Option("-Z", "--tombstone", help="Produce empty values as null (tombstones).")
    ] = False,
    allow_auto_topic_creation: Annotated[
        bool,
        typer.Option("--allow-auto-topic-creation", help="Let the broker create a missing topic."),
    ] = False,
    schema_id: Annotated[
        str,
        typer.Option(
            "--schema-id",
            help="Schema ID to encode the record value with, use 'topic' for TopicName strategy",
        ),
    ] = "",
    schema_key_id: Annotated[
        str,
        typer.Option(
            "--schema-key-id",
            help="Schema ID to encode the record key with, use 'topic' for TopicName strategy",
        ),
    ] = "",
    schema_type: Annotated[
        str,
        typer.Option(
            "--schema-type",
            help="Name of the protobuf message type to be used to encode the record value "
            "using schema registry",
        ),
    ] = "",
    schema_key_type: Annotated[
        str,
        typer.Option(
            "--schema-key-type",
            help="Name of the protobuf message type to be used to encode the record key "
            "using schema registry",
        ),
    ] = "",
) -> None:
    """Produce records to a topic, one per --format match on stdin."""
    serdes = ProduceSerdes(schema_id, schema_key_id, schema_type, schema_key_type)
    if serdes.enabled:  # as rpk: %k and %v read one JSON value each
        fmt = re.sub(r"%(v|k)([^{]|$)", r"%\1{json}\2", fmt)
    informat = InputFormat(fmt)
    opts = producer_options(compression, acks, delivery_timeout, max_message_bytes)
    fixed_headers = parse_headers(header)
    if topic:
        _check_topic(topic, allow_auto_topic_creation)
    reporter = _Reporter(output_format)
    producer = kc.producer(options.params(), **opts)
    try:
        _produce_all(
            producer, informat, reporter, topic, key, fixed_headers, partition, tombstone, serdes
        )
        producer.flush(timeout=parse_duration(delivery_timeout) + 5)
    finally:
        producer.close(timeout=5)
    if reporter.error is not None:
        raise KafkaRequestFailed(f"unable to produce: {kc.describe(reporter.error)}")


def _produce_all(
    producer, informat, reporter, topic, key, headers, partition, tombstone, serdes
) -> None:
    reader = ByteReader(sys.stdin.buffer)
    while reporter.error is None:
        rec = informat.read(reader)
        if rec is None:
            return
        target = rec.topic or topic
        if not target:
            raise UsageError("no topic: pass a topic argument or use %t in --format")
        if key is not None and rec.key is None:
            rec.key = key.encode()
        rec.headers = headers + rec.headers
        value = None if tombstone and not rec.value else (rec.value or b"")
        if serdes.enabled:
            rec.key = serdes.encode_key(target, rec.key)
            value = serdes.encode_value(target, value)
        part = (
            rec.partition if rec.partition is not None else (partition if partition >= 0 else None)
        )
        try:
            future = producer.send(
                target, value=value, key=rec.key, headers=rec.headers or None, partition=part
            )
        except ValueError:  # kafka-python: 'Unrecognized partition'; franz-go's words instead
            available = len(producer.partitions_for(target) or ())
            raise KafkaRequestFailed(
                "unable to produce record: invalid record partitioning choice of "
                f"{part} from {available} available"
            ) from None
        reporter.track(future, rec, target)


def register(app: typer.Typer) -> None:
    app.command("produce")(topic_produce)
