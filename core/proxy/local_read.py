"""Reads of the partitions this broker leads straight from their logs: the consumer instances'
records GET and Redpanda's partition records GET, without a Fetch over loopback and without
aiokafka's fetcher decoding the records a second time.

A consumer instance stays a real group member (aiokafka keeps its membership, assignment,
committed and reset positions); its partitions led here are paused in aiokafka, so its fetcher
leaves them alone, and read here from the consumer's position, which is then moved past what
was read (auto-commit and commits see it as they would a fetched position). Partitions led
elsewhere are still fetched by aiokafka. Reads go through the partition facade up to the high
watermark (read_uncommitted, as the instances read), skip control batches, and take the read
itself (a pread) off the event loop.

Whether a partition may be read here is the same decision as for produce
(core.proxy.local_produce.LocalAppender.leader): led here, and READ allowed for the principal
the Kafka path would have used."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from typing import Any

from aiokafka import TopicPartition
from aiokafka.record.memory_records import MemoryRecords
from aiokafka.structs import ConsumerRecord

from core.cluster.errors import ClusterErrc, ClusterError
from core.proxy.errors import BAD_REQUEST, ProxyError
from core.proxy.local_produce import LocalAppender

POSITION_WAIT_S = 0.05  # a reset or committed position still being looked up: poll again
REMOTE_SLICE_MS = 50
RESET_WAIT_S = 1.0  # with partitions on both sides, how long one aiokafka wait may take


def _pread(fd: int, length: int, position: int) -> bytes:
    try:
        return os.pread(fd, length, position)
    finally:
        os.close(fd)


async def read_partition(
    part: Any, offset: int, max_bytes: int, max_records: int
) -> tuple[list[ConsumerRecord], int]:
    """Records of the local partition `part` from `offset` (at most max_records, about
    max_bytes, at least one batch) and the offset to read next. ClusterError
    (offset_out_of_range) for an offset the log no longer holds."""
    found = part.read(offset, max(1, max_bytes))
    if found is None:
        return [], offset
    loop = asyncio.get_running_loop()
    data = await loop.run_in_executor(None, _pread, os.dup(found.fd), found.length, found.position)
    out: list[ConsumerRecord] = []
    topic, index = part.topic, part.index
    records = MemoryRecords(data)
    next_offset = offset
    while records.has_next() and len(out) < max_records:
        batch = records.next_batch()
        if batch is None:
            break
        if batch.is_control_batch:
            next_offset = max(next_offset, batch.next_offset)
            continue
        for rec in batch:
            if rec.offset < offset:
                continue
            key, value = rec.key, rec.value
            out.append(
                ConsumerRecord(
                    topic,
                    index,
                    rec.offset,
                    rec.timestamp,
                    rec.timestamp_type,
                    key,
                    value,
                    None,
                    -1 if key is None else len(key),
                    -1 if value is None else len(value),
                    rec.headers,
                )
            )
            next_offset = rec.offset + 1
            if len(out) >= max_records:
                break
    return out, next_offset


async def wait_for_data(parts: Iterable[Any], timeout_s: float) -> None:
    """Until one of the partitions has new visible records, or timeout_s."""
    if timeout_s <= 0:
        return
    event = asyncio.Event()
    watched = list(parts)
    for part in watched:
        part.add_listener(event.set)
    try:
        async with asyncio.timeout(timeout_s):
            await event.wait()
    except TimeoutError:
        pass
    finally:
        for part in watched:
            part.remove_listener(event.set)


async def read_at(
    part: Any, offset: int, timeout_ms: int, max_bytes: int, max_records: int
) -> list[ConsumerRecord]:
    """Redpanda's partition records GET on a local partition: records from `offset`, waiting
    up to timeout_ms for some; 40002 for an offset outside [start, high watermark]."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_ms / 1000
    while True:
        first, end = part.start_offset, part.high_watermark
        if not first <= offset <= end:
            raise ProxyError(
                BAD_REQUEST,
                f"offset {offset} is out of range [{first}, {end}] of {part.topic}/{part.index}",
            )
        try:
            records, _ = await read_partition(part, offset, max_bytes, max_records)
        except ClusterError:  # prefix-truncated meanwhile
            raise ProxyError(BAD_REQUEST, f"offset {offset} is no longer held") from None
        left_s = deadline - loop.time()
        if records or left_s <= 0:
            return records
        await wait_for_data([part], left_s)


class InstanceReader:
    """getmany() for a consumer instance, its partitions led here read from the log."""

    def __init__(self, local: LocalAppender, max_partition_bytes: int) -> None:
        self._local = local
        self._max_partition_bytes = max_partition_bytes

    def split(self, consumer: Any, principal: str | None) -> tuple[dict[Any, Any], list[Any]]:
        """(local partitions by TopicPartition, the others) of the consumer's assignment;
        local ones are paused in aiokafka, ones no longer local resumed."""
        local: dict[Any, Any] = {}
        remote = []
        for tp in consumer.assignment():
            part = self._local.leader(tp.topic, tp.partition, "READ", principal)
            if part is None:
                remote.append(tp)
            else:
                local[tp] = part
        paused = consumer.paused()
        fresh = [tp for tp in local if tp not in paused]
        if fresh:
            consumer.pause(*fresh)
        moved = [tp for tp in remote if tp in paused]
        if moved:
            consumer.resume(*moved)
        return local, remote

    async def getmany(
        self,
        consumer: Any,
        timeout_ms: int,
        max_records: int,
        max_bytes: int,
        offset_reset: str,
        principal: str | None = None,
    ) -> dict[TopicPartition, list[Any]]:
        with consumer._subscription.fetch_context():  # aiokafka's poll-interval liveness
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout_ms / 1000
            while True:
                local, remote = self.split(consumer, principal)
                out, waiting = await self._read_local(
                    consumer, local, max_records, max_bytes, offset_reset
                )
                left_s = deadline - loop.time()
                if remote:
                    wait_ms = 0 if out else int(max(0.0, min(left_s * 1000, REMOTE_SLICE_MS)))
                    taken = sum(map(len, out.values()))
                    fetched = await consumer.getmany(
                        *remote, timeout_ms=wait_ms, max_records=max(1, max_records - taken)
                    )
                    out.update(fetched)
                if out or left_s <= 0:
                    return out
                if waiting or not local:  # a position, or the group's assignment, is pending
                    await asyncio.sleep(min(left_s, POSITION_WAIT_S))
                    continue
                if remote:  # aiokafka's wait above was the pause
                    continue
                await wait_for_data(local.values(), left_s)

    async def _read_local(
        self,
        consumer: Any,
        local: dict[Any, Any],
        max_records: int,
        max_bytes: int,
        offset_reset: str,
    ) -> tuple[dict[TopicPartition, list[Any]], bool]:
        """Records read from the local partitions at the consumer's positions (moved past
        them), and whether some partition's position is not known yet."""
        out: dict[TopicPartition, list[Any]] = {}
        waiting = False
        for tp, part in local.items():
            if max_records <= 0 or max_bytes <= 0:
                break
            position = _position(consumer, tp)
            if position is None:
                waiting = True
                continue
            records: list[Any] = []
            try:
                if not part.start_offset <= position <= part.log_end_offset:
                    raise ClusterError(ClusterErrc.offset_out_of_range, "out of the log")
                records, next_offset = await read_partition(
                    part, position, min(max_bytes, self._max_partition_bytes), max_records
                )
            except ClusterError:  # as a Fetch's OFFSET_OUT_OF_RANGE: auto.offset.reset
                await _reset(consumer, tp, offset_reset, position)
                waiting = True
                continue
            if next_offset != position and tp in consumer.assignment():
                consumer.seek(tp, next_offset)
            if records:
                out[tp] = records
                max_records -= len(records)
                max_bytes -= sum(len(r.key or b"") + len(r.value or b"") for r in records)
        return out, waiting


def _position(consumer: Any, tp: TopicPartition) -> int | None:
    """The consumer's position on tp without waiting; None while aiokafka is still looking it
    up (the committed offset, or a reset)."""
    subscription = consumer._subscription.subscription  # aiokafka's own state, not waited on
    assignment = None if subscription is None else subscription.assignment
    if assignment is None or tp not in assignment.tps:
        return None
    state = assignment.state_value(tp)
    return state.position if state.has_valid_position else None


async def _reset(consumer: Any, tp: TopicPartition, offset_reset: str, position: int) -> None:
    """The position is out of the log's range: reset it as the Kafka consumer would."""
    if offset_reset in ("earliest", "latest"):
        seek = consumer.seek_to_beginning if offset_reset == "earliest" else consumer.seek_to_end
        try:  # aiokafka's fetcher resets it (paused or not); the read waits for the position
            async with asyncio.timeout(RESET_WAIT_S):
                await seek(tp)
        except TimeoutError:
            pass
    else:
        raise ProxyError(
            BAD_REQUEST,
            f"offset {position} is out of range of {tp.topic}/{tp.partition} "
            "and auto.offset.reset is none",
        )
