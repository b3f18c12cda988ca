"""Self-test across the cluster (Redpanda's self_test_frontend and self_test_backend).

Any node starts, stops and reports a run on every member of the cluster, so one Admin API
address is enough (rpk sends the request to one broker): `start` stops what runs, then sends
every member one test id; participants (every member when no ids are given) get the tests and,
for the network test, the other participants as peers; the others get no tests (their last
results are cleared, as Redpanda does). `status` asks every member for its report; a member
that does not answer is `unreachable`. `stop` retries up to three times until no member runs.

Between nodes these travel as ops of the Method.leadership RPC's extension channel (as the
maintenance drain status does): self_test_start / self_test_stop / self_test_status, each
answered with the node's report, and self_test_netcheck, the network test's requests (a
`request_size`-character payload, answered empty: Redpanda's netcheck RPC).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.cluster.self_test_runner import Run, execute
from core.rpc.errors import RpcError

log = logging.getLogger("ailurus.self_test")

START_TIMEOUT_MS = STATUS_TIMEOUT_MS = 5000  # Redpanda's remote_invoke timeouts
STOP_TIMEOUT_MS = 30000
STOP_RETRIES = 3
STOP_WAIT_S = 30.0


class SelfTestError(Exception):
    """A start refused (Redpanda's self_test_exception text)."""


class SelfTest:
    def __init__(
        self, node_id: int, data_dir: Path, transfers: Any, member_ids: Callable[[], list[int]]
    ) -> None:
        self.node_id = node_id
        self._dir = data_dir
        self._transfers = transfers  # core.cluster.leader_transfer.LeaderTransfers
        self._member_ids = member_ids
        self._run: Run | None = None
        self._task: asyncio.Task[None] | None = None
        transfers.extra_ops.update(
            {
                "self_test_start": self._start_op,
                "self_test_stop": self._stop_op,
                "self_test_status": self._status_op,
                "self_test_netcheck": self._netcheck_op,
            }
        )

    # ---- this node ------------------------------------------------------------------------------
    def report(self) -> dict[str, Any]:
        run = self._run
        if run is None:
            return {"node_id": self.node_id, "status": "idle", "stage": "idle", "results": []}
        return {
            "node_id": self.node_id,
            "status": run.status,
            "stage": run.stage,
            "results": list(run.results),
        }

    def _running(self) -> bool:
        return self._run is not None and self._run.status == "running"

    async def _start_op(self, request: dict) -> dict:
        if self._running():  # Redpanda's backend ignores a start while it runs
            log.warning("self-test start %s ignored: a run is in progress", request.get("id"))
            return self.report()
        tests = list(request.get("tests") or [])
        peers = [int(p) for p in request.get("peers") or []]
        run = Run(str(request.get("id") or uuid.uuid4()))
        self._run = run
        if not tests:  # not a participant: its last results are cleared
            run.status = run.stage = "idle"
            return self.report()
        self._task = asyncio.ensure_future(execute(run, tests, self._dir, peers, self._send))
        return self.report()

    async def _stop_op(self, _request: dict) -> dict:
        if self._run is not None:
            self._run.cancel.set()
        if self._task is not None:  # each test stops at its next operation
            await asyncio.wait({self._task}, timeout=STOP_WAIT_S)
        return self.report()

    async def _status_op(self, _request: dict) -> dict:
        return self.report()

    async def _netcheck_op(self, _request: dict) -> dict:
        return {}

    async def _send(self, peer: int, payload: bytes) -> None:
        data = payload.hex()[: len(payload)]  # request_size bytes on the wire
        request = {"op": "self_test_netcheck", "data": data}
        await self._transfers.call(peer, request, START_TIMEOUT_MS)

    async def close(self) -> None:
        """At shutdown: this node's run stops at its next operation."""
        if self._run is not None:
            self._run.cancel.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    # ---- the cluster ----------------------------------------------------------------------------
    async def _invoke(self, node_id: int, op: str, body: dict, timeout_ms: int) -> dict | None:
        """`op` on `node_id` (this node: directly); None when it does not answer."""
        if node_id == self.node_id:
            return await self._transfers.extra_ops[op](body)
        try:
            return await self._transfers.call(node_id, {"op": op, **body}, timeout_ms)
        except (RpcError, KeyError, ValueError) as exc:
            log.info("self-test %s on node %d: %s", op, node_id, exc)
            return None

    async def _on_all(self, op: str, body_of: Callable[[int], dict], timeout_ms: int):
        members = sorted(self._member_ids())
        answers = await asyncio.gather(
            *(self._invoke(n, op, body_of(n), timeout_ms) for n in members)
        )
        return list(zip(members, answers, strict=True))

    async def status(self) -> list[dict[str, Any]]:
        answers = await self._on_all("self_test_status", lambda _n: {}, STATUS_TIMEOUT_MS)
        return [
            report
            if report is not None
            else {"node_id": n, "status": "unreachable", "stage": "idle", "results": []}
            for n, report in answers
        ]

    async def stop(self) -> list[int]:
        """Stop every member's run; the ids of those still running after the retries."""
        reports = await self.status()
        for _ in range(STOP_RETRIES):
            active = [r["node_id"] for r in reports if r["status"] == "running"]
            if not active:
                return []
            answers = await self._on_all("self_test_stop", lambda _n: {}, STOP_TIMEOUT_MS)
            reports = [r for _n, r in answers if r is not None]
        return [r["node_id"] for r in reports if r["status"] == "running"]

    async def start(self, tests: list[dict[str, Any]], nodes: list[int]) -> str:
        members = sorted(self._member_ids())
        ids = nodes or members
        if not ids:
            raise SelfTestError("No node ids provided")
        if not tests:
            raise SelfTestError("No tests specified to run")
        if set(ids) - set(members):
            raise SelfTestError(
                "Request to start self test contained node_ids that aren't part of the cluster"
            )
        if await self.stop():
            log.warning("could not stop the running self-test before starting: starting anyway")
        test_id = str(uuid.uuid4())

        def body(n: int) -> dict:
            if n not in ids:  # clears its last results
                return {"id": test_id, "tests": [], "peers": []}
            return {"id": test_id, "tests": tests, "peers": [p for p in ids if p != n]}

        await self._on_all("self_test_start", body, START_TIMEOUT_MS)
        return test_id
