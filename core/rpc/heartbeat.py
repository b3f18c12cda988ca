"""Heartbeats batched per node pair (Redpanda's heartbeat_manager, generically).

The sender side, `HeartbeatBatcher`: every Raft group led here submits
`(destination node, group id, small opaque payload)`; each tick (`flush`, or `run` for a
timer of `tick_ms`) the batcher sends ONE Method.heartbeat_batch request per destination
holding every group's payload, and resolves each group's future with that group's part of
the response. At most one batch per destination is in flight: while a slow peer has not
answered, new heartbeats for it wait (the newest payload of a group replaces an older
one; both futures get the newest's answer). A failed batch fails every future in it with
the call's error.

The receiving side, `HeartbeatHandler`: registered on the RpcServer, it calls
`handle(src_node, group_id, payload) -> bytes | None` once per group (synchronously: a
Raft step does no I/O), None meaning "no such group here".

Wire (little-endian): request = src node i32, count u32, then per group: group id u64,
length u16, payload; response = count u32, then per group: group id u64, status u8,
length u16, payload.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Awaitable, Callable

from core.rpc.errors import RpcError
from core.rpc.frame import Blob, Buffer, FrameError

log = logging.getLogger("ailurus.rpc")

_REQ_HEAD = struct.Struct("<iI")
_REQ_ITEM = struct.Struct("<QH")
_RESP_HEAD = struct.Struct("<I")
_RESP_ITEM = struct.Struct("<QBH")

MAX_PAYLOAD_BYTES = 0xFFFF
MAX_GROUPS_PER_PEER = 100_000
STATUS_OK, STATUS_NO_GROUP, STATUS_ERROR = 0, 1, 2

SendBatch = Callable[[int, bytes], Awaitable[bytes]]  # (node id, request meta) -> response meta


class GroupHeartbeatError(RpcError):
    """The peer answered this group's heartbeat with an error (no such group, or it failed)."""

    def __init__(self, group_id: int, status: int) -> None:
        self.group_id = group_id
        self.status = status
        what = "no such group" if status == STATUS_NO_GROUP else "handler error"
        super().__init__(f"group {group_id}: {what}")


# ---- codec --------------------------------------------------------------------------------------
def encode_request(src_node: int, items: list[tuple[int, bytes]]) -> bytes:
    parts = [_REQ_HEAD.pack(src_node, len(items))]
    for group_id, payload in items:
        parts.append(_REQ_ITEM.pack(group_id, len(payload)))
        parts.append(payload)
    return b"".join(parts)


def decode_request(meta: Buffer) -> tuple[int, list[tuple[int, bytes]]]:
    view = memoryview(meta)
    try:
        src, count = _REQ_HEAD.unpack_from(view, 0)
        pos, items = _REQ_HEAD.size, []
        for _ in range(min(count, MAX_GROUPS_PER_PEER + 1)):
            group_id, n = _REQ_ITEM.unpack_from(view, pos)
            pos += _REQ_ITEM.size
            items.append((group_id, bytes(view[pos : pos + n])))
            pos += n
    except struct.error as e:
        raise FrameError(f"heartbeat batch truncated: {e}") from None
    if pos != len(view) or count != len(items):
        raise FrameError(f"heartbeat batch: {len(view) - pos} bytes past {count} groups")
    return src, items


def encode_response(items: list[tuple[int, int, bytes]]) -> bytes:
    parts = [_RESP_HEAD.pack(len(items))]
    for group_id, status, payload in items:
        parts.append(_RESP_ITEM.pack(group_id, status, len(payload)))
        parts.append(payload)
    return b"".join(parts)


def decode_response(meta: Buffer) -> list[tuple[int, int, bytes]]:
    view = memoryview(meta)
    try:
        (count,) = _RESP_HEAD.unpack_from(view, 0)
        pos, items = _RESP_HEAD.size, []
        for _ in range(min(count, MAX_GROUPS_PER_PEER + 1)):
            group_id, status, n = _RESP_ITEM.unpack_from(view, pos)
            pos += _RESP_ITEM.size
            items.append((group_id, status, bytes(view[pos : pos + n])))
            pos += n
    except struct.error as e:
        raise FrameError(f"heartbeat response truncated: {e}") from None
    if pos != len(view) or count != len(items):
        raise FrameError("heartbeat response: trailing bytes")
    return items


# ---- sender ---------------------------------------------------------------------------------------
class HeartbeatBatcher:
    def __init__(
        self,
        local_node: int,
        send: SendBatch,
        *,
        tick_ms: int = 150,
        max_groups_per_peer: int = MAX_GROUPS_PER_PEER,
    ) -> None:
        self.local_node = local_node
        self.send = send
        self.tick_ms = tick_ms
        self.max_groups_per_peer = max_groups_per_peer
        self.batches_sent = 0
        self._pending: dict[int, dict[int, tuple[bytes, list[asyncio.Future[bytes]]]]] = {}
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._timer: asyncio.Task[None] | None = None

    def submit(self, node_id: int, group_id: int, payload: bytes) -> asyncio.Future[bytes]:
        """Queue a heartbeat; the future gets the peer's answer for this group."""
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"heartbeat payload of {len(payload)} bytes")
        groups = self._pending.setdefault(node_id, {})
        fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        old = groups.get(group_id)
        if old is None and len(groups) >= self.max_groups_per_peer:
            raise RpcError(f"more than {self.max_groups_per_peer} groups pending for {node_id}")
        groups[group_id] = (payload, (old[1] if old else []) + [fut])
        return fut

    def pending_groups(self, node_id: int) -> int:
        return len(self._pending.get(node_id, ()))

    def flush(self) -> int:
        """Send one batch to every destination with heartbeats and none in flight."""
        sent = 0
        loop = asyncio.get_running_loop()
        for node_id in list(self._pending):
            if node_id in self._in_flight:
                continue
            groups = self._pending.pop(node_id)
            if not groups:
                continue
            task = loop.create_task(self._send(node_id, groups))
            self._in_flight[node_id] = task
            sent += 1
        return sent

    def start(self) -> None:
        if self._timer is None:
            self._timer = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for task in list(self._in_flight.values()):
            task.cancel()
        for groups in self._pending.values():
            for _, futs in groups.values():
                for fut in futs:
                    fut.cancel()
        self._pending.clear()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.tick_ms / 1000)
            self.flush()

    async def _send(self, node_id: int, groups: dict) -> None:
        try:
            meta = encode_request(self.local_node, [(g, p) for g, (p, _) in groups.items()])
            self.batches_sent += 1
            reply = await self.send(node_id, meta)
            answers = {g: (status, payload) for g, status, payload in decode_response(reply)}
        except asyncio.CancelledError:
            _fail_all(groups, None)
            raise
        except Exception as e:  # noqa: BLE001 - every waiter of the batch gets the error
            _fail_all(groups, e)
            return
        finally:
            self._in_flight.pop(node_id, None)
        for group_id, (_, futs) in groups.items():
            status, payload = answers.get(group_id, (STATUS_ERROR, b""))
            for fut in futs:
                if fut.done():
                    continue
                if status == STATUS_OK:
                    fut.set_result(payload)
                else:
                    fut.set_exception(GroupHeartbeatError(group_id, status))


def _fail_all(groups: dict, exc: BaseException | None) -> None:
    for _, futs in groups.values():
        for fut in futs:
            if not fut.done():
                fut.cancel() if exc is None else fut.set_exception(exc)


# ---- receiver -------------------------------------------------------------------------------------
HandleGroup = Callable[[int, int, bytes], bytes | None]


class HeartbeatHandler:
    """An RpcServer handler for Method.heartbeat_batch."""

    def __init__(self, handle: HandleGroup) -> None:
        self.handle = handle

    async def __call__(self, meta: bytes, blob: Buffer) -> tuple[bytes, Blob]:
        src, items = decode_request(meta)
        out: list[tuple[int, int, bytes]] = []
        for group_id, payload in items:
            try:
                answer = self.handle(src, group_id, payload)
            except Exception as e:  # noqa: BLE001 - one group's failure is its status
                log.warning("rpc: heartbeat for group %d from node %d: %r", group_id, src, e)
                out.append((group_id, STATUS_ERROR, b""))
                continue
            if answer is not None and len(answer) > MAX_PAYLOAD_BYTES:
                log.warning("rpc: heartbeat answer for group %d: %d bytes", group_id, len(answer))
                out.append((group_id, STATUS_ERROR, b""))
            elif answer is None:
                out.append((group_id, STATUS_NO_GROUP, b""))
            else:
                out.append((group_id, STATUS_OK, answer))
        return encode_response(out), b""
