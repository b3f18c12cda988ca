"""Appends to a local partition coalesced across concurrent requests: what requests hand one
partition within one event-loop turn goes out as one v2 batch and one `part.produce` call (a
batch per max.message.bytes chunk). The turn is two loop iterations: the flush is scheduled
by a `loop.call_soon` callback that the first append schedules, so that handlers woken in
the next iteration (their bodies read by then) join too (3.7 -> 5.6 requests a batch with 50
clients on 3 partitions, for one loop iteration of latency). Each request's
records stay contiguous and in order inside it, so a request's offsets are the batch's base
plus the records' positions; errors and the acks timeout are reported per request (an error of
one chunk reaches the requests with records in that chunk only).

The per-batch costs (consensus replicate, batch CRC and validation, the acks future, the log's
write syscall) are then paid once per turn instead of once per request. A partition's pending
set is bounded: past MAX_PENDING_BYTES it is flushed at once, before the turn ends."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from core.cluster.errors import ClusterErrc, ClusterError, error_message
from core.common import metrics
from core.model.batch import BatchError
from core.proxy.batch import record_batch
from core.proxy.errors import INVALID_DATA, KAFKA_ERROR, KAFKA_RETRIABLE, ProxyError
from core.proxy.formats import Records
from core.proxy.produce import failed, ok_offsets

ACKS_ALL = -1
BATCH_OVERHEAD_BYTES = 61 + 64  # the v2 header, and slack for a chunk's last record's framing
RECORD_OVERHEAD_BYTES = 24  # length, attributes, deltas, key/value lengths, header count
MAX_PENDING_BYTES = 8 * 1024 * 1024  # one partition's records waiting for the turn's flush

log = logging.getLogger(__name__)
Pair = tuple[bytes | None, bytes | None]


class _Entry:
    """One request's records for one partition, and the future its handler awaits."""

    __slots__ = ("members", "out", "done", "chunks_left")

    def __init__(self, members: Sequence[int], out: list[str], done: asyncio.Future) -> None:
        self.members = members
        self.out = out
        self.done = done
        self.chunks_left = 0


# (entry, the entry's members in the chunk, their first position in the chunk's batch)
Segment = tuple[_Entry, Sequence[int], int]


class _Round:
    """One partition's flush: its chunks not yet settled, and their acks timer."""

    __slots__ = ("left", "timer")

    def __init__(self) -> None:
        self.left = 0
        self.timer: asyncio.TimerHandle | None = None


class _Chunk:
    """One batch's requests: settled once its offsets or an error are in their `out`s."""

    __slots__ = ("partition", "segments", "settled", "round")

    def __init__(self, partition: int, segments: list[Segment], round_: _Round) -> None:
        self.partition = partition
        self.segments = segments
        self.settled = False
        self.round = round_
        round_.left += 1
        for entry, _, _ in segments:
            entry.chunks_left += 1

    def ok(self, base_offset: int) -> None:
        for entry, members, position in self.segments:
            ok_offsets(entry.out, members, self.partition, base_offset + position)
        self._settle()

    def fail(self, exc: BaseException) -> None:
        for entry, members, _ in self.segments:
            failed(entry.out, members, exc)
        self._settle()

    def _settle(self) -> None:
        self.settled = True
        round_ = self.round
        round_.left -= 1
        if round_.left == 0 and round_.timer is not None:
            round_.timer.cancel()  # drops the references it held
        for entry, _, _ in self.segments:
            entry.chunks_left -= 1
            if entry.chunks_left <= 0 and not entry.done.done():
                entry.done.set_result(None)


class _Pending:
    """One partition's appends of this turn."""

    __slots__ = ("part", "entries", "pairs", "bytes")

    def __init__(self, part: Any) -> None:
        self.part = part
        self.entries: list[tuple[_Entry, int]] = []  # each with its first index in `pairs`
        self.pairs: list[Pair] = []
        self.bytes = 0


def _size(data: bytes | None) -> int:
    return 0 if data is None else len(data)


class Coalescer:
    def __init__(self, ack_timeout_ms: int) -> None:
        self._ack_timeout_s = ack_timeout_ms / 1000
        self._pending: dict[int, _Pending] = {}  # by id(part)
        self._scheduled = False

    def enqueue(
        self, part: Any, records: Records, members: Sequence[int], out: list[str]
    ) -> asyncio.Future:
        """Queue the records at `members` (in order) for `part`; the future is done once
        out[i] holds each one's offset or error."""
        loop = asyncio.get_running_loop()
        entry = _Entry(members, out, loop.create_future())
        if not members:
            entry.done.set_result(None)
            return entry.done
        pending = self._pending.get(id(part))
        if pending is None:
            pending = self._pending[id(part)] = _Pending(part)
        keys, values = records.keys, records.values
        pairs = pending.pairs
        pending.entries.append((entry, len(pairs)))
        if isinstance(members, range) and len(members) == len(values):
            pairs.extend(zip(keys, values))
            pending.bytes += sum(map(len, filter(None, keys))) + sum(map(len, filter(None, values)))
        else:
            for i in members:
                pairs.append((keys[i], values[i]))
                pending.bytes += _size(keys[i]) + _size(values[i])
        if pending.bytes >= MAX_PENDING_BYTES:
            del self._pending[id(part)]
            self._flush_one(loop, pending)
        elif not self._scheduled:
            self._scheduled = True
            loop.call_soon(loop.call_soon, self._flush)
        return entry.done

    def _flush(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, {}
        loop = asyncio.get_running_loop()
        for one in pending.values():
            self._flush_one(loop, one)

    def _flush_one(self, loop: asyncio.AbstractEventLoop, pending: _Pending) -> None:
        round_ = _Round()
        try:
            chunks = self._produce(pending, round_)
        except Exception as exc:  # a bug here must not leave the requests waiting
            log.exception("pandaproxy: appending to %s failed", pending.part)
            for entry, _ in pending.entries:
                if not entry.done.done():
                    entry.done.set_exception(exc)
            return
        if round_.left:
            round_.timer = loop.call_later(self._ack_timeout_s, _expire, chunks)

    def _produce(self, pending: _Pending, round_: _Round) -> list[_Chunk]:
        part = pending.part
        spans = [
            (_Chunk(part.index, segments, round_), first, end)
            for first, end, segments in _chunk_spans(pending, part.max_message_bytes)
        ]
        out = []
        for chunk, first, end in spans:
            batch = record_batch(pending.pairs[first:end])
            out.append(chunk)
            try:
                result = part.produce(batch, ACKS_ALL)
            except (ClusterError, BatchError) as exc:
                chunk.fail(error(exc))
                continue
            metrics.add_bytes_produced(part.topic, len(batch))
            acked = result.acked
            if acked is None:
                chunk.ok(result.base_offset)
            else:
                acked.add_done_callback(_on_acked(chunk, result.base_offset))
        return out


def _on_acked(chunk: _Chunk, base_offset: int) -> Callable[[asyncio.Future], None]:
    def done(acked: asyncio.Future) -> None:
        cancelled = acked.cancelled()
        exc = None if cancelled else acked.exception()  # retrieved even after a timeout
        if chunk.settled:
            return  # timed out first
        if cancelled:
            chunk.fail(ProxyError(KAFKA_RETRIABLE, "the append was cancelled"))
        elif exc is not None:  # replication failed (leadership lost)
            chunk.fail(error(exc))
        else:
            chunk.ok(base_offset)

    return done


def _expire(chunks: list[_Chunk]) -> None:
    for chunk in chunks:
        if not chunk.settled:
            chunk.fail(ProxyError(KAFKA_RETRIABLE, "timed out waiting for acks"))


def _chunk_spans(pending: _Pending, max_bytes: int) -> list[tuple[int, int, list[Segment]]]:
    """[first, end) ranges of pending.pairs, each batch within max.message.bytes (one range
    when everything fits, without looking at records one by one), with their segments."""
    pairs = pending.pairs
    total = BATCH_OVERHEAD_BYTES + RECORD_OVERHEAD_BYTES * len(pairs) + pending.bytes
    if total <= max_bytes:
        bounds = [0, len(pairs)]
    else:
        bounds = [0]
        size = BATCH_OVERHEAD_BYTES
        for i, (key, value) in enumerate(pairs):
            n = RECORD_OVERHEAD_BYTES + _size(key) + _size(value)
            if i > bounds[-1] and size + n > max_bytes:
                bounds.append(i)
                size = BATCH_OVERHEAD_BYTES
            size += n
        bounds.append(len(pairs))
    return [(a, b, _segments(pending, a, b)) for a, b in zip(bounds, bounds[1:])]


def _segments(pending: _Pending, first: int, end: int) -> list[Segment]:
    entries = pending.entries
    out: list[Segment] = []
    for n, (entry, start) in enumerate(entries):
        stop = entries[n + 1][1] if n + 1 < len(entries) else len(pending.pairs)
        lo, hi = max(start, first), min(stop, end)
        if lo < hi:
            members = entry.members
            if lo != start or hi != stop:
                members = members[lo - start : hi - start]
            out.append((entry, members, lo - first))
    return out


def error(exc: BaseException) -> ProxyError:
    if isinstance(exc, ClusterError) and exc.errc == ClusterErrc.message_too_large:
        return ProxyError(INVALID_DATA, error_message(exc))
    if isinstance(exc, BatchError):
        return ProxyError(INVALID_DATA, str(exc))
    return ProxyError(KAFKA_ERROR, error_message(exc) or type(exc).__name__)
