"""The controller's submit path (a part of core.cluster.controller.Controller): append a
command on the leader, here or forwarded over RPC (core.cluster.controller_rpc), then wait
until this node applied it from the committed log with the term it was appended in."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from core.cluster.controller_rpc import (
    Forwarder,
    NotLeaderAnswer,
    SubmitRequest,
    appended_reply,
    not_leader_reply,
)
from core.cluster.errors import ClusterErrc, ClusterError
from core.model.records import Record, build_batch
from core.raft.consensus import QUORUM_ACK, Consensus
from core.raft.errors import RaftError
from core.rpc.errors import RpcError

MAX_PENDING_COMMANDS = 10_000
DEFAULT_SUBMIT_TIMEOUT_MS = 10_000
RETRY_DELAY_S = 0.05


class CommandLost(Exception):
    """The command's entry was replaced by another leader's: submit it again."""


class ControllerSubmit:
    """Submitting commands; the state it uses is the Controller's."""

    consensus: Consensus
    node_id: int
    forwarder: Forwarder | None
    submit_timeout_ms: int
    _appliers: dict[str, Callable[[dict, int], None]]
    _waiters: dict[tuple[int, int], asyncio.Future[None]]
    _submitting: int
    _closed: bool
    _next: int

    def check_lost(self) -> None:
        raise NotImplementedError

    async def submit(self, command_type: str, payload: dict) -> int:
        """Replicate a command, wait until it is committed and applied here; returns its offset.

        Raises ClusterError(not_leader) when no controller leader answered in time,
        ClusterError(timeout) when one did but the command was not applied in time."""
        assert command_type in self._appliers, f"unknown controller command {command_type}"
        if self._submitting >= MAX_PENDING_COMMANDS:
            raise ClusterError(ClusterErrc.timeout, "controller command queue is full")
        self._submitting += 1
        try:
            return await self._submit(SubmitRequest(command_type, payload))
        finally:
            self._submitting -= 1

    async def _submit(self, request: SubmitRequest) -> int:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.submit_timeout_ms / 1000
        last_error = "no controller leader"
        while not self._closed:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                offset, term = await asyncio.wait_for(self._append(request), remaining)
                await asyncio.wait_for(self._wait_applied(offset, term), deadline - loop.time())
                return offset
            except TimeoutError:
                break
            except (CommandLost, NotLeaderAnswer, RaftError, RpcError) as e:
                last_error = f"{type(e).__name__}: {e}"
                await asyncio.sleep(min(RETRY_DELAY_S, max(0.0, deadline - loop.time())))
        if self._closed:
            raise ClusterError(ClusterErrc.shutting_down, "controller closed")
        if self.consensus.leader_id is None:
            raise ClusterError(ClusterErrc.not_controller, f"no controller leader ({last_error})")
        raise ClusterError(
            ClusterErrc.timeout, f"controller command {request.command_type} timed out"
        )

    async def _append(self, request: SubmitRequest) -> tuple[int, int]:
        """Append on the leader (here or over RPC); returns (offset, term)."""
        if self.consensus.is_leader:
            return self.append_local(request)
        leader = self.consensus.leader_id
        if leader is None or leader == self.node_id or self.forwarder is None:
            raise NotLeaderAnswer(leader)
        return await self.forwarder.forward(leader, request)

    def append_local(self, request: SubmitRequest) -> tuple[int, int]:
        """Leader: append the command with acks=all; (offset, term). Raises RaftError."""
        record = Record(
            key=request.command_type.encode(), value=json.dumps(request.payload).encode()
        )
        batch = build_batch([record], timestamp_ms=None)
        term = self.consensus.term
        appended = self.consensus.replicate(batch, QUORUM_ACK)
        if appended.done is not None:  # apply, not this future, tells the submitter
            appended.done.add_done_callback(_retrieve)
        return appended.base_offset, term

    async def handle_submit(self, meta: bytes, blob) -> tuple[bytes, bytes]:
        """Method.controller_submit (core.cluster.controller_rpc): append a forwarded command."""
        request = SubmitRequest.decode(meta)
        if request.command_type not in self._appliers:
            raise ValueError(f"unknown controller command {request.command_type!r}")
        if not self.consensus.is_leader:
            return not_leader_reply(self.consensus.leader_id), b""
        try:
            offset, term = self.append_local(request)
        except RaftError:
            return not_leader_reply(self.consensus.leader_id), b""
        return appended_reply(offset, term), b""

    def expect(self, offset: int, term: int) -> asyncio.Future[None]:
        """A future resolved once the batch at `offset` applies here with `term`, failed with
        CommandLost once another batch applied there or the entry is known truncated."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if offset < self._next:
            if self._terms_match(offset, term):
                fut.set_result(None)
            else:
                fut.set_exception(CommandLost(f"offset {offset} was applied from another term"))
            return fut
        previous = self._waiters.get((offset, term))  # the same command, awaited again
        if previous is not None and not previous.done():
            previous.set_exception(CommandLost(f"offset {offset} of term {term} awaited again"))
        self._waiters[(offset, term)] = fut
        self.check_lost()
        return fut

    async def _wait_applied(self, offset: int, term: int) -> None:
        fut = self.expect(offset, term)
        try:
            await fut
        finally:
            if self._waiters.get((offset, term)) is fut:
                del self._waiters[(offset, term)]

    def _terms_match(self, offset: int, term: int) -> bool:
        return self.consensus.term_at(offset) == term


def _retrieve(fut: asyncio.Future) -> None:
    if not fut.cancelled():
        fut.exception()
