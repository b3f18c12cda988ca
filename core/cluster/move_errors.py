"""The error of replica-set changes (moves, decommission): a Kafka code and an HTTP status.

Kept apart from core.cluster.errors so the Admin API can catch it without importing what
that module maps (storage and Raft errors)."""

from __future__ import annotations

from core.protocol.errors import ErrorCode


class MoveError(Exception):
    def __init__(self, code: ErrorCode, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
