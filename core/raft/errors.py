"""Raft-level outcomes, mapped to Kafka error codes only in core.server.errors."""

from __future__ import annotations

import enum


class RaftErrc(enum.Enum):
    success = 0
    not_leader = 1
    timeout = 2
    shutting_down = 3
    term_changed = 4
    config_in_progress = 5  # another membership change is under way (core.raft.config)
    config_cancelled = 6  # the membership change was cancelled or replaced


class RaftError(Exception):
    def __init__(self, errc: RaftErrc, message: str = "") -> None:
        super().__init__(message or errc.name)
        self.errc = errc
