"""`rpk topic consume`: print records with rpk's --format, from -o offsets or as a group member."""

from __future__ import annotations

import contextlib
import sys
import time
from typing import Annotated, Optional

import typer
from kafka import AsyncConsumerRebalanceListener, OffsetAndMetadata, TopicPartition
from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor
from kafka.errors import KafkaError

from cli import options
from cli.clients import kafka as kc
from cli.commands.topic._consume_plan import Range, plan
from cli.commands.topic._interrupt import StopSignals
from cli.config.values import parse_duration
from cli.errors import FlagError, NotFound, UsageError
from cli.options import with_globals
from cli.records.offsets import OffsetSpec, parse_offset
from cli.records.outformat import Record, compile_format
from cli.records.serde import ConsumeDecoder, take_use_schema_registry
from cli.views import match_regex, topic_views

POLL_MS = 200
PRETTY_FLAG = "--pretty-print"
PRETTY_ROW = (
    "      --pretty-print",
    "Pretty print each record over multiple lines (for -f json) (default true)",
)
REGISTRY_ROW = (
    "      --use-schema-registry strings[=key,value]",
    "If present, rpk will decode the key and the value with the schema registry. Also accepts "
    "use-schema-registry=key or use-schema-registry=value (default [])",
)
COMMIT_INTERVAL_S = 5.0  # rpk (franz-go) autocommits marked offsets every 5s
EXIT_COMMIT_TIMEOUT_MS = 3000  # the commit at exit, then the close, are bounded (Ctrl-C exits)
CLOSE_TIMEOUT_MS = 2000
BALANCERS = {
    "range": RangePartitionAssignor,
    "roundrobin": RoundRobinPartitionAssignor,
    "sticky": StickyPartitionAssignor,
    "cooperative-sticky": CooperativeStickyAssignor,
}


def parse_partitions(items: list[str] | None) -> list[int]:
    out = []
    for item in items or []:
        for part in item.split(","):
            if not part.strip().isdigit():
                raise UsageError(f"invalid partition {part!r}")
            out.append(int(part))
    return sorted(set(out))


class Printer:
    def __init__(self, fmt: str, pretty: bool, num: int, meta_only: bool = False) -> None:
        self.render = compile_format(fmt, pretty, meta_only)
        self.num, self.count = num, 0
        self.marks: dict[TopicPartition, int] = {}  # next offset after the last printed record
        self.stop: StopSignals | None = None  # Ctrl-C: stop before the next record
        self.decoder: ConsumeDecoder | None = None  # --use-schema-registry

    @property
    def done(self) -> bool:
        if self.stop is not None and self.stop.requested:
            return True
        return self.num > 0 and self.count >= self.num

    def emit(self, msg) -> None:
        key, value, decoded = msg.key, msg.value, True
        if self.decoder is not None:
            key, value, decoded = self.decoder.decode(key, value)
        rec = Record(
            msg.topic,
            msg.partition,
            msg.offset,
            key,
            value,
            msg.timestamp,
            [(k, v) for k, v in (msg.headers or [])],
            msg.timestamp_type,
            msg.leader_epoch if msg.leader_epoch is not None else -1,
            index=self.count,
        )
        out = sys.stdout.buffer if decoded else sys.stderr.buffer  # undecodable: stderr, as rpk
        out.write(self.render(rec))
        out.flush()
        self.count += 1
        self.marks[TopicPartition(msg.topic, msg.partition)] = msg.offset + 1


def _resolve_topics(admin, topics: list[str], regex: bool) -> dict[str, list[int]]:
    views = topic_views(admin.describe_topics())
    names = set(match_regex([v.name for v in views], topics)) if regex else set(topics)
    found = {v.name: [p.partition for p in v.partitions] for v in views if v.name in names}
    missing = sorted(names - set(found)) if not regex else []
    if missing or not found:
        what = missing[0] if missing else ",".join(topics)
        raise NotFound(f'UNKNOWN_TOPIC_OR_PARTITION: topic "{what}" does not exist')
    return found


@with_globals
@kc.kafka_command
def topic_consume(
    topics: Annotated[list[str], typer.Argument(help="Topics (or regexes with -r) to consume.")],
    offset: Annotated[
        str,
        typer.Option(
            "-o", "--offset", help="start, end, N, +N, -N, o1:o2, @t, @t1:t2 (see --help)."
        ),
    ] = "start",
    partitions: Annotated[
        Optional[list[str]],
        typer.Option(
            "-p",
            "--partitions",
            help="Comma-separated partitions to consume.",
            metavar="int32Slice",
        ),
    ] = None,
    regex: Annotated[
        bool, typer.Option("-r", "--regex", help="Parse topics as regular expressions.")
    ] = False,
    group: Annotated[
        Optional[str],
        typer.Option("-g", "--group", help="Consumer group to join (commits offsets)."),
    ] = None,
    balancer: Annotated[
        str,
        typer.Option(
            "-b",
            "--balancer",
            help="Group balancer: range, roundrobin, sticky, cooperative-sticky.",
        ),
    ] = "cooperative-sticky",
    num: Annotated[
        int, typer.Option("-n", "--num", help="Quit after this many records (0 = unbounded).")
    ] = 0,
    fmt: Annotated[
        str, typer.Option("-f", "--format", help="Output format (json, or a %-format).")
    ] = "json",
    meta_only: Annotated[
        bool,
        typer.Option(
            "--meta-only",
            help="Print all record info except the value (-f json): value_size instead.",
        ),
    ] = False,
    read_committed: Annotated[
        bool, typer.Option("--read-committed", help="Read only committed transactional records.")
    ] = False,
    fetch_max_bytes: Annotated[
        int, typer.Option("--fetch-max-bytes", help="Max bytes per fetch.", metavar="int32")
    ] = 1 << 20,
    fetch_max_partition_bytes: Annotated[
        int,
        typer.Option(
            "--fetch-max-partition-bytes",
            help="Max bytes per partition per fetch.",
            metavar="int32",
        ),
    ] = 1 << 20,
    fetch_max_wait: Annotated[
        Optional[str],
        typer.Option(
            "--fetch-max-wait",
            metavar="duration",
            help="Max time the broker waits to fill a fetch (default 5s, or globals.fetch_max_wait).",
        ),
    ] = None,
    print_control_records: Annotated[
        bool,
        typer.Option(
            "--print-control-records",
            help="Print transaction control records (this broker returns none, so nothing changes).",
        ),
    ] = False,
    rack: Annotated[
        str,
        typer.Option(
            "--rack", help="Rack this client is in, sent with fetches for follower fetching."
        ),
    ] = "",
) -> None:
    """Consume records from topics."""
    pretty_print, topics = options.take_go_bool(topics, PRETTY_FLAG, True)
    use_registry, topics = take_use_schema_registry(topics)
    options.reject_flags(topics)
    if not topics:
        raise FlagError("requires at least 1 arg(s), only received 0")
    if group and partitions:
        raise UsageError("invalid flags: --group cannot be used with --partitions")
    spec = parse_offset(offset)
    del (
        print_control_records
    )  # accepted as rpk; kafka-python never yields control records (nor does the broker write any)
    printer = Printer(fmt, pretty_print, num, meta_only)
    if use_registry is not None:
        printer.decoder = ConsumeDecoder(*use_registry)
    wanted = parse_partitions(partitions)
    consumer_opts = {
        "fetch_max_bytes": fetch_max_bytes,
        "max_partition_fetch_bytes": fetch_max_partition_bytes,
        "isolation_level": "read_committed" if read_committed else "read_uncommitted",
        "enable_auto_commit": False,  # a group commits only what was printed (GroupCommits)
        "client_rack": rack,
    }
    if fetch_max_wait is not None:
        wait_s = parse_duration(fetch_max_wait)
        if wait_s < 0:
            raise UsageError(f"invalid --fetch-max-wait {fetch_max_wait!r}: must not be negative")
        consumer_opts["fetch_max_wait_ms"] = int(wait_s * 1000)
    p = options.params()
    with kc.admin_session(p) as admin:
        found = _resolve_topics(admin, topics, regex)
        tps = [
            TopicPartition(t, i)
            for t, parts in sorted(found.items())
            for i in parts
            if not wanted or i in wanted
        ]
        ranges = None if group else plan(admin, tps, spec)
    with StopSignals() as printer.stop:
        try:
            if group:
                _consume_group(p, group, balancer, sorted(found), spec, printer, consumer_opts)
            else:
                _consume_direct(p, ranges, printer, consumer_opts)
        except KeyboardInterrupt:
            return  # Ctrl-C ends a consume cleanly


def _consume_direct(p, ranges: dict[TopicPartition, Range], printer: Printer, opts: dict) -> None:
    live = {tp: r for tp, r in ranges.items() if not r.empty}
    if not live:
        return
    consumer = kc.consumer(p, **opts)
    try:
        consumer.assign(list(live))
        for tp, r in live.items():
            consumer.seek(tp, r.start)
        _poll_loop(consumer, printer, live)
    finally:
        _close(consumer)


def _close(consumer) -> None:
    with contextlib.suppress(KafkaError):
        consumer.close(autocommit=False, timeout_ms=CLOSE_TIMEOUT_MS)


def _poll_loop(
    consumer, printer: Printer, live: dict[TopicPartition, Range] | None, tick=None
) -> None:
    bounded = live is not None and all(r.end is not None for r in live.values())
    while not printer.done:
        batches = consumer.poll(
            timeout_ms=POLL_MS,
            max_records=max(1, printer.num - printer.count) if printer.num else 500,
        )
        for tp, messages in sorted(batches.items(), key=lambda kv: (kv[0].topic, kv[0].partition)):
            for msg in messages:
                if printer.done:
                    return
                r = live.get(tp) if live is not None else None
                if r is not None and r.end is not None and msg.offset >= r.end:
                    break
                printer.emit(msg)
                if printer.done:
                    return
        if tick is not None:
            tick()
        if live is not None:
            _retire_finished(consumer, live)
            if bounded and not live:
                return


def _retire_finished(consumer, live: dict[TopicPartition, Range]) -> None:
    finished = [
        tp for tp, r in live.items() if r.end is not None and consumer.position(tp) >= r.end
    ]
    for tp in finished:
        del live[tp]
    if finished:
        remaining = [tp for tp in consumer.assignment() if tp in live]
        if remaining:
            consumer.pause(*finished)


class GroupCommits(AsyncConsumerRebalanceListener):
    """Commits the offsets of printed records only: every few seconds, on revocation and at exit.

    Committing the consumer's positions instead would also commit records fetched but never
    printed (for example when Ctrl-C arrives mid-batch), and the group would skip them.

    kafka-python calls the rebalance listener on its IO thread, where the blocking
    `consumer.commit` raises RuntimeError; so this is an async listener that awaits
    `commit_async` there. The main thread is blocked in `poll` meanwhile (rebalances run in
    it), so `printer.marks` does not change under the listener.
    """

    def __init__(self, consumer, printer: Printer) -> None:
        self.consumer, self.printer = consumer, printer
        self.committed: dict[TopicPartition, int] = {}
        self.last = time.monotonic()
        self.closing = False  # set before close: the exit commit has already run

    def pending(self, only=None) -> dict[TopicPartition, OffsetAndMetadata]:
        return {
            tp: OffsetAndMetadata(off, "", -1)
            for tp, off in self.printer.marks.items()
            if self.committed.get(tp) != off and (only is None or tp in only)
        }

    def commit(self, only=None, timeout_ms: int | None = None) -> None:
        """Blocking commit, from the main thread only."""
        pending = self.pending(only)
        self.last = time.monotonic()
        if pending:
            self.consumer.commit(pending, timeout_ms=timeout_ms)
            self.committed.update({tp: meta.offset for tp, meta in pending.items()})

    def tick(self) -> None:
        if time.monotonic() - self.last >= COMMIT_INTERVAL_S:
            with contextlib.suppress(
                KafkaError
            ):  # e.g. a rebalance in progress: retried on the next tick
                self.commit()

    async def on_partitions_revoked(self, revoked) -> None:
        """Commits what was printed from `revoked` before they are given up, then forgets them:
        a later commit of a stale mark would rewind the new owner's progress."""
        pending = {} if self.closing else self.pending(set(revoked))
        try:
            if pending:  # bounded by the request timeout, as any request
                await self.consumer.commit_async(pending)
        except KafkaError as exc:  # as franz-go: the new owner re-reads these records
            print(f"unable to commit offsets of revoked partitions: {exc}", file=sys.stderr)
        finally:
            for tp in revoked:
                self.printer.marks.pop(tp, None)
                self.committed.pop(tp, None)

    async def on_partitions_assigned(self, assigned) -> None:
        pass

    async def on_partitions_lost(self, lost) -> None:
        for tp in lost:  # no longer ours: nothing can be committed for them
            self.printer.marks.pop(tp, None)
            self.committed.pop(tp, None)


def _consume_group(
    p, group: str, balancer: str, topics: list[str], spec: OffsetSpec, printer: Printer, opts: dict
) -> None:
    if spec.end is not None or spec.start.kind not in ("start", "end"):
        raise UsageError(
            "with --group, --offset must be start or end (used when the group has no commits)"
        )
    if balancer not in BALANCERS:
        raise UsageError(f"invalid --balancer {balancer!r}: use {', '.join(BALANCERS)}")
    consumer = kc.consumer(
        p,
        group_id=group,
        auto_offset_reset="earliest" if spec.start.kind == "start" else "latest",
        partition_assignment_strategy=(BALANCERS[balancer],),
        **opts,
    )
    commits = GroupCommits(consumer, printer)
    try:
        consumer.subscribe(topics, listener=commits)
        try:
            _poll_loop(consumer, printer, None, tick=commits.tick)
        finally:
            with contextlib.suppress(KafkaError):  # as franz-go's Close: logged, not fatal
                commits.commit(timeout_ms=EXIT_COMMIT_TIMEOUT_MS)
    finally:
        commits.closing = True  # close revokes all: the exit commit above was the last one
        _close(consumer)


def register(app: typer.Typer) -> None:
    from cli._help import EXTRA_FLAGS

    app.command("consume", context_settings=options.GO_BOOL_CONTEXT)(topic_consume)
    EXTRA_FLAGS["rpk topic consume"] = [PRETTY_ROW, REGISTRY_ROW]
