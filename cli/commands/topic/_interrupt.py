"""Ctrl-C for long-running commands, as rpk's consume handles it.

A KeyboardInterrupt raised at an arbitrary point inside kafka-python (its IO thread, locks and
futures) can leave the client unable to close, so the process never exits. Instead, the first
SIGINT/SIGTERM/SIGHUP only sets a flag that the poll loop checks between records; the loop then
commits and closes with bounded timeouts. A second signal, or a close that overruns
`grace_s`, ends the process at once (rpk: a second signal returns without waiting for Close).
"""

from __future__ import annotations

import os
import signal
import sys
import threading

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
EXIT_GRACE_S = 8.0  # the longest a clean shutdown may take after the first signal


def _exit_now() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0)


class StopSignals:
    """`with StopSignals() as stop:` ... `if stop.requested: break` (main thread only)."""

    def __init__(self, grace_s: float = EXIT_GRACE_S) -> None:
        self.grace_s = grace_s
        self.requested = False
        self._previous: dict[int, object] = {}
        self._watchdog: threading.Timer | None = None

    def _handle(self, signum, frame) -> None:
        if self.requested:
            _exit_now()
        self.requested = True
        self._watchdog = threading.Timer(self.grace_s, _exit_now)
        self._watchdog.daemon = True
        self._watchdog.start()

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in STOP_SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc_info) -> None:
        if self.requested:
            return  # stopping: keep the handlers and the watchdog until the process ends
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
