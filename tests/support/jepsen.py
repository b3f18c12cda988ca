"""A history of a Kafka workload and a safety checker, in the spirit of Jepsen's Kafka workload.

Producers record, per value (unique across the run), `invoke` then one of `ok` (with the offset
the broker acknowledged), `fail` (definitely not written) or `info` (indeterminate: a timeout, a
lost connection). Consumers record every polled record (partition, offset, value) and every
successful group commit. After the run, a final full read of every partition from offset 0 is
handed to `check`, which reports:

* lost: an acknowledged value the final read does not contain (in its partition);
* ack_offset: an acknowledged value the final read holds at another offset than acknowledged;
* duplicate: one value read at two offsets (all polls and the final read);
* inconsistent_offset: one offset seen with two values (acks, polls of every consumer, final);
* truncated_read: a polled record the final log holds with another value or not at all;
* phantom: a value read that no producer sent to that partition;
* commit_regression: a group's committed offset for a partition going down.

A failed or indeterminate value appearing is allowed (Kafka may have written it).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import ClassVar

Partition = tuple[str, int]  # (topic, partition index)
MAX_EVENTS = 2_000_000

LOST = "lost"
ACK_OFFSET = "ack_offset"
DUPLICATE = "duplicate"
INCONSISTENT_OFFSET = "inconsistent_offset"
TRUNCATED_READ = "truncated_read"
PHANTOM = "phantom"
COMMIT_REGRESSION = "commit_regression"
KINDS = (
    LOST,
    ACK_OFFSET,
    DUPLICATE,
    INCONSISTENT_OFFSET,
    TRUNCATED_READ,
    PHANTOM,
    COMMIT_REGRESSION,
)


@dataclass(frozen=True, slots=True)
class Event:
    index: int
    time_s: float
    process: str
    type: str  # invoke | ok | fail | info | poll | commit
    partition: Partition
    value: str | None = None
    offset: int | None = None
    group: str | None = None
    error: str | None = None


class History:
    """Thread-safe, append-only, bounded (MAX_EVENTS)."""

    def __init__(self, max_events: int = MAX_EVENTS) -> None:
        self.max_events = max_events
        self._events: list[Event] = []
        self._lock = threading.Lock()
        self._t0 = time.monotonic()

    def _add(self, process: str, type_: str, partition: Partition, **kw: object) -> None:
        with self._lock:
            if len(self._events) >= self.max_events:
                raise RuntimeError(f"history over {self.max_events} events")
            now = time.monotonic() - self._t0
            self._events.append(Event(len(self._events), now, process, type_, partition, **kw))

    def invoke(self, process: str, partition: Partition, value: str) -> None:
        self._add(process, "invoke", partition, value=value)

    def ok(self, process: str, partition: Partition, value: str, offset: int) -> None:
        self._add(process, "ok", partition, value=value, offset=offset)

    def fail(self, process: str, partition: Partition, value: str, error: str) -> None:
        self._add(process, "fail", partition, value=value, error=error)

    def info(self, process: str, partition: Partition, value: str, error: str) -> None:
        self._add(process, "info", partition, value=value, error=error)

    def poll(self, process: str, partition: Partition, offset: int, value: str) -> None:
        self._add(process, "poll", partition, value=value, offset=offset)

    def commit(self, process: str, group: str, partition: Partition, offset: int) -> None:
        self._add(process, "commit", partition, offset=offset, group=group)

    @property
    def events(self) -> list[Event]:
        with self._lock:
            return list(self._events)

    def count(self, type_: str) -> int:
        return sum(1 for e in self.events if e.type == type_)


@dataclass(frozen=True, slots=True)
class Anomaly:
    kind: str
    partition: Partition
    detail: str


@dataclass
class CheckResult:
    anomalies: list[Anomaly] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    kinds: ClassVar[tuple[str, ...]] = KINDS  # the summary's order
    title: ClassVar[str] = "Jepsen check failed"

    @property
    def valid(self) -> bool:
        return not self.anomalies

    def of(self, kind: str) -> list[Anomaly]:
        return [a for a in self.anomalies if a.kind == kind]

    def summary(self, per_kind: int = 8) -> str:
        lines = [", ".join(f"{k}={v}" for k, v in self.stats.items())]
        for kind in self.kinds:
            found = self.of(kind)
            if found:
                lines.append(f"{kind}: {len(found)}")
                lines += [
                    f"  {a.partition[0]}/{a.partition[1]} {a.detail}" for a in found[:per_kind]
                ]
        return "\n".join(lines)

    def assert_valid(self) -> None:
        assert self.valid, f"{self.title}:\n" + self.summary()


FinalReads = dict[Partition, list[tuple[int, str]]]  # partition -> [(offset, value)] from 0


def check(history: History, final: FinalReads) -> CheckResult:
    events = history.events
    result = CheckResult()
    out = result.anomalies
    final_at = {p: dict(records) for p, records in final.items()}
    _check_acks(events, final, final_at, out)
    _check_offsets(events, final, out)
    _check_polls(events, final_at, out)
    _check_phantoms(events, final, out)
    _check_commits(events, out)
    result.stats = {
        "sent": sum(1 for e in events if e.type == "invoke"),
        "acked": sum(1 for e in events if e.type == "ok"),
        "failed": sum(1 for e in events if e.type == "fail"),
        "indeterminate": sum(1 for e in events if e.type == "info"),
        "polled": sum(1 for e in events if e.type == "poll"),
        "commits": sum(1 for e in events if e.type == "commit"),
        "final_records": sum(len(r) for r in final.values()),
    }
    return result


def _check_acks(
    events: list[Event],
    final: FinalReads,
    final_at: dict[Partition, dict[int, str]],
    out: list[Anomaly],
) -> None:
    where: dict[Partition, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for p, records in final.items():
        for offset, value in records:
            where[p][value].append(offset)
    for e in events:
        if e.type != "ok":
            continue
        assert e.value is not None and e.offset is not None
        offsets = where[e.partition].get(e.value)
        if not offsets:
            there = final_at.get(e.partition, {}).get(e.offset, "nothing")
            out.append(
                Anomaly(
                    LOST,
                    e.partition,
                    f"{e.value!r} acked at {e.offset} ({e.process}), final log has {there!r} there",
                )
            )
        elif e.offset not in offsets:
            out.append(
                Anomaly(
                    ACK_OFFSET,
                    e.partition,
                    f"{e.value!r} acked at {e.offset}, final log has it at {offsets}",
                )
            )


def _check_offsets(events: list[Event], final: FinalReads, out: list[Anomaly]) -> None:
    values_at: dict[Partition, dict[int, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    offsets_of: dict[Partition, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for e in events:
        if e.type in ("ok", "poll"):
            assert e.value is not None and e.offset is not None
            values_at[e.partition][e.offset].setdefault(e.value, f"{e.type} by {e.process}")
        if e.type == "poll":
            assert e.value is not None and e.offset is not None
            offsets_of[e.partition][e.value].add(e.offset)
    for p, records in final.items():
        for offset, value in records:
            values_at[p][offset].setdefault(value, "final read")
            offsets_of[p][value].add(offset)
    for p, by_offset in values_at.items():
        for offset, seen in sorted(by_offset.items()):
            if len(seen) > 1:
                detail = ", ".join(f"{v!r} ({how})" for v, how in seen.items())
                out.append(Anomaly(INCONSISTENT_OFFSET, p, f"offset {offset}: {detail}"))
    for p, by_value in offsets_of.items():
        for value, offsets in by_value.items():
            if len(offsets) > 1:
                out.append(Anomaly(DUPLICATE, p, f"{value!r} at offsets {sorted(offsets)}"))


def _check_polls(
    events: list[Event], final_at: dict[Partition, dict[int, str]], out: list[Anomaly]
) -> None:
    reported: set[tuple[Partition, int, str]] = set()
    for e in events:
        if e.type != "poll":
            continue
        assert e.value is not None and e.offset is not None
        there = final_at.get(e.partition, {}).get(e.offset)
        key = (e.partition, e.offset, e.value)
        if there != e.value and key not in reported:
            reported.add(key)
            out.append(
                Anomaly(
                    TRUNCATED_READ,
                    e.partition,
                    f"{e.process} read {e.value!r} at {e.offset}, final log has {there or 'nothing'!r}",
                )
            )


def _check_phantoms(events: list[Event], final: FinalReads, out: list[Anomaly]) -> None:
    sent: dict[Partition, set[str]] = defaultdict(set)
    for e in events:
        if e.type == "invoke":
            assert e.value is not None
            sent[e.partition].add(e.value)
    seen: dict[Partition, dict[str, str]] = defaultdict(dict)
    for e in events:
        if e.type == "poll":
            assert e.value is not None
            seen[e.partition].setdefault(e.value, f"polled by {e.process} at {e.offset}")
    for p, records in final.items():
        for offset, value in records:
            seen[p].setdefault(value, f"final read at {offset}")
    for p, values in seen.items():
        for value, how in values.items():
            if value not in sent[p]:
                out.append(Anomaly(PHANTOM, p, f"{value!r} ({how}) was never sent to it"))


def _check_commits(events: list[Event], out: list[Anomaly]) -> None:
    highest: dict[tuple[str, Partition], tuple[int, str]] = {}
    for e in events:
        if e.type != "commit":
            continue
        assert e.group is not None and e.offset is not None
        key = (e.group, e.partition)
        prior = highest.get(key)
        if prior is not None and e.offset < prior[0]:
            out.append(
                Anomaly(
                    COMMIT_REGRESSION,
                    e.partition,
                    f"group {e.group!r}: {e.process} committed {e.offset} after {prior[1]} committed {prior[0]}",
                )
            )
        if prior is None or e.offset > prior[0]:
            highest[key] = (e.offset, e.process)
