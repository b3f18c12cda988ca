"""Opt-in instruments inside the bench's broker processes (`bench.cluster_load --probe`): where
an acks=all write's time goes, measured in the brokers themselves.

Each broker runs under this module as a wrapper (BrokerProcess.wrapper):

    python -m bench._cluster_probe <out dir> <python> -m core --config ...

which installs, before the broker's event loop starts:

- per-stage stamps (wall clock, comparable across the processes of one machine): a leader's
  append (Consensus.replicate), every group's commit offset (CommitWatch.committed: where the
  acks=all waiters are released), a follower's append of the leader's entries and every
  group's flushed offset; and each Produce request's arrival and response (its handler's
  start and end: the bench produces to one partition while it measures latency);
- an event-loop lag probe (a 5 ms sleep, how late it wakes);
- every loop step over 3 ms of wall time with its CPU time (time.thread_time): a step slow in
  wall time but not in CPU time was preempted, not blocking;
- GC pauses over 1 ms (gc.callbacks).

Every record list is bounded; the process writes them to <out dir>/<pid>.json every 2 s.
`stages()` reads them back for a time window and gives percentiles per stage. Monkeypatching
names what it patches: a refactor of those methods breaks --probe, not the broker.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import runpy
import sys
import time
from collections import deque
from pathlib import Path

MAX_RECORDS = 200_000  # per list
SLOW_STEP_S = 0.003
LAG_PERIOD_S = 0.005
DUMP_PERIOD_S = 2.0


def _records() -> dict[str, deque]:
    names = ("append", "commit", "received", "flushed", "request", "response", "lag", "steps", "gc")
    return {name: deque(maxlen=MAX_RECORDS) for name in names}


R = _records()


def main() -> None:
    out_dir, rest = Path(sys.argv[1]), sys.argv[2:]
    module_at = rest.index("-m") + 1
    sys.argv = [rest[module_at], *rest[module_at + 1 :]]
    install(out_dir)
    runpy.run_module(rest[module_at], run_name="__main__", alter_sys=True)


def install(out_dir: Path) -> None:
    _time_steps()
    gc.callbacks.append(_gc_callback)
    run_forever = asyncio.BaseEventLoop.run_forever

    def run_forever_probed(loop: asyncio.BaseEventLoop) -> None:
        loop.call_soon(_start, loop, out_dir)
        asyncio.BaseEventLoop.run_forever = run_forever  # type: ignore[method-assign]
        run_forever(loop)

    asyncio.BaseEventLoop.run_forever = run_forever_probed  # type: ignore[method-assign]


def _start(loop: asyncio.AbstractEventLoop, out_dir: Path) -> None:
    _stamp_stages()
    loop.create_task(_lag())
    loop.create_task(_dump(out_dir / f"{os.getpid()}.json"))


def _time_steps() -> None:
    run = asyncio.Handle._run
    wall, cpu = time.perf_counter, time.thread_time

    def timed(handle: asyncio.Handle) -> None:
        w, c = wall(), cpu()
        run(handle)
        took = wall() - w
        if took > SLOW_STEP_S:
            R["steps"].append((time.time(), took * 1000, (cpu() - c) * 1000, _what(handle)))

    asyncio.Handle._run = timed  # type: ignore[method-assign]


def _what(handle: asyncio.Handle) -> str:
    task = getattr(getattr(handle, "_callback", None), "__self__", None)
    if isinstance(task, asyncio.Task):
        coro = task.get_coro()
        return f"task {getattr(coro, '__qualname__', coro)}"
    return repr(handle)[:120]


_gc_started = [0.0]


def _gc_callback(phase: str, info: dict) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
        return
    took = (time.perf_counter() - _gc_started[0]) * 1000
    if took > 1.0:
        R["gc"].append((time.time(), info["generation"], took))


async def _lag() -> None:
    while True:
        started = time.perf_counter()
        await asyncio.sleep(LAG_PERIOD_S)
        R["lag"].append((time.time(), (time.perf_counter() - started - LAG_PERIOD_S) * 1000))


async def _dump(path: Path) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(DUMP_PERIOD_S)
        snapshot = {name: list(records) for name, records in R.items()}
        await loop.run_in_executor(None, _write_json, path, snapshot)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)


def _stamp_stages() -> None:
    from core.raft import commit_waiters as w  # the broker's modules, loaded by now
    from core.raft import consensus as c

    replicate, committed = c.Consensus.replicate, w.CommitWatch.committed
    append_replicated, on_flushed = c.Consensus._append_replicated, c.Consensus._on_flushed_offset

    def replicate_stamped(self, batch, acks):  # type: ignore[no-untyped-def]
        appended = replicate(self, batch, acks)
        R["append"].append((time.time(), self.group_id, appended.last_offset + 1))
        return appended

    def committed_stamped(self, offset):  # type: ignore[no-untyped-def]
        R["commit"].append((time.time(), self.group_id, offset))
        committed(self, offset)

    def append_replicated_stamped(self, entry):  # type: ignore[no-untyped-def]
        append_replicated(self, entry)
        R["received"].append((time.time(), self.group_id, entry.last + 1))

    def on_flushed_stamped(self, offset):  # type: ignore[no-untyped-def]
        R["flushed"].append((time.time(), self.group_id, offset))
        on_flushed(self, offset)

    from core.server.handlers import produce

    handle = produce.handle

    async def handle_stamped(ctx, request):  # type: ignore[no-untyped-def]
        R["request"].append((time.time(),))
        try:
            return await handle(ctx, request)
        finally:
            R["response"].append((time.time(),))

    produce.handle = handle_stamped
    c.Consensus.replicate = replicate_stamped
    w.CommitWatch.committed = committed_stamped
    c.Consensus._append_replicated = append_replicated_stamped
    c.Consensus._on_flushed_offset = on_flushed_stamped


# ---- reading the records back (in the bench process) -------------------------------------------


def stages(out_dir: Path, leader_pid: int, follower_pids: list[int], t0: float, t1: float) -> dict:
    """Percentiles (ms) of each stage after the leader's appends made in [t0, t1] (the group
    with the most of them), and of each broker's loop lag, slow CPU steps and GC pauses."""
    leader = _load(out_dir, leader_pid)
    appends = [r for r in leader["append"] if t0 <= r[0] <= t1]
    if not appends:
        return {}
    groups = [r[1] for r in appends]
    group = max(set(groups), key=groups.count)
    appends = [(t, end) for t, g, end in appends if g == group]
    out = {
        "group": group,
        "appends": len(appends),
        "leader_flushed": _after(appends, _of(leader["flushed"], group)),
        "committed": _after(appends, _of(leader["commit"], group)),
    }
    commits = _of(leader["commit"], group)
    responses = [(t, 0) for (t,) in leader["response"] if t0 <= t <= t1]
    requests = [(t, 0) for (t,) in leader["request"] if t0 <= t <= t1]
    # commit -> the handler's end (wake-ups); the handler's end -> the next request's arrival
    # (response written, client, request read: a round trip of the client's closed loop)
    out["response_after_commit"] = _after([(t, 0) for t, _ in commits if t0 <= t <= t1], responses)
    out["next_request_after_response"] = _after(responses, requests)
    for pid in follower_pids:
        f = _load(out_dir, pid)
        out[f"follower_{pid}_received"] = _after(appends, _of(f["received"], group))
        out[f"follower_{pid}_flushed"] = _after(appends, _of(f["flushed"], group))
    for pid in (leader_pid, *follower_pids):
        out[f"broker_{pid}"] = _broker(_load(out_dir, pid), t0, t1)
    return out


def _load(out_dir: Path, pid: int) -> dict:
    try:
        return json.loads((out_dir / f"{pid}.json").read_text())
    except (OSError, ValueError):
        return {name: [] for name in _records()}


def _of(records: list, group: int) -> list[tuple[float, int]]:
    return [(t, offset) for t, g, offset in records if g == group]


def _after(appends: list[tuple[float, int]], reached: list[tuple[float, int]]) -> dict:
    """For each append (time, end offset): how long until `reached` first got to its end."""
    reached = sorted(reached)
    took, j = [], 0
    for t, end in appends:
        while j < len(reached) and (reached[j][0] < t or reached[j][1] < end):
            j += 1
        if j < len(reached):
            took.append((reached[j][0] - t) * 1000)
    return _percentiles(took)


def _broker(records: dict, t0: float, t1: float) -> dict:
    steps = [r for r in records["steps"] if t0 <= r[0] <= t1]
    busy = sorted((r for r in steps if r[2] > SLOW_STEP_S * 1000), key=lambda r: -r[2])
    return {
        "loop_lag_ms": _percentiles([lag for t, lag in records["lag"] if t0 <= t <= t1]),
        "steps_over_3ms_wall": len(steps),
        "steps_over_3ms_cpu": len(busy),
        "longest_cpu_steps": [(round(r[2], 1), r[3]) for r in busy[:3]],
        "gc_pauses_ms": [(g, round(ms, 1)) for t, g, ms in records["gc"] if t0 <= t <= t1],
    }


def _percentiles(values: list[float]) -> dict:
    s = sorted(values)
    if not s:
        return {"n": 0}
    pick = {"p50": 0.5, "p99": 0.99, "max": 1.0}
    return {"n": len(s)} | {
        q: round(s[min(int(f * len(s)), len(s) - 1)], 2) for q, f in pick.items()
    }


if __name__ == "__main__":
    main()
