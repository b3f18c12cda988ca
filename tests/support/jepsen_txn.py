"""A transactional history and its checker, in the spirit of Jepsen's Kafka transactional
workload (the `:txn` variant): no aborted read, no lost committed write, no duplicate, and each
transaction all-or-nothing.

Writers record each transaction: `begin` gives it an id, `write` notes each (partition, value)
sent in it (values are unique across the run), `end` its outcome: `committed` (commit returned),
`aborted` (abort returned, or the coordinator aborted it: fenced, timed out) or `unknown` (the
commit raised something indeterminate, or the process was killed). Readers record what
read_committed consumers polled. The checker is given the final read_committed read of every
partition from offset 0 and reports:

* aborted_read: a value of an aborted transaction read by a read_committed reader (final or polls);
* lost: a value of a committed transaction missing from the final read;
* duplicate: one value at two offsets of the final read (or, with `expected_once`, one input
  transformed twice: the exactly-once check of consume-transform-produce);
* partial: a transaction of which some values are visible and others not (not atomic);
* phantom: a value read that no transaction wrote;
* missing_input: with `expected_once`, an input the output lacks once every input was consumed.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from tests.support.jepsen import Anomaly, CheckResult, Partition

MAX_TXNS = 500_000
ABORTED_READ = "aborted_read"
LOST = "lost"
DUPLICATE = "duplicate"
PARTIAL = "partial"
PHANTOM = "phantom"
MISSING_INPUT = "missing_input"
KINDS = (ABORTED_READ, LOST, DUPLICATE, PARTIAL, PHANTOM, MISSING_INPUT)
OUTCOMES = ("committed", "aborted", "unknown")


@dataclass
class Txn:
    id: int
    process: str
    writes: list[tuple[Partition, str]] = field(default_factory=list)
    outcome: str = "unknown"


class TxnHistory:
    """Thread-safe, bounded (MAX_TXNS transactions)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.txns: dict[int, Txn] = {}
        self.polls: list[tuple[str, Partition, int, str]] = []

    def begin(self, process: str) -> int:
        with self._lock:
            if len(self.txns) >= MAX_TXNS:
                raise RuntimeError(f"history over {MAX_TXNS} transactions")
            txn = Txn(len(self.txns), process)
            self.txns[txn.id] = txn
            return txn.id

    def write(self, txn_id: int, partition: Partition, value: str) -> None:
        with self._lock:
            self.txns[txn_id].writes.append((partition, value))

    def end(self, txn_id: int, outcome: str) -> None:
        assert outcome in OUTCOMES, outcome
        with self._lock:
            self.txns[txn_id].outcome = outcome

    def poll(self, process: str, partition: Partition, offset: int, value: str) -> None:
        with self._lock:
            if len(self.polls) < MAX_TXNS * 10:
                self.polls.append((process, partition, offset, value))

    def snapshot(self) -> tuple[list[Txn], list[tuple[str, Partition, int, str]]]:
        with self._lock:
            return list(self.txns.values()), list(self.polls)


class TxnCheckResult(CheckResult):
    kinds = KINDS
    title = "transactional check failed"


FinalReads = dict[Partition, list[tuple[int, str]]]  # read_committed, from offset 0


def check_txn(
    history: TxnHistory,
    final: FinalReads,
    expected_once: dict[str, Partition] | None = None,
    transform=None,
) -> TxnCheckResult:
    """`expected_once`: input value -> its partition, when every input must appear transformed
    (`transform(value)`, identity by default) exactly once in the final read."""
    txns, polls = history.snapshot()
    result = TxnCheckResult()
    out = result.anomalies
    writer: dict[str, list[Txn]] = {}  # a re-processed input is written again by another txn
    for txn in txns:
        for _, value in txn.writes:
            writer.setdefault(value, []).append(txn)
    seen_at: dict[str, list[tuple[Partition, int]]] = {}
    for partition, records in final.items():
        for offset, value in records:
            seen_at.setdefault(value, []).append((partition, offset))
    _reads(seen_at, polls, writer, out)
    _writes(txns, seen_at, out)
    if expected_once is not None:
        _exactly_once(expected_once, seen_at, transform or (lambda v: v), out)
    result.stats = {
        "txns": len(txns),
        **Counter(t.outcome for t in txns),
        "values": len(writer),
        "final_records": sum(len(r) for r in final.values()),
        "polled": len(polls),
    }
    return result


def _aborted(txns: list[Txn] | None) -> bool:
    return bool(txns) and all(t.outcome == "aborted" for t in txns or ())


def _reads(seen_at, polls, writer: dict[str, list[Txn]], out: list[Anomaly]) -> None:
    for value, places in seen_at.items():
        txns = writer.get(value)
        if len(places) > 1:
            out.append(Anomaly(DUPLICATE, places[0][0], f"{value!r} at {places}"))
        if txns is None:
            out.append(Anomaly(PHANTOM, places[0][0], f"{value!r} written by no transaction"))
        elif _aborted(txns):
            ids = [t.id for t in txns]
            out.append(Anomaly(ABORTED_READ, places[0][0], f"{value!r} of aborted txns {ids}"))
    reported = set()
    for process, partition, offset, value in polls:
        if _aborted(writer.get(value)) and value not in reported:
            reported.add(value)
            out.append(Anomaly(ABORTED_READ, partition, f"{process} polled {value!r} at {offset}"))


def _writes(txns: list[Txn], seen_at, out: list[Anomaly]) -> None:
    for txn in txns:
        if not txn.writes:
            continue
        visible = [v for _, v in txn.writes if v in seen_at]
        if txn.outcome == "committed":
            for partition, value in txn.writes:
                if value not in seen_at:
                    out.append(Anomaly(LOST, partition, f"{value!r} of committed txn {txn.id}"))
        elif txn.outcome == "unknown" and visible and len(visible) != len(txn.writes):
            partition = txn.writes[0][0]
            out.append(
                Anomaly(
                    PARTIAL, partition, f"txn {txn.id}: {len(visible)}/{len(txn.writes)} visible"
                )
            )


def _exactly_once(expected_once, seen_at, transform, out: list[Anomaly]) -> None:
    for value, partition in expected_once.items():
        places = seen_at.get(transform(value), [])
        if not places:
            out.append(Anomaly(MISSING_INPUT, partition, f"input {value!r} has no output"))
