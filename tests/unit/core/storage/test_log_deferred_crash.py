"""Crashes and failed writes with deferred (placed, not yet written) batches, in real processes
killed with SIGKILL: recovery keeps a valid prefix holding everything a flush round made
durable (what acks=all acknowledged) and cuts a torn tail; a deferred write that fails in the
group commit's round is fatal, cuts its torn bytes and acknowledges nothing."""

from __future__ import annotations

import json
import pathlib
import signal
import subprocess
import sys
import textwrap

import core
from core.common.clock import ManualClock
from core.storage.log import DiskLog, LogConfig

from .test_log_pending_writes import all_offsets

REPO = pathlib.Path(core.__file__).resolve().parent.parent
CHILD_TIMEOUT_S = 60

PRELUDE = """
import asyncio, json, os, resource, signal, sys
from core.common.clock import ManualClock
from core.model.records import Record, build_batch
from core.storage.flush import FlushTarget
from core.storage.group_commit import GroupCommit
from core.storage.log import DiskLog, LogConfig

def batch(tag, value_bytes=3000):
    return build_batch([Record(b"k%d" % tag, bytes([tag]) * value_bytes)], base_offset=0)

def die(report):
    print(json.dumps(report), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

log = DiskLog.open(sys.argv[1], LogConfig(), ManualClock())
"""


def run_child(body: str, log_dir: pathlib.Path) -> dict:
    """Run PRELUDE + `body` in a fresh interpreter that ends by SIGKILL; its JSON report."""
    script = PRELUDE + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", script, str(log_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def reopen(log_dir: pathlib.Path) -> DiskLog:
    return DiskLog.open(log_dir, LogConfig(), ManualClock())


def test_kill_9_keeps_the_flushed_prefix_and_cuts_a_torn_tail(log_dir) -> None:
    report = run_child(
        """
        for tag in range(3):
            log.append_replicated(batch(tag), 1)   # acks=all: placed, written by the round
        log.flush()                                # the round: write + fdatasync, 0-2 durable
        durable = log.flushed_offset
        for tag in range(3, 6):
            log.append_replicated(batch(tag), 1)   # queued, never written
        seg = log._segments[-1]
        torn = bytes(batch(9))
        os.write(seg.write_fd, torn[: len(torn) // 2])  # a write cut short by the kill
        die({"durable": durable, "next": log.next_offset})
        """,
        log_dir,
    )
    assert report == {"durable": 3, "next": 6}
    log = reopen(log_dir)
    try:
        assert log.next_offset == 3 and all_offsets(log, 3) == [(0, 0), (1, 1), (2, 2)]
        assert log.append_replicated(_batch(), 2) == (3, 3)  # the log goes on after the cut
        log.flush()
        assert all_offsets(log, 4)[-1] == (3, 3)
    finally:
        log.close()


def test_kill_9_during_a_round_never_loses_what_the_round_acknowledged(log_dir) -> None:
    """Group commit acknowledges (FlushTarget.on_flushed) only after the write and fdatasync;
    what it reported survives the kill, and whatever the file holds past it is a valid
    prefix of the placed batches."""
    report = run_child(
        """
        acked = []
        async def main():
            flusher = GroupCommit()
            target = FlushTarget(log, acked.append)
            flusher.start()
            for tag in range(40):
                log.append_replicated(batch(tag % 250), 1)
                flusher.request(target, urgent=True)
                if tag % 7 == 0:
                    await asyncio.sleep(0)
            for _ in range(2000):
                if acked and acked[-1] >= 20:
                    break
                await asyncio.sleep(0.001)
            die({"acked": max(acked, default=0), "next": log.next_offset})
        asyncio.run(main())
        """,
        log_dir,
    )
    assert report["next"] == 40 and report["acked"] >= 20
    log = reopen(log_dir)
    try:
        end = log.next_offset
        assert report["acked"] <= end <= 40
        assert all_offsets(log, end) == [(i, i) for i in range(end)]
    finally:
        log.close()


def test_a_failed_deferred_write_is_fatal_cut_and_acknowledges_nothing(log_dir) -> None:
    """The file-size limit makes the round's write(2) fail part-way (EFBIG, as ENOSPC would):
    the torn bytes are cut, the batch stays queued, on_fatal is called and the flushed offset
    does not move; after the kill, recovery finds the durable prefix."""
    report = run_child(
        """
        log.append_replicated(batch(1), 1)
        log.flush()                                  # offset 0 durable
        size = log.size_bytes
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 1000, resource.RLIM_INFINITY))
        log.append_replicated(batch(2), 1)           # 3 KB: only 1000 bytes fit
        fatal, acked = [], []
        async def main():
            flusher = GroupCommit(on_fatal=fatal.append)
            target = FlushTarget(log, acked.append)
            flusher.start()
            flusher.request(target, urgent=True)
            for _ in range(2000):
                if fatal:
                    break
                await asyncio.sleep(0.001)
        asyncio.run(main())
        die({"fatal": fatal, "acked": acked, "flushed": log.flushed_offset,
             "file": os.fstat(log._segments[-1].read_fd).st_size, "size": size,
             "queued": len(log._pending)})
        """,
        log_dir,
    )
    assert len(report["fatal"]) == 1 and "fdatasync failed" in report["fatal"][0]
    assert report["acked"] == [] and report["flushed"] == 1
    assert report["file"] == report["size"], "the torn bytes were cut"
    assert report["queued"] == 1
    log = reopen(log_dir)
    try:
        assert log.next_offset == 1 and all_offsets(log, 1) == [(0, 0)]
    finally:
        log.close()


def _batch() -> bytearray:
    from core.model.records import Record, build_batch

    return build_batch([Record(b"k", b"v")], base_offset=0)
